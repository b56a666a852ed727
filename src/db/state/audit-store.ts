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
 * What the chain alone cannot show: there is no secret in it, so someone who can write chatops.db
 * and rewrites every row from a change to the end (recomputing each hash) leaves a valid chain;
 * rows removed from the end leave one too (sqlite_sequence shows it unless lowered as well), and
 * so does a row appended with a recomputed hash. So the head (newest id and hash) is anchored
 * outside the table, and `verify` checks the chain against each anchor:
 *
 * - the head file (`headFile`, beside chatops.db, not in it): rewritten at every append inside
 *   the append's transaction, so it names the last row the bot wrote. A log that ends before it
 *   (rows cut off, the table emptied) or goes past it (a row appended by hand) fails.
 * - the heads published in Slack (the handoff, a daily line in #ops-handoff), recorded in
 *   audit_heads_published (a table a truncation of audit_log does not touch); and a head typed
 *   by an engineer from what they see in Slack (`audit verify --head 123:abcd…`), which no
 *   change to the machine can rewrite.
 *
 * Limits, said plainly: someone who can write both chatops.db and the head file, and delete the
 * published-head rows, is caught only by a head from Slack given on the command line; rows
 * appended after the last published head are caught only by the head file.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

/** The `prev_hash` of the first row. */
export const GENESIS_HASH = '0'.repeat(64);

export type AuditSource = 'slack' | 'cli';

/**
 * How a remediation went: shown a plan; confirmed and starting (written and committed before
 * anything runs); carried out, failed, refused, or its confirmation came too late or no longer
 * fit; or unknown (it started and its process died before its outcome was written).
 */
export type AuditOutcome = 'previewed' | 'started' | 'applied' | 'failed' | 'refused' | 'expired' | 'stale' | 'unknown';

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

/** The chain's head as published or noted: the newest row's id (0: an empty log) and its hash (or a prefix of it, at least 8 hex digits). */
export interface AuditHead {
  seq: number;
  hash: string;
}

/** A head the chain must hold, and where it comes from ("the head published in Slack on …", "--head"). */
export interface AuditAnchor extends AuditHead {
  from: string;
}

export type AuditVerification =
  /** `anchors`: what the chain was checked against (one line each); `notes`: what could not be checked. */
  | { ok: true; rows: number; last: AuditTip | null; anchors: string[]; notes: string[] }
  /** `verified`: how many rows before `rowId` checked out; rowId 0 when the table itself is missing. */
  | { ok: false; rowId: number; reason: string; verified: number; missingTable?: boolean };

/** A head published in Slack, as recorded in the state. */
export interface PublishedHead extends AuditHead {
  occasion: string;
  published_at: string;
}

export interface AuditStore {
  /**
   * Appends one entry at `now`, chained to the newest row, in an immediate transaction: two
   * processes appending at once take turns, so each reads the hash the other just wrote. Inside
   * `StateStore.transaction` it joins that transaction (the audit row commits with the change it records).
   */
  append(entry: NewAuditEntry, now: Date): Promise<AuditRow>;
  /** The newest entries first, of one person when `userId` is given. */
  latest(query: { limit: number; userId?: string }): Promise<AuditRow[]>;
  /** How many entries there are (of one person when given). */
  count(userId?: string): Promise<number>;
  /**
   * Walks every row in id order from GENESIS_HASH, recomputing each hash, then checks the chain
   * against the head file, the last published head and the `anchors` given; the first thing
   * that does not hold, and why.
   */
  verify(anchors?: readonly AuditAnchor[]): Promise<AuditVerification>;
  /** The newest row's id and hash ({0, GENESIS_HASH} for an empty log). */
  head(): Promise<AuditHead>;
  /**
   * Records that the head is being published for `occasion` (e.g. `daily:2026-11-26`): the head,
   * or null when that occasion was published already (by this process or another). Call it
   * inside the transaction that queues the post, so what is recorded is what is posted.
   */
  publishHead(occasion: string, now: Date): Promise<AuditHead | null>;
  /** The last head published (the highest id), or null. */
  lastPublished(): Promise<PublishedHead | null>;
}

/** A row's hashed content: all but the two hashes. */
export type ContentRow = Omit<AuditRow, 'prev_hash' | 'hash'>;

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

/** Refuses an entry whose arguments or plan are not JSON text, before anything is written. */
export function assertAuditEntry(entry: NewAuditEntry): void {
  assertJson('args', entry.args);
  assertJson('plan', entry.plan);
}

/** The row's content as stored, `id` and `at` given by the store. */
export function auditContent(id: number, e: NewAuditEntry, now: Date): ContentRow {
  return {
    id,
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
}

const missing = (from: number, to: number) => (from === to ? `row #${from} before it is missing` : `rows #${from}–#${to} before it are missing`);

/** The head file's content: the last row the bot wrote. */
interface HeadFile {
  seq: number;
  hash: string;
  at: string;
}

function readHeadFile(file: string): { head: HeadFile | null; problem: string | null } {
  if (!existsSync(file)) return { head: null, problem: null };
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<HeadFile>;
    if (typeof v.seq === 'number' && Number.isInteger(v.seq) && v.seq >= 0 && typeof v.hash === 'string' && /^[0-9a-f]{64}$/.test(v.hash)) {
      return { head: { seq: v.seq, hash: v.hash, at: String(v.at ?? '') }, problem: null };
    }
  } catch {
    // Unreadable: said below.
  }
  return { head: null, problem: `the head file ${file} is not one the bot wrote (unreadable)` };
}

/**
 * Rewrites the head file (when there is one) to name `row`: atomically, by rename. Called inside
 * the append's transaction, after the INSERT.
 */
export function writeAuditHeadFile(headFile: string | null, row: AuditRow): void {
  if (!headFile) return;
  const tmp = `${headFile}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify({ seq: row.id, hash: row.hash, at: row.at })}\n`);
  renameSync(tmp, headFile);
}

