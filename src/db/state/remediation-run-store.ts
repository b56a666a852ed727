/**
 * Confirmed remediations while they run: one row from the "confirmed — starting" audit row
 * (`audit_id`) to the outcome. The process running it holds a lease and renews it while the
 * action runs; a row whose lease ran out with no outcome belongs to a process that died (SIGKILL,
 * a crash, a power cut) and is claimed once to be reported as "outcome unknown".
 */

export interface RemediationRunRow {
  audit_id: number;
  command: string;
  args: string;
  source: 'slack' | 'cli';
  user_id: string;
  channel_id: string | null;
  /** What to look at to learn how it ended, for that remediation. */
  check_hint: string;
  started_at: string;
  /** The process running it (an id of that process, never reused). */
  owner: string;
  lease_until: string;
  ended_at: string | null;
  reported_at: string | null;
}

export type NewRemediationRun = Omit<RemediationRunRow, 'ended_at' | 'reported_at'>;

export interface RemediationRunStore {
  /** Records a run at its start (in the transaction of its "confirmed — starting" audit row). */
  start(run: NewRemediationRun): Promise<void>;
  /** Extends the lease of a run still going; false when it is no longer this owner's open run. */
  renew(auditId: number, owner: string, until: Date): Promise<boolean>;
  /** The run ended (its outcome is in the audit log): in the outcome's transaction. */
  end(auditId: number, now: Date): Promise<void>;
  /** Runs with no outcome whose lease ran out by `now`, each claimed once (reported_at set); oldest first. */
  claimAbandoned(now: Date, limit: number): Promise<RemediationRunRow[]>;
  /** Runs going now (no outcome, lease not run out). */
  running(now: Date): Promise<RemediationRunRow[]>;
}
