import type { Kysely } from 'kysely';
import type { ConfirmationRow, ConfirmationStore } from '../confirmation-store.js';
import { iso } from '../state-records.js';
import { atomically } from './atomically.js';
import type { StateDialect } from './state-dialect.js';
import type { StateDb } from './state-db.js';

/**
 * confirmation-store.ts, written once for SQLite and PostgreSQL: the claim reads its token's row
 * locked (`dialect.rowLock`), so of two replicas one confirms; the expiry sweep's claim skips
 * rows another replica's sweep holds (`dialect.claimLock`).
 */
export function kyselyConfirmationStore(db: Kysely<StateDb>, dialect: StateDialect): ConfirmationStore {
  return {
    async save(c, now) {
      await db
        .insertInto('remediation_confirmations')
        .values({
          token: c.token,
          user_id: c.user_id,
          channel_id: c.channel_id,
          command: c.command,
          args: c.args,
          plan: c.plan,
          fingerprint: c.fingerprint,
          created_at: iso(now),
          expires_at: c.expires_at,
          response_url: c.response_url ?? null,
          shown_args: c.shown_args ?? null,
        })
        .execute();
    },
    claim: (token, userId, now) =>
      atomically(db, async (tx) => {
        const row = (await dialect.rowLock(tx.selectFrom('remediation_confirmations').selectAll().where('token', '=', token)).executeTakeFirst()) as
          | ConfirmationRow
          | undefined;
        if (!row) return { kind: 'unknown' };
        if (row.user_id !== userId) return { kind: 'not-yours', row };
        if (row.used_at) return { kind: 'used', row };
        // Swept as expired by a process whose clock ran ahead: its preview already says so.
        if (row.expires_at <= iso(now) || row.expired_at) return { kind: 'expired', row };
        // The response_url is of no more use once the preview is settled: it is not kept (it lets anyone post there for 30 min).
        await tx.updateTable('remediation_confirmations').set({ used_at: iso(now), response_url: null }).where('token', '=', token).where('used_at', 'is', null).execute();
        return { kind: 'claimed', row: { ...row, used_at: iso(now) } };
      }),
    claimExpired: (now, limit) =>
      atomically(db, async (tx) => {
        const expired = tx
          .selectFrom('remediation_confirmations')
          .selectAll()
          .where('used_at', 'is', null)
          .where('expired_at', 'is', null)
          .where('expires_at', '<=', iso(now))
          .orderBy('expires_at')
          .limit(limit);
        const rows = (await dialect.claimLock(expired, 'remediation_confirmations').execute()) as ConfirmationRow[];
        for (const row of rows) {
          await tx
            .updateTable('remediation_confirmations')
            .set({ expired_at: iso(now), response_url: null })
            .where('token', '=', row.token)
            .where('used_at', 'is', null)
            .where('expired_at', 'is', null)
            .execute();
        }
        return rows.map((row) => ({ ...row, expired_at: iso(now) }));
      }),
  };
}