/** Is `hash` (full, or a prefix of 8+ hex digits as read off Slack) the row's hash? */
const hashMatches = (rowHash: string, given: string) => given.length >= 8 && rowHash.startsWith(given.toLowerCase());

/**
 * A missing audit_log table, as SQLite (from prepare or from a cached statement) or PostgreSQL
 * says it: damage to name, not an unexpected error.
 */
export const isMissingAuditTable = (err: unknown): boolean =>
  err instanceof Error && (/no such table: (main\.)?audit_log\b/.test(err.message) || /relation "audit_log" does not exist/.test(err.message));

/** The verification of a state whose audit_log table is missing; `where` names the state ("chatops.db"). */
export const missingAuditTable = (where: string): AuditVerification => ({ ok: false, rowId: 0, reason: `the audit_log table is missing from ${where} (dropped)`, verified: 0, missingTable: true });

/** What one verify reads of the state, all at the same moment, and the anchors that are not in it. */
export interface AuditChainReading {
  /** Every row of audit_log in id order. */
  rows: Iterable<AuditRow>;
  /** The highest id ever handed out (SQLite's sqlite_sequence), read after the rows; null when the engine keeps none. */
  handedOut: () => number | null;
  /** The last head published in Slack. */
  published: PublishedHead | null;
  /** The heads given (--head). */
  given: readonly AuditAnchor[];
  /** The head file, or null when none is kept. */
  headFile: string | null;
  /** Said in the notes when there is no head file, or null to say nothing (a state in memory). */
  noHeadFileNote: string | null;
}

