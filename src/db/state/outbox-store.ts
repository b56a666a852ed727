import type Database from 'better-sqlite3';
import { iso } from './state-records.js';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

/**
 * post: a new top-level message in `channel`. reply: a reply in the thread of the message named
 * `anchor`. refresh: the message named `anchor` rendered anew from current state at send time
 * (posted when it does not exist yet, edited in place when it does). call: a call to another
 * system (`payload.call`), in its own lane; its failure is shown on the message `anchor`.
 * upload: a file (a chart's PNG, kept in outbox_files) shared in `channel`, or in the thread of
 * the message named `anchor`, through Slack's external upload, exactly once.
 */
export type OutboxOp = 'post' | 'reply' | 'refresh' | 'call' | 'upload';

/** upload: how the file is shown; its bytes are in outbox_files. */
export interface OutboxUpload {
  filename: string;
  title: string;
  /** The picture's point, for screen readers (alt_txt). */
  altText: string;
  /** The message the file is shared with. */
  initialComment?: string;
}

/** How far an upload got through Slack's three calls (outbox_files). */
export interface UploadProgress {
  filename: string;
  /** null once shared (or given up). */
  bytes: Buffer | null;
  /** From files.getUploadURLExternal; null until it answered. */
  fileId: string | null;
  uploadUrl: string | null;
  /** The upload URL took the bytes. */
  bytesSent: boolean;
  /** files.completeUploadExternal was called and its answer is not known: the share is in doubt. */
  completing: boolean;
}

/** A call to another system (PagerDuty): `target` names who sends it; the rest is theirs. */
export interface OutboxCall {
  target: string;
  [field: string]: unknown;
}

/** The words of a message; for refresh rows, what to show when the live rendering is gone. */
export interface OutboxPayload {
  text: string;
  blocks?: unknown[];
  /** reply: also show it in the channel. */
  broadcast?: boolean;
  /** reply: the reply is itself a named message (`anchor` of later refresh rows), edited in place as it changes. */
  names?: string;
  /** refresh: edit the message if it was posted, never post it (a named reply lives in its thread, not the channel). */
  editOnly?: boolean;
  /** call: what to call; `text` then says it in words for the log and doctor. */
  call?: OutboxCall;
  /** upload: the file's name, title and alt text; `text` says it in words for the log and doctor. */
  upload?: OutboxUpload;
}

export interface OutboxMessage {
  /** Messages of one lane go out in order; lanes are independent. */
  lane: string;
  op: OutboxOp;
  anchor?: string | null;
  channel?: string | null;
  payload?: OutboxPayload | null;
  /** upload: the file's bytes (kept in outbox_files until shared). */
  file?: Buffer;
}

export interface OutboxRow {
  id: number;
  created_at: string;
  lane: string;
  op: OutboxOp;
  anchor: string | null;
  channel: string | null;
  /** JSON OutboxPayload, or null. */
  payload: string | null;
  attempts: number;
  next_attempt_at: string;
  claimed_by: string | null;
  lease_until: string | null;
  /** 1 while a post may have reached Slack without the bot knowing (crash, timeout). */
  in_doubt: number;
  sent_at: string | null;
  failed_at: string | null;
  last_error: string | null;
  slack_ts: string | null;
}

export interface OutboxStats {
  pending: number;
  failed: number;
  /** Age of the oldest pending row in seconds, 0 when none. */
  oldestPendingSec: number;
}

export interface ClaimOptions {
  owner: string;
  /** The bot's clock: which rows are due. */
  now: Date;
  /** Wall time: leases are between processes, not in the bot's clock. */
  wallNow: Date;
  leaseMs: number;
  limit: number;
  /** Only calls to other systems (true), or only Slack messages (false); both when absent. */
  calls?: boolean;
}

