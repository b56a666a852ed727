import { randomBytes } from 'node:crypto';

export type Clock = () => Date;

/**
 * Message timestamps as Slack writes them, "<epoch seconds>.<6 digits>", from the injected
 * clock, strictly increasing: two messages in the same microsecond (or a clock that stands
 * still, or goes back) still get distinct, ordered ts values.
 */
export function tsClock(clock: Clock): () => string {
  let last = 0;
  return () => {
    const micros = Math.max(clock().getTime() * 1000, last + 1);
    last = micros;
    return microsToTs(micros);
  };
}

export function microsToTs(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000);
  return `${seconds}.${String(micros % 1_000_000).padStart(6, '0')}`;
}

/** A Slack ts as microseconds, for ordering and range filters; NaN when it is not one. */
export function tsToMicros(ts: string): number {
  const m = /^(\d+)(?:\.(\d{1,6}))?$/.exec(ts);
  if (!m) return Number.NaN;
  return Number(m[1]) * 1_000_000 + Number((m[2] ?? '').padEnd(6, '0'));
}

export function isSlackTs(value: string): boolean {
  return /^\d+\.\d{6}$/.test(value);
}

/** Upper-case Slack-style ids: a prefix letter and a counter, e.g. V0000000001, D0000000002. */
export function idSequence(prefix: string): () => string {
  let n = 0;
  return () => {
    n += 1;
    return `${prefix}${String(n).padStart(10, '0')}`;
  };
}

/** A trigger id in Slack's shape, "<digits>.<digits>.<hex>". */
export function newTriggerId(now: Date, n: number): string {
  return `${Math.floor(now.getTime() / 1000)}.${n}.${randomBytes(16).toString('hex')}`;
}

export function randomToken(): string {
  return randomBytes(12).toString('hex');
}

const BLOCK_ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Blocks as Slack stores them: one without a block_id gets a short random one (as messages read
 * back from Slack show), so that a block_actions payload can name the block it came from.
 */
export function withBlockIds<T>(blocks: T): T {
  if (!Array.isArray(blocks)) return blocks;
  return blocks.map((block: unknown) => {
    if (typeof block !== 'object' || block === null || (block as { block_id?: unknown }).block_id !== undefined) return block;
    const id = [...randomBytes(5)].map((b) => BLOCK_ID_CHARS[b % BLOCK_ID_CHARS.length]).join('');
    return { ...block, block_id: id };
  }) as T;
}
