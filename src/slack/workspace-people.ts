import type { webApi } from '@slack/bolt';
import { classifySlackFailure } from './slack-errors.js';

/** Is this user ID still someone in the workspace? true, false (gone or deactivated), or null (Slack did not say). */
export type UserExists = (userId: string) => Promise<boolean | null>;

const CACHE_MS = 10 * 60_000;

/** A person's time zone (an IANA name such as Asia/Kolkata), or null when Slack did not say. */
export type UserTimeZone = (userId: string) => Promise<string | null>;

/** A person's name as Slack shows it (display name, else real name, else the handle), or null when Slack did not say. */
export type UserName = (userId: string) => Promise<string | null>;

/** A person's email, or null when Slack did not say. */
export type UserEmail = (userId: string) => Promise<string | null>;

type SlackUser = NonNullable<webApi.UsersInfoResponse['user']>;

/** What the bot asks Slack about people, answered from one users.info per person and ten minutes. */
export interface WorkspacePeople {
  /** users.info (scope users:read): the handoff asks about the same four people every time. */
  exists: UserExists;
  /** users.info's `tz`; a zone Node's Intl does not know counts as none. */
  timeZone: UserTimeZone;
  /** users.info's `profile.email` (scope users:read.email): whom the bot acts as in PagerDuty. */
  email: UserEmail;
  /** users.info's `profile.display_name`, else `real_name`, else `name`: how people know each other. */
  name: UserName;
}

/**
 * users.info through the app's bounded client, remembered ten minutes per person: the handoff,
 * the night-page count and PagerDuty ask about the same few people, once between them.
 */
export function workspacePeople(client: () => webApi.WebClient | null, now: () => number = Date.now): WorkspacePeople {
  /** A user, or 'gone' when Slack knows no such user. */
  const known = new Map<string, { at: number; user: SlackUser | 'gone' }>();
  const lookup = async (userId: string): Promise<SlackUser | 'gone' | null> => {
    const hit = known.get(userId);
    if (hit && now() - hit.at < CACHE_MS) return hit.user;
    const c = client();
    if (!c) return null;
    try {
      const res = await c.users.info({ user: userId });
      if (!res.user) return null;
      known.set(userId, { at: now(), user: res.user });
      return res.user;
    } catch (err) {
      const f = classifySlackFailure(err);
      if (f.kind === 'refused' && f.code === 'user_not_found') {
        known.set(userId, { at: now(), user: 'gone' });
        return 'gone';
      }
      return null;
    }
  };
  const field = <T>(pick: (user: SlackUser) => T | null) => async (userId: string): Promise<T | null> => {
    const user = await lookup(userId);
    return user && user !== 'gone' ? pick(user) : null;
  };
  return {
    async exists(userId) {
      const user = await lookup(userId);
      return user === null ? null : user !== 'gone' && user.deleted !== true;
    },
    timeZone: field((user) => validTimeZone(user.tz)),
    email: field((user) => (typeof user.profile?.email === 'string' && user.profile.email.includes('@') ? user.profile.email : null)),
    name: field((user) => nameOf(user)),
  };
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

/** The name people see: the display name they chose, else their real name, else the handle. */
function nameOf(user: SlackUser): string | null {
  for (const candidate of [user.profile?.display_name, user.profile?.real_name, user.real_name, user.name]) {
    const name = typeof candidate === 'string' ? candidate.replace(/\s+/g, ' ').trim() : '';
    if (name !== '') return name.slice(0, 80);
  }
  return null;
}