export interface OutboxStore {
  enqueue(message: OutboxMessage, now: Date): Promise<number>;
  /** An upload row and its file's bytes, in one transaction. */
  enqueueUpload(message: OutboxMessage, bytes: Buffer, now: Date): Promise<number>;
  /** The progress of an upload row, or null when it has no file. */
  uploadOf(id: number): Promise<UploadProgress | null>;
  /** files.getUploadURLExternal answered: the file id and URL are kept before anything else is sent. */
  uploadReserved(id: number, fileId: string, uploadUrl: string): Promise<void>;
  uploadBytesSent(id: number): Promise<void>;
  /** Set just before files.completeUploadExternal; cleared when Slack answered that it did not share. */
  uploadCompleting(id: number, completing: boolean): Promise<void>;
  /** Forgets the file id and URL (expired, or Slack has no such file): the next try starts a new upload. */
  uploadRestart(id: number): Promise<void>;
  /**
   * Claims the first pending row of each lane whose time has come and whose lease (if any) has
   * expired, at most `limit`, oldest first. Only lane heads are claimed, so a row waiting out its
   * backoff holds back everything behind it in its lane.
   */
  claimHeads(opts: ClaimOptions): Promise<OutboxRow[]>;
  /** The last pending refresh of the same message in the same lane: a send covers all up to it. */
  lastRefreshOf(row: OutboxRow): Promise<number>;
  /** Marks a post as possibly delivered before the call; cleared when the answer is known. */
  setInDoubt(id: number, inDoubt: boolean): Promise<void>;
  /** Sent; refresh rows of the same message up to `coversUpTo` are sent with it. */
  markSent(row: OutboxRow, ts: string | null, now: Date, coversUpTo?: number): Promise<void>;
  /** Another try later; `countAttempt` false for rate limits, which are Slack's pace, not a failure. */
  retryLater(id: number, opts: { at: Date; error: string; countAttempt: boolean; owner: string }): Promise<number>;
  fail(id: number, error: string, now: Date): Promise<void>;
  /** Extends the leases of rows `owner` is still sending. */
  renew(owner: string, ids: readonly number[], until: Date): Promise<void>;
  /** Gives up the leases of `owner` (shutdown): another process may take the rows at once. */
  release(owner: string): Promise<number>;
  stats(now: Date): Promise<OutboxStats>;
  /** The newest permanent failures, for doctor. */
  recentFailures(limit: number): Promise<OutboxRow[]>;
  /** Pending rows (not sent, not failed). */
  pendingCount(): Promise<number>;
  /** The first call of `lane` not sent yet (nor given up): how often it was tried, and why it failed last. */
  pendingCall(lane: string): Promise<{ attempts: number; last_error: string | null } | null>;
  /** Why the newest message to `channel` queued since `since` was given up, or null when none was. */
  failureTo(channel: string, since: Date): Promise<string | null>;
}

