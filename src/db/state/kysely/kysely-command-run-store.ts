import type { Kysely } from 'kysely';
import type { CommandRunStore } from '../command-run-store.js';
import type { StateDb } from './state-db.js';

/** command-run-store.ts, written once for SQLite and PostgreSQL. */
export function kyselyCommandRunStore(db: Kysely<StateDb>): CommandRunStore {
  return {
    async add(r) {
      await db
        .insertInto('command_runs')
        .values({
          at: r.at,
          source: r.source,
          via: r.via,
          user_id: r.userId,
          channel_id: r.channelId,
          command: r.command,
          args: r.args,
          outcome: r.outcome,
          summary: r.summary,
          duration_ms: r.durationMs,
          error_id: r.errorId,
        })
        .execute();
    },
  };
}
