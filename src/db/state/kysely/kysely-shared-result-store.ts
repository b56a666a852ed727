import type { Kysely } from 'kysely';
import type { SharedResultStore } from '../shared-result-store.js';
import { atomically } from './atomically.js';
import type { StateDb } from './state-db.js';

type SharedRow = Parameters<SharedResultStore['putBack']>[0];

/** shared-result-store.ts, written once for SQLite and PostgreSQL. */
export function kyselySharedResultStore(db: Kysely<StateDb>): SharedResultStore {
  // INSERT OR IGNORE, which PostgreSQL lacks: a row already there (the same id) stays as it is.
  const insert = async (on: Kysely<StateDb>, r: SharedRow) => {
    await on
      .insertInto('shared_results')
      .values({ id: r.id, created_at: r.createdAt, user_id: r.userId, report_json: r.json })
      .onConflict((oc) => oc.doNothing())
      .execute();
  };
  return {
    save: (row, pruneBefore) =>
      atomically(db, async (tx) => {
        await tx.deleteFrom('shared_results').where('created_at', '<', pruneBefore).execute();
        await insert(tx, row);
      }),
    async claim(id, userId, since) {
      // Taken out in one statement: of two clicks at once, one gets it.
      const row = await db
        .deleteFrom('shared_results')
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .where('created_at', '>=', since)
        .returning(['report_json', 'created_at'])
        .executeTakeFirst();
      if (row) return { kind: 'ok', json: row.report_json, createdAt: row.created_at };
      const someoneElses = await db.selectFrom('shared_results').select('id').where('id', '=', id).where('created_at', '>=', since).executeTakeFirst();
      return someoneElses ? { kind: 'not-yours' } : { kind: 'expired' };
    },
    putBack: (row) => insert(db, row),
  };
}
