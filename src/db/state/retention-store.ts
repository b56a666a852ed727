import type Database from 'better-sqlite3';
import { toSqlTime } from '../../time/atlas-time.js';
import { iso } from './state-records.js';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

/** Cut-off instants: rows older than these go. */
export interface RetentionCutoffs {
  outbox: Date;
  commandRuns: Date;
  timers: Date;
  timeline: Date;
}

export interface PrunedCounts {
  outbox: number;
  commandRuns: number;
  timers: number;
  timeline: number;
}

export interface RetentionStore {
  /**
   * Deletes old rows in one transaction. Never what an open incident needs: pending outbox rows,
   * pending timers, and the timers and timeline of an incident that is open (or resolved after the cut-off).
   */
  prune(cutoffs: RetentionCutoffs): Promise<PrunedCounts>;
}

export function retentionStore(db: Database.Database): Synchronous<RetentionStore> {
  const sql = statements(db);
  const prune = db.transaction((c: RetentionCutoffs): PrunedCounts => {
    const outbox = sql('DELETE FROM outbox WHERE (sent_at IS NOT NULL AND sent_at < ?) OR (failed_at IS NOT NULL AND failed_at < ?)').run(iso(c.outbox), iso(c.outbox)).changes;
    // An upload's progress goes with its message.
    sql('DELETE FROM outbox_files WHERE outbox_id NOT IN (SELECT id FROM outbox)').run();
    const commandRuns = sql('DELETE FROM command_runs WHERE at < ?').run(toSqlTime(c.commandRuns)).changes;
    const timers = sql(
      `DELETE FROM timers WHERE COALESCE(fired_at, cancelled_at) < ?
         AND (incident_id IS NULL OR incident_id IN (SELECT id FROM incidents WHERE status = 'resolved' AND resolved_at < ?))`,
    ).run(iso(c.timers), iso(c.timers)).changes;
    // A snooze long over is shown nowhere (the channel message shows one only while its timer is pending).
    sql('DELETE FROM alert_snoozes WHERE until < ?').run(iso(c.timers));
    const timeline = sql(
      "DELETE FROM incident_events WHERE incident_id IN (SELECT id FROM incidents WHERE status = 'resolved' AND resolved_at < ?)",
    ).run(iso(c.timeline)).changes;
    return { outbox, commandRuns, timers, timeline };
  });
  return { prune: (c) => prune.immediate(c) };
}
