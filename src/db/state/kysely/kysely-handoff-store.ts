import type { Kysely } from 'kysely';
import type { HandoffRow, HandoffStore } from '../handoff-store.js';
import { iso } from '../state-records.js';
import { atomically } from './atomically.js';
import type { StateDb } from './state-db.js';

/**
 * handoff-store.ts, written once for SQLite and PostgreSQL. Each claim (the reminder, the post,
 * the baseline) inserts the shift's row if missing (`ON CONFLICT DO NOTHING`) and then sets it in
 * ONE conditional UPDATE (`WHERE status = 'pending'`), whose row count is the answer: two replicas
 * claiming at once never both win, with no lock of ours. On PostgreSQL the second UPDATE waits for
 * the first's row lock and then checks its WHERE again on the row as the first left it (no
 * longer pending: 0 rows); on SQLite the immediate transactions take turns.
 */
export function kyselyHandoffStore(db: Kysely<StateDb>): HandoffStore {
  const ensure = async (on: Kysely<StateDb>, shiftStart: Date) => {
    await on
      .insertInto('handoffs')
      .values({ shift_start: iso(shiftStart) })
      .onConflict((oc) => oc.column('shift_start').doNothing())
      .execute();
  };
  const pending = (on: Kysely<StateDb>, shiftStart: Date) => on.updateTable('handoffs').where('shift_start', '=', iso(shiftStart)).where('status', '=', 'pending');
  return {
    get: async (shiftStart) => ((await db.selectFrom('handoffs').selectAll().where('shift_start', '=', iso(shiftStart)).executeTakeFirst()) as HandoffRow | undefined) ?? null,
    latestSettled: async () =>
      ((await db.selectFrom('handoffs').selectAll().where('status', '<>', 'pending').orderBy('shift_start', 'desc').limit(1).executeTakeFirst()) as HandoffRow | undefined) ?? null,
    saveNotes: (shiftStart, text, by, now) =>
      atomically(db, async (tx) => {
        await ensure(tx, shiftStart);
        const r = await pending(tx, shiftStart).set({ notes: text, notes_by: by, notes_at: iso(now) }).executeTakeFirst();
        return r.numUpdatedRows === 1n;
      }),
    claimReminder: (shiftStart, now) =>
      atomically(db, async (tx) => {
        await ensure(tx, shiftStart);
        const r = await pending(tx, shiftStart).set({ reminded_at: iso(now) }).where('reminded_at', 'is', null).executeTakeFirst();
        return r.numUpdatedRows === 1n;
      }),
    claimPost: (shiftStart, post, now) =>
      atomically(db, async (tx) => {
        await ensure(tx, shiftStart);
        const claimed = await pending(tx, shiftStart)
          .set({
            status: 'posted',
            settled_at: iso(now),
            outgoing: post.outgoing,
            incoming: post.incoming,
            late: post.late ? 1 : 0,
            skipped: post.skipped.length > 0 ? JSON.stringify(post.skipped.map(iso)) : null,
          })
          .executeTakeFirst();
        if (claimed.numUpdatedRows !== 1n) return false;
        for (const s of post.skipped) {
          await ensure(tx, s);
          await pending(tx, s).set({ status: 'skipped', settled_at: iso(now) }).execute();
        }
        return true;
      }),
    markBaseline: (shiftStart, now) =>
      atomically(db, async (tx) => {
        await ensure(tx, shiftStart);
        const r = await pending(tx, shiftStart).set({ status: 'baseline', settled_at: iso(now) }).executeTakeFirst();
        return r.numUpdatedRows === 1n;
      }),
  };
}
