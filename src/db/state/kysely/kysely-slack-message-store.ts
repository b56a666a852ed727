import type { Kysely } from 'kysely';
import type { SlackMessageStore } from '../slack-message-store.js';
import { iso } from '../state-records.js';
import type { StateDb } from './state-db.js';

/** slack-message-store.ts, written once for SQLite and PostgreSQL. */
export function kyselySlackMessageStore(db: Kysely<StateDb>): SlackMessageStore {
  return {
    get: async (anchor) => (await db.selectFrom('slack_messages').select(['channel', 'ts']).where('anchor', '=', anchor).executeTakeFirst()) ?? null,
    async put(anchor, m, now) {
      await db
        .insertInto('slack_messages')
        .values({ anchor, channel: m.channel, ts: m.ts, posted_at: iso(now) })
        .onConflict((oc) =>
          oc.column('anchor').doUpdateSet((eb) => ({ channel: eb.ref('excluded.channel'), ts: eb.ref('excluded.ts'), posted_at: eb.ref('excluded.posted_at') })),
        )
        .execute();
    },
    async forget(anchor) {
      await db.deleteFrom('slack_messages').where('anchor', '=', anchor).execute();
    },
  };
}
