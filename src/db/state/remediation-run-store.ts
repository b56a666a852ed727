/**
 * Confirmed remediations while they run: one row from the "confirmed — starting" audit row
 * (`audit_id`) to the outcome. The process running it holds a lease and renews it while the
 * action runs; a row whose lease ran out with no outcome belongs to a process that died (SIGKILL,
 * a crash, a power cut) and is claimed once to be reported as "outcome unknown".
 */
import type Database from 'better-sqlite3';
import { iso } from './state-records.js';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

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

export function remediationRunStore(db: Database.Database): Synchronous<RemediationRunStore> {
  const sql = statements(db);
  return {
    start(run) {
      sql(
        `INSERT INTO remediation_runs (audit_id, command, args, source, user_id, channel_id, check_hint, started_at, owner, lease_until)
         VALUES (@audit_id, @command, @args, @source, @user_id, @channel_id, @check_hint, @started_at, @owner, @lease_until)`,
      ).run(run);
    },
    renew: (auditId, owner, until) =>
      sql('UPDATE remediation_runs SET lease_until = ? WHERE audit_id = ? AND owner = ? AND ended_at IS NULL AND reported_at IS NULL').run(iso(until), auditId, owner).changes === 1,
    end(auditId, now) {
      sql('UPDATE remediation_runs SET ended_at = ? WHERE audit_id = ? AND ended_at IS NULL').run(iso(now), auditId);
    },
    claimAbandoned(now, limit) {
      const rows = sql('SELECT * FROM remediation_runs WHERE ended_at IS NULL AND reported_at IS NULL AND lease_until < ? ORDER BY audit_id LIMIT ?').all(iso(now), limit) as RemediationRunRow[];
      for (const r of rows) {
        sql('UPDATE remediation_runs SET reported_at = ? WHERE audit_id = ?').run(iso(now), r.audit_id);
        r.reported_at = iso(now);
      }
      return rows;
    },
    running: (now) => sql('SELECT * FROM remediation_runs WHERE ended_at IS NULL AND reported_at IS NULL AND lease_until >= ? ORDER BY audit_id').all(iso(now)) as RemediationRunRow[],
  };
}
