
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
