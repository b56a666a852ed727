export { fingerprintOf } from '../db/fingerprint.js';

/** One thing a remediation will change, as the preview shows it. */
export type PlanChange =
  /** A row of a Shadow Atlas database, before and after (null: created or deleted). */
  | { kind: 'row'; what: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null }
  | { kind: 'file'; path: string; note: string }
  /** An external command, as the argument array it runs with (no shell). */
  | { kind: 'command'; argv: string[]; note: string }
  | { kind: 'space'; what: string; needBytes: number; freeBytes: number };

/** What a remediation will do, exactly, computed from the data as it is now; nothing is written to make it. */
export interface RemediationPlan {
  /** One line: what will change. */
  summary: string;
  changes: PlanChange[];
  /** How to undo it, or null when the data does not allow an undo (said so in the preview). */
  undo: string | null;
  warnings: string[];
  /**
   * A hash of every column of every row and every file the plan read: a confirmation is refused
   * when it differs from the preview's, because the plan would no longer be what was shown.
   */
  fingerprint: string;
}

/** What an applied remediation says, for the person and for the team. */
export interface AppliedRemediation {
  headline: string;
  lines: string[];
  undo: string | null;
  /** The incident the result belongs to (an alert's, the one the flow declared); else the newest open one hears of it. */
  incidentId?: string;
}

/** A remediation that cannot be planned or applied: one sentence of what is wrong and what to do. Nothing changed. */
export class RemediationRefusal extends Error {
  override name = 'RemediationRefusal';
}