/** The chain itself: ids from #1 without a gap, each hash over the one before. */
function walk(rows: Iterable<AuditRow>, handedOut: () => number | null): AuditVerification & { hashes?: Map<number, string> } {
  let expectedId = 1;
  let prev = GENESIS_HASH;
  let last: AuditTip | null = null;
  const hashes = new Map<number, string>();
  for (const row of rows) {
    const verified = expectedId - 1;
    const bad = (reason: string): AuditVerification => ({ ok: false, rowId: row.id, reason, verified });
    if (row.id < expectedId) return bad(`it was inserted before the first row (ids start at #1)`);
    if (row.id > expectedId) return bad(missing(expectedId, row.id - 1));
    const selfConsistent = row.hash === chainHash(row.prev_hash, row);
    if (!selfConsistent) return bad('its content was changed or forged (its hash does not match what it holds)');
    if (row.prev_hash !== prev) return bad('the row before it was changed or replaced, or this one was inserted (it does not chain from the hash before it)');
    prev = row.hash;
    hashes.set(row.id, row.hash);
    last = { id: row.id, at: row.at, hash: row.hash };
    expectedId += 1;
  }
  const handed = handedOut() ?? 0;
  if (handed >= expectedId) {
    const reason =
      expectedId === handed ? `it is missing from the end (ids were handed out up to #${handed})` : `it and the rows up to #${handed} are missing from the end`;
    return { ok: false, rowId: expectedId, reason, verified: expectedId - 1 };
  }
  return { ok: true, rows: expectedId - 1, last, anchors: [], notes: [], hashes };
}

/** The chain against a head it must hold: null when it does, else the failure. */
function against(rows: number, hashes: Map<number, string>, anchor: AuditAnchor): AuditVerification | null {
  if (anchor.seq === 0) return null;
  if (anchor.seq > rows) {
    return {
      ok: false,
      rowId: rows + 1,
      reason: `${anchor.from} is row #${anchor.seq}, and the log ends at #${rows}: ${anchor.seq === rows + 1 ? `row #${anchor.seq} was` : `rows #${rows + 1}–#${anchor.seq} were`} removed`,
      verified: rows,
    };
  }
  if (!hashMatches(hashes.get(anchor.seq)!, anchor.hash)) {
    return { ok: false, rowId: anchor.seq, reason: `it differs from ${anchor.from}: its hash is not the one recorded there, so the log was rewritten up to it`, verified: anchor.seq - 1 };
  }
  return null;
}

/**
 * Walks the chain from GENESIS_HASH, then checks it against the last published head, the heads
 * given and the head file: the first thing that does not hold, and why. Pure but for reading the
 * head file; both stores (better-sqlite3 and Kysely) verify with it.
 */
export function verifyAuditChain(reading: AuditChainReading): AuditVerification {
  const chain = walk(reading.rows, reading.handedOut);
  if (!chain.ok) return chain;
  const { hashes, ...result } = chain as Extract<AuditVerification, { ok: true }> & { hashes: Map<number, string> };
  const anchors: AuditAnchor[] = [...reading.given];
  const published = reading.published;
  if (published) anchors.push({ seq: published.seq, hash: published.hash, from: `the head published in Slack at ${published.published_at} (${published.occasion})` });
  else result.notes.push('No head has been published in Slack yet (the handoff and the daily line in the handoff channel publish it).');
  for (const anchor of anchors) {
    const broken = against(result.rows, hashes, anchor);
    if (broken) return broken;
    result.anchors.push(`${anchor.from}: row #${anchor.seq} holds`);
  }
  const { headFile } = reading;
  if (!headFile) {
    if (reading.noHeadFileNote) result.notes.push(reading.noHeadFileNote);
    return result;
  }
  const { head, problem } = readHeadFile(headFile);
  if (problem) return { ok: false, rowId: result.rows, reason: problem, verified: result.rows };
  if (!head) {
    if (result.rows > 0) result.notes.push(`No head file (${headFile}): rows after the last published head are not checked against one.`);
    return result;
  }
  const broken = against(result.rows, hashes, { seq: head.seq, hash: head.hash, from: `the last row the bot wrote (its head file)` });
  if (broken) return broken;
  if (result.rows > head.seq) {
    return {
      ok: false,
      rowId: head.seq + 1,
      reason: `the bot's last row is #${head.seq} (its head file), so ${result.rows === head.seq + 1 ? `row #${head.seq + 1} was` : `rows #${head.seq + 1}–#${result.rows} were`} added by something else`,
      verified: head.seq,
    };
  }
  result.anchors.push(`the last row the bot wrote (its head file): row #${head.seq} holds and ends the log`);
  return result;
}

