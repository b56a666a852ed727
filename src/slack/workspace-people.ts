import type { webApi } from '@slack/bolt';
import { classifySlackFailure } from './slack-errors.js';

/** Is this user ID still someone in the workspace? true, false (gone or deactivated), or null (Slack did not say). */
export type UserExists = (userId: string) => Promise<boolean | null>;

const CACHE_MS = 10 * 60_000;

/**
 * users.info (scope users:read) through the app's bounded client, remembered ten minutes: the
 * handoff asks about the same four people every time.
 */
export function workspacePeople(client: () => webApi.WebClient | null, now: () => number = Date.now): UserExists {
  const known = new Map<string, { at: number; exists: boolean }>();
  return async (userId) => {
    const hit = known.get(userId);
    if (hit && now() - hit.at < CACHE_MS) return hit.exists;
    const c = client();
    if (!c) return null;
    try {
      const res = await c.users.info({ user: userId });
      const exists = res.user?.deleted !== true;
      known.set(userId, { at: now(), exists });
      return exists;
    } catch (err) {
      const f = classifySlackFailure(err);
      if (f.kind === 'refused' && f.code === 'user_not_found') {
        known.set(userId, { at: now(), exists: false });
        return false;
      }
      return null;
    }
  };
}

/** A person's time zone (an IANA name such as Asia/Kolkata), or null when Slack did not say. */
export type UserTimeZone = (userId: string) => Promise<string | null>;

type SlackUser = NonNullable<webApi.UsersInfoResponse['user']>;

/** One field of users.info through the app's bounded client, remembered ten minutes; null when Slack did not say. */
function userField(client: () => webApi.WebClient | null, pick: (user: SlackUser) => string | null, now: () => number): (userId: string) => Promise<string | null> {
  const known = new Map<string, { at: number; value: string | null }>();
  return async (userId) => {
    const hit = known.get(userId);
    if (hit && now() - hit.at < CACHE_MS) return hit.value;
    const c = client();
    if (!c) return null;
    try {
      const res = await c.users.info({ user: userId });
      const value = res.user ? pick(res.user) : null;
      known.set(userId, { at: now(), value });
      return value;
    } catch {
      return null;
    }
  };
}

/**
 * users.info's `tz` (scope users:read), remembered ten minutes like `workspacePeople`; a zone
 * Node's Intl does not know counts as none.
 */
export function workspaceTimeZones(client: () => webApi.WebClient | null, now: () => number = Date.now): UserTimeZone {
  return userField(client, (user) => validTimeZone(user.tz), now);
}

/** users.info's `profile.email` (scope users:read.email), remembered ten minutes: whom the bot acts as in PagerDuty. */
export function workspaceEmails(client: () => webApi.WebClient | null, now: () => number = Date.now): (userId: string) => Promise<string | null> {
  return userField(client, (user) => (typeof user.profile?.email === 'string' && user.profile.email.includes('@') ? user.profile.email : null), now);
}

/** The zone if Intl knows it, else null. */
export function validTimeZone(tz: unknown): string | null {
  if (typeof tz !== 'string' || tz === '' || tz.length > 64) return null;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz;
  } catch {
    return null;
  }
}
