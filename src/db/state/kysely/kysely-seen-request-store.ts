import type { Kysely } from 'kysely';
import type { SeenRequestStore } from '../seen-request-store.js';
import { iso } from '../state-records.js';
import type { StateDb } from './state-db.js';

/** How often, at most, expired rows are deleted (by the process that happens to take a request). */
const PRUNE_EVERY_MS = 60_000;

/** When this state last pruned: kept by the state, not by one transaction's stores. */
export interface PruneMemory {
  lastPruneMs: number;
}

/** seen-request-store.ts, written once for SQLite and PostgreSQL. */
export function kyselySeenRequestStore(db: Kysely<StateDb>, memory: PruneMemory): SeenRequestStore {
  const prune = async (now: Date) => Number((await db.deleteFrom('seen_slack_requests').where('expires_at', '<=', iso(now)).executeTakeFirst()).numDeletedRows);
  return {
    async firstSight(signatureHash, expiresAt, now) {
      if (now.getTime() - memory.lastPruneMs >= PRUNE_EVERY_MS) {
        memory.lastPruneMs = now.getTime();
        await prune(now);
      }
      // Inserted, or an expired row taken over: one row. A live row: none, a replay. One
      // statement, so two replicas taking the same request at once cannot both see it first.
      const taken = await db
        .insertInto('seen_slack_requests')
        .values({ signature_hash: signatureHash, expires_at: iso(expiresAt) })
        .onConflict((oc) =>
          oc
            .column('signature_hash')
            .doUpdateSet((eb) => ({ expires_at: eb.ref('excluded.expires_at') }))
            .where('seen_slack_requests.expires_at', '<=', iso(now)),
        )
        .executeTakeFirst();
      return taken.numInsertedOrUpdatedRows === 1n;
    },
    prune,
  };
}
