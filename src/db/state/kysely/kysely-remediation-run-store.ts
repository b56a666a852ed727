import type { Kysely } from 'kysely';
import type { RemediationRunRow, RemediationRunStore } from '../remediation-run-store.js';
import { iso } from '../state-records.js';
import { atomically } from './atomically.js';
import type { StateDialect } from './state-dialect.js';
import type { StateDb } from './state-db.js';

/** remediation-run-store.ts, written once for SQLite and PostgreSQL; abandoned runs are claimed skipping rows another replica holds. */
export function kyselyRemediationRunStore(db: Kysely<StateDb>, dialect: StateDialect): RemediationRunStore {
  const open = (on: Kysely<StateDb>) => on.selectFrom('remediation_runs').selectAll().where('ended_at', 'is', null).where('reported_at', 'is', null);
  return {
    async start(run) {
      await db.insertInto('remediation_runs').values(run).execute();
    },
    async renew(auditId, owner, until) {
      const r = await db
        .updateTable('remediation_runs')
        .set({ lease_until: iso(until) })
        .where('audit_id', '=', auditId)
        .where('owner', '=', owner)
        .where('ended_at', 'is', null)
        .where('reported_at', 'is', null)
        .executeTakeFirst();
      return r.numUpdatedRows === 1n;
    },
    async end(auditId, now) {
      await db.updateTable('remediation_runs').set({ ended_at: iso(now) }).where('audit_id', '=', auditId).where('ended_at', 'is', null).execute();
    },
    claimAbandoned: (now, limit) =>
      atomically(db, async (tx) => {
        const abandoned = open(tx).where('lease_until', '<', iso(now)).orderBy('audit_id').limit(limit);
        const rows = (await dialect.claimLock(abandoned, 'remediation_runs').execute()) as RemediationRunRow[];
        for (const r of rows) {
          await tx.updateTable('remediation_runs').set({ reported_at: iso(now) }).where('audit_id', '=', r.audit_id).execute();
          r.reported_at = iso(now);
        }
        return rows;
      }),
    running: async (now) => (await open(db).where('lease_until', '>=', iso(now)).orderBy('audit_id').execute()) as RemediationRunRow[],
  };
}
