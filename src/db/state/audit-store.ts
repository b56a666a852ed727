/**
 * The remediation audit log: every remediation and every refusal, hash-chained.
 *
 * Each row's `hash` is sha256 over the previous row's hash, a newline and the canonical JSON of
 * the row's content (`canonicalContent`): the id and every stored field but the two hashes, in a
 * fixed order. The first row chains from GENESIS_HASH. Because the id is hashed, a row cannot be
 * moved or renumbered; because each hash covers the one before, a row edited, inserted or removed
 * breaks the chain at that row or the next, and `verify` names the first such row.
 *
 * Retention: the bot never deletes audit rows (retention-store.ts leaves audit_log alone), so a
 * verify always walks the whole log from id 1 and GENESIS_HASH.
 *
 * What the chain cannot show: there is no secret in it, so someone who can write chatops.db and
 * rewrites every row from a change to the end (recomputing each hash) leaves a valid chain; and
 * a row removed from the end leaves one too. The latter shows through sqlite_sequence (AUTOINCREMENT
 * remembers the highest id handed out) unless that was lowered as well. Catching either needs the
 * latest hash kept outside this file, which is why `verify` returns it.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { statements } from './statements.js';

/** The `prev_hash` of the first row. */
export const GENESIS_HASH = '0'.repeat(64);

export type AuditSource = 'slack' | 'cli';

/** How a remediation ended: shown a plan, carried out, failed, refused, or its confirmation came too late or no longer fit. */
export type AuditOutcome = 'previewed' | 'applied' | 'failed' | 'refused' | 'expired' | 'stale';

/** What a caller records; `at` and the hashes come from the store. */
export interface NewAuditEntry {
  source: AuditSource;
  /** Slack user ID, or the terminal user's login name. */
  userId: string;
  /** The Slack channel (or DM) it came from; null in the terminal. */
  channelId: string | null;
  /** The subcommand, e.g. 'snapshot rollback'. */
  command: string;
  /** Its arguments as JSON text (the parsed arguments object, or an array of words). */
  args: string;
  outcome: AuditOutcome;
  /** The plan previewed or applied, as JSON text; null for a refusal before any plan. */
  plan: string | null;
  /** What happened, in a sentence: the change made, the error, the reason for a refusal. */
  result: string | null;
  /** How to undo it, as the plan says: a command (`/atlas snapshot rollback snap-1`, shown ready to copy) or a sentence; null when it cannot be undone. */
  undo: string | null;
}

/** A row of `audit_log`. */
export interface AuditRow {
  id: number;
  /** ISO-8601 UTC with milliseconds. */
  at: string;
  source: AuditSource;
  user_id: string;
  channel_id: string | null;
  command: string;
  args: string;
  outcome: AuditOutcome;
  plan: string | null;
  result: string | null;
  undo: string | null;
  prev_hash: string;
  hash: string;
}

/** The newest row, to note down outside chatops.db: a later verify against it shows a rewritten or shortened log. */
export interface AuditTip {
  id: number;
  at: string;
  hash: string;
}

export type AuditVerification =
  | { ok: true; rows: number; last: AuditTip | null }
  /** `verified`: how many rows before `rowId` checked out. */
  | { ok: false; rowId: number; reason: string; verified: number };

export interface AuditStore {
  /**
   * Appends one entry at `now`, chained to the newest row, in an immediate transaction: two
   * processes appending at once take turns, so each reads the hash the other just wrote. Inside
   * `StateStore.transaction` it joins that transaction (the audit row commits with the change it records).
   */
  append(entry: NewAuditEntry, now: Date): AuditRow;
  /** The newest entries first, of one person when `userId` is given. */
  latest(query: { limit: number; userId?: string }): AuditRow[];
  /** How many entries there are (of one person when given). */
  count(userId?: string): number;
  /** Walks every row in id order from GENESIS_HASH, recomputing each hash; the first row that does not hold, and why. */
  verify(): AuditVerification;
}

type ContentRow = Omit<AuditRow, 'prev_hash' | 'hash'>;

/**
 * The hashed text of a row's content: JSON of an object with exactly these keys in this order,
 * the values as stored. Reproducible outside the bot, e.g. Python's
 * `json.dumps(obj, separators=(',', ':'), ensure_ascii=False)` with the same key order.
 */
export function canonicalContent(row: ContentRow): string {
  return JSON.stringify({
    id: row.id,
    at: row.at,
    source: row.source,
    user_id: row.user_id,
    channel_id: row.channel_id,
    command: row.command,
    args: row.args,
    outcome: row.outcome,
    plan: row.plan,
    result: row.result,
    undo: row.undo,
  });
}

