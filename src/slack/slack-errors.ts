import { webApi } from '@slack/bolt';

/** Slack error codes that no retry will fix. */
const PERMANENT = new Set([
  'channel_not_found', 'not_in_channel', 'is_archived', 'invalid_auth', 'account_inactive', 'token_revoked',
  'msg_too_long', 'invalid_blocks', 'no_text', 'restricted_action', 'missing_scope', 'not_authed', 'thread_not_found',
  'invalid_metadata_format', 'invalid_metadata_schema', 'msg_blocks_too_long', 'cant_update_message', 'invalid_arguments',
  // A DM to someone who left, is deactivated or cannot be written to (conversations.open).
  'user_not_found', 'users_not_found', 'user_disabled', 'user_not_visible', 'cannot_dm_bot',
]);

/**
 * What a failed Web API call means for delivery:
 * - `refused`: Slack answered ok:false; nothing was posted. `permanent` when no retry can help.
 * - `rate-limited`: HTTP 429; nothing was posted; try again after `retryAfterSec`.
 * - `unknown`: a timeout, a dropped connection or an HTTP error: the call may or may not have
 *   reached Slack, so a post is in doubt until the channel's history says otherwise.
 */
export type SlackFailure =
  | { kind: 'refused'; code: string; permanent: boolean }
  | { kind: 'rate-limited'; retryAfterSec: number }
  | { kind: 'unknown'; code: string };

export function classifySlackFailure(err: unknown): SlackFailure {
  const e = err as { code?: unknown; data?: { error?: unknown }; retryAfter?: unknown; statusCode?: unknown; message?: unknown };
  if (e?.code === webApi.ErrorCode.PlatformError) {
    const code = typeof e.data?.error === 'string' ? e.data.error : 'unknown_error';
    return { kind: 'refused', code, permanent: PERMANENT.has(code) };
  }
  if (e?.code === webApi.ErrorCode.RateLimitedError) {
    const after = typeof e.retryAfter === 'number' && e.retryAfter > 0 ? e.retryAfter : 1;
    return { kind: 'rate-limited', retryAfterSec: after };
  }
  if (e?.code === webApi.ErrorCode.HTTPError) return { kind: 'unknown', code: `http_${String(e.statusCode ?? '?')}` };
  if (e?.code === webApi.ErrorCode.RequestError) return { kind: 'unknown', code: 'request_failed' };
  // Our own refusals (no channel configured) carry a code like Slack's.
  if (typeof e?.code === 'string') return { kind: 'refused', code: e.code, permanent: PERMANENT.has(e.code) };
  return { kind: 'unknown', code: err instanceof Error ? err.message.slice(0, 100) : String(err).slice(0, 100) };
}

/** One sentence about a failed Web API call; never contains the token. */
export function describeSlackError(err: unknown): string {
  const f = classifySlackFailure(err);
  if (f.kind === 'refused') return `Slack refused the call: ${f.code}`;
  if (f.kind === 'rate-limited') return `Slack rate-limited the call (retry after ${f.retryAfterSec} s)`;
  const e = err as { statusCode?: number; original?: Error; message?: string };
  if (f.code.startsWith('http_')) return `Slack answered HTTP ${e.statusCode ?? '?'}`;
  return `could not reach Slack: ${e?.original?.message ?? e?.message ?? 'request failed'}`;
}
