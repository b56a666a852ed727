import type Database from 'better-sqlite3';
import { iso } from './state-records.js';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

/** Where a named message (an alert's, an incident's status card) was posted. */
export interface PostedMessage {
  channel: string;
  ts: string;
}

export interface SlackMessageStore {
  get(anchor: string): Promise<PostedMessage | null>;
  put(anchor: string, message: PostedMessage, now: Date): Promise<void>;
  /** The message was deleted in Slack: the next refresh posts it anew. */
  forget(anchor: string): Promise<void>;
}

export function slackMessageStore(db: Database.Database): Synchronous<SlackMessageStore> {
  const sql = statements(db);
  return {
    get: (anchor) => (sql('SELECT channel, ts FROM slack_messages WHERE anchor = ?').get(anchor) as PostedMessage | undefined) ?? null,
    put(anchor, m, now) {
      sql('INSERT INTO slack_messages (anchor, channel, ts, posted_at) VALUES (?, ?, ?, ?) ON CONFLICT (anchor) DO UPDATE SET channel = excluded.channel, ts = excluded.ts, posted_at = excluded.posted_at').run(
        anchor,
        m.channel,
        m.ts,
        iso(now),
      );
    },
    forget(anchor) {
      sql('DELETE FROM slack_messages WHERE anchor = ?').run(anchor);
    },
  };
}
