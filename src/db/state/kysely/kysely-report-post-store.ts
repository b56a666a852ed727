import type { Kysely } from 'kysely';
import type { ReportPostRow, ReportPostStore } from '../report-post-store.js';
import { iso } from '../state-records.js';
import type { StateDb } from './state-db.js';

/** report-post-store.ts, written once for SQLite and PostgreSQL. */
export function kyselyReportPostStore(db: Kysely<StateDb>): ReportPostStore {
  return {
    async claim(dueAt, channel, now) {
      const r = await db
        .insertInto('reliability_reports')
        .values({ due_at: iso(dueAt), channel, posted_at: iso(now) })
        .onConflict((oc) => oc.column('due_at').doNothing())
        .executeTakeFirst();
      return r.numInsertedOrUpdatedRows === 1n;
    },
    get: async (dueAt): Promise<ReportPostRow | null> => (await db.selectFrom('reliability_reports').selectAll().where('due_at', '=', iso(dueAt)).executeTakeFirst()) ?? null,
  };
}
