import type { Kysely } from 'kysely';
import { rememberedCheck, rememberedResult, type IntegrityCheckStore } from '../integrity-check-store.js';
import { iso } from '../state-records.js';
import type { StateDb } from './state-db.js';

/** integrity-check-store.ts, written once for SQLite and PostgreSQL: one row per file, the newest check replacing it (an upsert). */
export function kyselyIntegrityCheckStore(db: Kysely<StateDb>): IntegrityCheckStore {
  return {
    latest: async (file) => rememberedCheck(await db.selectFrom('integrity_checks').select(['checked_at', 'result']).where('file', '=', file).executeTakeFirst()),
    async remember(check, at) {
      const result = rememberedResult(check);
      if (result === null) return;
      await db
        .insertInto('integrity_checks')
        .values({ file: check.file, checked_at: iso(at), result })
        .onConflict((oc) => oc.column('file').doUpdateSet((eb) => ({ checked_at: eb.ref('excluded.checked_at'), result: eb.ref('excluded.result') })))
        .execute();
    },
  };
}
