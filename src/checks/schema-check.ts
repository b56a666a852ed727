import type { AtlasDatabase, SchemaNeeds } from '../db/atlas-database.js';

/** The tables and columns the bot reads, per DATA-CONTRACT.md. */
export const METRICS_NEEDS: SchemaNeeds = {
  metrics: ['id', 'type', 'value', 'labels_json', 'recorded_at'],
  alerts: ['id', 'name', 'status', 'message', 'fired_at', 'resolved_at', 'acknowledged_at'],
};

export const PERSISTENCE_NEEDS: SchemaNeeds = {
  jobs: ['id', 'status', 'created_at', 'updated_at', 'total_tasks', 'completed_tasks', 'failed_tasks'],
  snapshots: ['id', 'merkle_root', 'ipfs_cid', 'created_at', 'deprecated_at', 'archived_at'],
};

export interface SchemaStatus {
  label: string;
  /** The file's problem (missing, corrupt, locked) when it could not be read at all. */
  problem: string | null;
  missing: string[];
}

/** What the live files lack, checked at start and by `doctor`; never throws. */
export function checkSchema(db: AtlasDatabase, needs: SchemaNeeds): SchemaStatus {
  const problem = db.problem();
  if (problem) return { label: db.label, problem: problem.message, missing: [] };
  return { label: db.label, problem: null, missing: db.missing(needs) };
}
