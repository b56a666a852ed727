/**
 * Replaces a message through its response_url, as an outbox call (op `call`): the delivery loop's
 * lanes, leases and backoff carry it like any other. Replacing a message with the same words is
 * idempotent, so a call whose answer was lost is simply sent again. The URL lets anyone post to
 * the message for 30 minutes: it is never logged, and never part of a failure's sentence.
 */
import { z } from 'zod';
import type { OutboxCall } from '../db/state/outbox-store.js';
import type { CallFailure, CallSender } from './outbox-delivery.js';

/** The outbox call target: a message replaced through its response_url. */
export const RESPONSE_URL_TARGET = 'slack-response-url';

/** What is queued: where, and what the message becomes (no buttons unless the blocks carry them). */
export const responseUrlCallSchema = z.object({
  target: z.literal(RESPONSE_URL_TARGET),
  url: z.string().url(),
  text: z.string(),
  blocks: z.array(z.unknown()).optional(),
});
export type ResponseUrlCall = z.infer<typeof responseUrlCallSchema>;

class ResponseUrlError extends Error {
  constructor(readonly failure: CallFailure) {
    super(failure.problem);
  }
}

export interface ResponseUrlSenderOptions {
  fetch?: typeof fetch;
  /** Time bound of one post. */
  timeoutMs?: number;
}

export function responseUrlSender(opts: ResponseUrlSenderOptions = {}): CallSender {
  const doFetch = opts.fetch ?? ((...args: Parameters<typeof fetch>) => globalThis.fetch(...args));
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return {
    async send(raw: OutboxCall) {
      const parsed = responseUrlCallSchema.safeParse(raw);
      if (!parsed.success) throw new ResponseUrlError({ problem: 'the queued message replacement is unreadable', permanent: true });
      const call = parsed.data;
      let res: Response;
      try {
        res = await doFetch(call.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ replace_original: true, text: call.text, ...(call.blocks ? { blocks: call.blocks } : {}) }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        throw new ResponseUrlError({ problem: `Slack did not answer (${(err as Error).name})`, permanent: false });
      }
      await res.text().catch(() => '');
      if (res.ok) return;
      if (res.status === 429) {
        const after = Number(res.headers.get('retry-after'));
        throw new ResponseUrlError({ problem: 'Slack asked to slow down', permanent: false, retryAfterSec: Number.isFinite(after) && after > 0 ? after : 30 });
      }
      // 404 / 410: the response_url expired or was used up; another try cannot help.
      throw new ResponseUrlError({ problem: `Slack refused the replacement (HTTP ${res.status})`, permanent: res.status < 500 });
    },
    failure(err: unknown): CallFailure {
      if (err instanceof ResponseUrlError) return err.failure;
      return { problem: `unexpected failure (${(err as Error).message})`, permanent: false };
    },
    sent() {},
    // The message stays as it was; a press on its Confirm still answers that it expired.
    gaveUp() {},
  };
}