export function outboxStore(db: Database.Database): Synchronous<OutboxStore> {
  const sql = statements(db);
  const claim = db.transaction((o: ClaimOptions): OutboxRow[] => {
    const wall = iso(o.wallNow);
    const heads = sql(
      `SELECT o.* FROM outbox o
       JOIN (SELECT lane, MIN(id) AS id FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL GROUP BY lane) h ON h.id = o.id
       WHERE o.next_attempt_at <= ? AND (o.lease_until IS NULL OR o.lease_until <= ?) AND (? IS NULL OR (o.op = 'call') = ?)
       ORDER BY o.id LIMIT ?`,
    ).all(iso(o.now), wall, o.calls === undefined ? null : Number(o.calls), o.calls === undefined ? null : Number(o.calls), o.limit) as OutboxRow[];
    const until = iso(new Date(o.wallNow.getTime() + o.leaseMs));
    for (const row of heads) {
      sql('UPDATE outbox SET claimed_by = ?, lease_until = ? WHERE id = ?').run(o.owner, until, row.id);
      row.claimed_by = o.owner;
      row.lease_until = until;
    }
    return heads;
  });
  const enqueue = (m: OutboxMessage, now: Date): number => {
    return Number(
      sql('INSERT INTO outbox (created_at, lane, op, anchor, channel, payload, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
        iso(now),
        m.lane,
        m.op,
        m.anchor ?? null,
        m.channel ?? null,
        m.payload ? JSON.stringify(m.payload) : null,
        iso(now),
      ).lastInsertRowid,
    );
  };
  return {
    enqueue,
    enqueueUpload(m, bytes, now) {
      return db
        .transaction(() => {
          const id = enqueue(m, now);
          sql('INSERT INTO outbox_files (outbox_id, filename, bytes) VALUES (?, ?, ?)').run(id, m.payload?.upload?.filename ?? 'file', bytes);
          return id;
        })
        .immediate();
    },
    uploadOf(id) {
      const r = sql('SELECT filename, bytes, slack_file_id, upload_url, bytes_sent, completing FROM outbox_files WHERE outbox_id = ?').get(id) as
        | { filename: string; bytes: Buffer | null; slack_file_id: string | null; upload_url: string | null; bytes_sent: number; completing: number }
        | undefined;
      if (!r) return null;
      return { filename: r.filename, bytes: r.bytes, fileId: r.slack_file_id, uploadUrl: r.upload_url, bytesSent: r.bytes_sent === 1, completing: r.completing === 1 };
    },
    uploadReserved(id, fileId, uploadUrl) {
      sql('UPDATE outbox_files SET slack_file_id = ?, upload_url = ?, bytes_sent = 0, completing = 0 WHERE outbox_id = ?').run(fileId, uploadUrl, id);
    },
    uploadBytesSent(id) {
      sql('UPDATE outbox_files SET bytes_sent = 1 WHERE outbox_id = ?').run(id);
    },
    uploadCompleting(id, completing) {
      sql('UPDATE outbox_files SET completing = ? WHERE outbox_id = ?').run(completing ? 1 : 0, id);
    },
    uploadRestart(id) {
      sql('UPDATE outbox_files SET slack_file_id = NULL, upload_url = NULL, bytes_sent = 0, completing = 0 WHERE outbox_id = ?').run(id);
    },
    claimHeads: (opts) => claim.immediate(opts),
    lastRefreshOf(row) {
      const r = sql(
        "SELECT MAX(id) AS id FROM outbox WHERE lane = ? AND op = 'refresh' AND anchor = ? AND sent_at IS NULL AND failed_at IS NULL",
      ).get(row.lane, row.anchor) as { id: number | null };
      return r.id ?? row.id;
    },
    setInDoubt(id, inDoubt) {
      sql('UPDATE outbox SET in_doubt = ? WHERE id = ?').run(inDoubt ? 1 : 0, id);
    },
    markSent(row, ts, now, coversUpTo) {
      db.transaction(() => {
        sql('UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL, in_doubt = 0, claimed_by = NULL, lease_until = NULL, slack_ts = ? WHERE id = ?').run(
          iso(now),
          ts,
          row.id,
        );
        // A shared file's bytes are not needed any more.
        if (row.op === 'upload') sql('UPDATE outbox_files SET bytes = NULL, completing = 0, completed_at = ? WHERE outbox_id = ?').run(iso(now), row.id);
        if (row.op === 'refresh' && coversUpTo !== undefined && coversUpTo > row.id) {
          sql(
            "UPDATE outbox SET sent_at = ?, slack_ts = ? WHERE lane = ? AND op = 'refresh' AND anchor = ? AND id > ? AND id <= ? AND sent_at IS NULL AND failed_at IS NULL",
          ).run(iso(now), ts, row.lane, row.anchor, row.id, coversUpTo);
        }
      }).immediate();
    },
    retryLater(id, o) {
      const row = sql(
        `UPDATE outbox SET attempts = attempts + ?, last_error = ?, next_attempt_at = ?, claimed_by = NULL, lease_until = NULL
         WHERE id = ? AND claimed_by = ? RETURNING attempts`,
      ).get(o.countAttempt ? 1 : 0, o.error.slice(0, 500), iso(o.at), id, o.owner) as { attempts: number } | undefined;
      return row?.attempts ?? 0;
    },
    fail(id, error, now) {
      db.transaction(() => {
        sql('UPDATE outbox SET failed_at = ?, last_error = ?, claimed_by = NULL, lease_until = NULL, in_doubt = 0 WHERE id = ?').run(iso(now), error.slice(0, 500), id);
        sql('UPDATE outbox_files SET bytes = NULL WHERE outbox_id = ?').run(id);
      }).immediate();
    },
    renew(owner, ids, until) {
      for (const id of ids) sql('UPDATE outbox SET lease_until = ? WHERE id = ? AND claimed_by = ? AND sent_at IS NULL').run(iso(until), id, owner);
    },
    release: (owner) =>
      sql('UPDATE outbox SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = ? AND sent_at IS NULL AND failed_at IS NULL').run(owner).changes,
    stats(now) {
      const r = sql(
        `SELECT
           (SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL) AS pending,
           (SELECT COUNT(*) FROM outbox WHERE failed_at IS NOT NULL) AS failed,
           (SELECT MIN(created_at) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL) AS oldest`,
      ).get() as { pending: number; failed: number; oldest: string | null };
      const oldestPendingSec = r.oldest ? Math.max(0, Math.floor((now.getTime() - new Date(r.oldest).getTime()) / 1000)) : 0;
      return { pending: r.pending, failed: r.failed, oldestPendingSec };
    },
    recentFailures: (limit) => sql('SELECT * FROM outbox WHERE failed_at IS NOT NULL ORDER BY failed_at DESC, id DESC LIMIT ?').all(limit) as OutboxRow[],
    pendingCall: (lane) =>
      (sql("SELECT attempts, last_error FROM outbox WHERE lane = ? AND op = 'call' AND sent_at IS NULL AND failed_at IS NULL ORDER BY id LIMIT 1").get(lane) as
        | { attempts: number; last_error: string | null }
        | undefined) ?? null,
    pendingCount: () => (sql('SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL').get() as { n: number }).n,
    failureTo: (channel, since) =>
      (sql("SELECT COALESCE(last_error, 'failed') AS last_error FROM outbox WHERE channel = ? AND created_at >= ? AND failed_at IS NOT NULL ORDER BY id DESC LIMIT 1").get(channel, iso(since)) as { last_error: string | null } | undefined)
        ?.last_error ?? null,
  };
}