export function chainHash(prevHash: string, row: ContentRow): string {
  return createHash('sha256').update(`${prevHash}\n${canonicalContent(row)}`).digest('hex');
}

function assertJson(field: string, text: string | null): void {
  if (text === null) return;
  try {
    JSON.parse(text);
  } catch {
    // A caller's mistake, not a person's: the row must stay readable by `/atlas audit`.
    throw new TypeError(`audit ${field} must be JSON text`);
  }
}

const missing = (from: number, to: number) => (from === to ? `row #${from} before it is missing` : `rows #${from}–#${to} before it are missing`);

export function auditStore(db: Database.Database): AuditStore {
  const sql = statements(db);
  /**
   * The id AUTOINCREMENT would give, chosen here because the hash covers it: one past the highest
   * ever handed out (sqlite_sequence), so a removed last row leaves a gap instead of being reused.
   */
  const nextId = () =>
    (
      sql(
        `SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'), 0),
                    COALESCE((SELECT MAX(id) FROM audit_log), 0)) + 1 AS id`,
      ).get() as { id: number }
    ).id;
  const highestHandedOut = () => (sql("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").get() as { seq: number } | undefined)?.seq ?? 0;
  const lastHash = () => (sql('SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1').get() as { hash: string } | undefined)?.hash ?? GENESIS_HASH;

  const append = db.transaction((e: NewAuditEntry, now: Date): AuditRow => {
    const content: ContentRow = {
      id: nextId(),
      at: now.toISOString(),
      source: e.source,
      user_id: e.userId,
      channel_id: e.channelId,
      command: e.command,
      args: e.args,
      outcome: e.outcome,
      plan: e.plan,
      result: e.result,
      undo: e.undo,
    };
    const prev_hash = lastHash();
    const row: AuditRow = { ...content, prev_hash, hash: chainHash(prev_hash, content) };
    sql(
      `INSERT INTO audit_log (id, at, source, user_id, channel_id, command, args, outcome, plan, result, undo, prev_hash, hash)
       VALUES (@id, @at, @source, @user_id, @channel_id, @command, @args, @outcome, @plan, @result, @undo, @prev_hash, @hash)`,
    ).run(row);
    return row;
  });

  // One read transaction, so the rows and sqlite_sequence are seen at the same moment while others append.
  const verify = db.transaction((): AuditVerification => {
    let expectedId = 1;
    let prev = GENESIS_HASH;
    let last: AuditTip | null = null;
    for (const row of sql('SELECT * FROM audit_log ORDER BY id').iterate() as IterableIterator<AuditRow>) {
      const verified = expectedId - 1;
      const bad = (reason: string): AuditVerification => ({ ok: false, rowId: row.id, reason, verified });
      if (row.id < expectedId) return bad(`it was inserted before the first row (ids start at #1)`);
      if (row.id > expectedId) return bad(missing(expectedId, row.id - 1));
      const selfConsistent = row.hash === chainHash(row.prev_hash, row);
      if (!selfConsistent) return bad('its content was changed or forged (its hash does not match what it holds)');
      if (row.prev_hash !== prev) return bad('the row before it was changed or replaced, or this one was inserted (it does not chain from the hash before it)');
      prev = row.hash;
      last = { id: row.id, at: row.at, hash: row.hash };
      expectedId += 1;
    }
    const handedOut = highestHandedOut();
    if (handedOut >= expectedId) {
      const reason =
        expectedId === handedOut
          ? `it is missing from the end (ids were handed out up to #${handedOut})`
          : `it and the rows up to #${handedOut} are missing from the end`;
      return { ok: false, rowId: expectedId, reason, verified: expectedId - 1 };
    }
    return { ok: true, rows: expectedId - 1, last };
  });

  return {
    append(entry, now) {
      assertJson('args', entry.args);
      assertJson('plan', entry.plan);
      return append.immediate(entry, now);
    },
    latest: ({ limit, userId }) =>
      sql('SELECT * FROM audit_log WHERE (? IS NULL OR user_id = ?) ORDER BY id DESC LIMIT ?').all(userId ?? null, userId ?? null, limit) as AuditRow[],
    count: (userId) => (sql('SELECT COUNT(*) AS n FROM audit_log WHERE (? IS NULL OR user_id = ?)').get(userId ?? null, userId ?? null) as { n: number }).n,
    verify: () => verify.deferred(),
  };
}
