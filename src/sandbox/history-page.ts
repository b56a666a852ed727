import { tsToMicros } from './slack-ids.js';
import { refuse } from './slack-refusal.js';
import { SLACK_LIMITS } from './slack-limits.js';

export interface PageOptions {
  oldest?: string | undefined;
  latest?: string | undefined;
  inclusive: boolean;
  limit?: number | undefined;
  cursor?: string | undefined;
}

export interface Page<T> {
  items: T[];
  hasMore: boolean;
  nextCursor?: string;
}

/** Cursors in Slack's look: base64 of "next_ts:<ts>" (e.g. "bmV4dF90czoxNTEyMDg1ODYxMDAwNTQz"). */
function encodeCursor(ts: string): string {
  return Buffer.from(`next_ts:${ts.replace('.', '')}`).toString('base64');
}

function decodeCursor(cursor: string): number {
  const m = /^next_ts:(\d{7,})$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  if (!m) refuse('invalid_cursor');
  return Number(m[1]);
}

/**
 * One page of messages in the order given (history: newest first; replies: oldest first).
 * Range: "If a message has the same timestamp as oldest or latest it will not be included in
 * the list" unless inclusive (https://docs.slack.dev/reference/methods/conversations.history).
 * With no `latest` there is no upper bound (Slack's default is "now"; a stand-in clock that
 * stands still would otherwise hide messages stamped in the same instant).
 */
export function pageOf<T extends { ts: string }>(ordered: T[], options: PageOptions, defaultLimit: number, newestFirst: boolean): Page<T> {
  const oldest = options.oldest ? tsToMicros(options.oldest) : Number.NEGATIVE_INFINITY;
  const latest = options.latest ? tsToMicros(options.latest) : Number.POSITIVE_INFINITY;
  if (Number.isNaN(oldest) || Number.isNaN(latest)) refuse('invalid_ts_oldest');
  const inRange = ordered.filter((m) => {
    const t = tsToMicros(m.ts);
    return options.inclusive ? t >= oldest && t <= latest : t > oldest && t < latest;
  });
  let start = 0;
  if (options.cursor) {
    const from = decodeCursor(options.cursor);
    // From the cursor's message on, or where it was if it has been deleted since.
    start = inRange.findIndex((m) => (newestFirst ? tsToMicros(m.ts) <= from : tsToMicros(m.ts) >= from));
    if (start < 0) start = inRange.length;
  }
  const requested = options.limit && options.limit > 0 ? options.limit : defaultLimit;
  const limit = Math.min(requested, SLACK_LIMITS.pagination.maxLimit);
  const items = inRange.slice(start, start + limit);
  const next = inRange[start + limit];
  return next ? { items, hasMore: true, nextCursor: encodeCursor(next.ts) } : { items, hasMore: false };
}