export interface AuditStoreOptions {
  /** Where the head file lives (beside chatops.db); null for a state without one (in memory, or PostgreSQL's: no disk shared by its replicas). */
  headFile: string | null;
}

export function auditStore(db: Database.Database, opts: AuditStoreOptions = { headFile: null }): Synchronous<AuditStore> {
  const sql = statements(db);
  const { headFile } = opts;
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
    const content = auditContent(nextId(), e, now);
    const prev_hash = lastHash();
    const row: AuditRow = { ...content, prev_hash, hash: chainHash(prev_hash, content) };
    sql(
      `INSERT INTO audit_log (id, at, source, user_id, channel_id, command, args, outcome, plan, result, undo, prev_hash, hash)
       VALUES (@id, @at, @source, @user_id, @channel_id, @command, @args, @outcome, @plan, @result, @undo, @prev_hash, @hash)`,
    ).run(row);
    // Last in the transaction: a failure here rolls the row back. A crash after this and before
    // the commit leaves the file one row ahead; verify then names that row as missing.
    writeAuditHeadFile(headFile, row);
    return row;
  });

  const headOf = (): AuditHead => (sql('SELECT id AS seq, hash FROM audit_log ORDER BY id DESC LIMIT 1').get() as AuditHead | undefined) ?? { seq: 0, hash: GENESIS_HASH };
  const lastPublished = () => (sql('SELECT * FROM audit_heads_published ORDER BY seq DESC, published_at DESC LIMIT 1').get() as PublishedHead | undefined) ?? null;

  // One read transaction, so the rows, sqlite_sequence and the published heads are seen at the same moment while others append.
  const verify = db.transaction(
    (given: readonly AuditAnchor[]): AuditVerification =>
      verifyAuditChain({
        published: lastPublished(),
        rows: sql('SELECT * FROM audit_log ORDER BY id').iterate() as IterableIterator<AuditRow>,
        handedOut: highestHandedOut,
        given,
        headFile,
        noHeadFileNote: null,
      }),
  );

  const guardedVerify = (given: readonly AuditAnchor[]): AuditVerification => {
    try {
      return verify.deferred(given);
    } catch (err) {
      if (isMissingAuditTable(err)) return missingAuditTable('chatops.db');
      throw err;
    }
  };

  return {
    append(entry, now) {
      assertAuditEntry(entry);
      return append.immediate(entry, now);
    },
    latest: ({ limit, userId }) =>
      sql('SELECT * FROM audit_log WHERE (? IS NULL OR user_id = ?) ORDER BY id DESC LIMIT ?').all(userId ?? null, userId ?? null, limit) as AuditRow[],
    count: (userId) => (sql('SELECT COUNT(*) AS n FROM audit_log WHERE (? IS NULL OR user_id = ?)').get(userId ?? null, userId ?? null) as { n: number }).n,
    verify: (anchors = []) => guardedVerify(anchors),
    head: headOf,
    publishHead(occasion, now) {
      const head = headOf();
      const claimed = sql('INSERT INTO audit_heads_published (occasion, seq, hash, published_at) VALUES (?, ?, ?, ?) ON CONFLICT (occasion) DO NOTHING').run(occasion, head.seq, head.hash, now.toISOString()).changes === 1;
      return claimed ? head : null;
    },
    lastPublished,
  };
}
