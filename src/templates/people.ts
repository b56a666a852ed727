import { isSlackUserId } from '../ids.js';
import { safeMrkdwn } from './block-kit.js';

/** A person in mrkdwn: a Slack mention for a user ID, the escaped name otherwise (terminal users). */
export function mention(userId: string | null | undefined): string {
  if (!userId) return 'nobody';
  return isSlackUserId(userId) ? `<@${userId}>` : safeMrkdwn(userId, 80);
}

/** A person in a report's plain text: `<@U…>` for Slack users (both renderers show it), the name otherwise. */
export function userRef(userId: string | null | undefined): string {
  if (!userId) return 'nobody';
  return isSlackUserId(userId) ? `<@${userId}>` : userId;
}

/** Who an ID is, in words: their name when known, else the ID; a terminal login name stays itself. */
export type PersonName = (userId: string | null | undefined) => string;

/** Without names (nobody asked Slack): IDs as they are. */
export const idsAsNames: PersonName = (id) => (!id ? 'nobody' : id);

/** Slack user IDs in free text (timeline lines say "Owner U0A → U0B"): at least one digit, so words in capitals are left alone. */
export const USER_ID_WORD = /\b[UW](?=[A-Z0-9]*\d)[A-Z0-9]{6,}\b/g;

/** The Slack user IDs a text mentions. */
export function userIdsIn(text: string): string[] {
  return [...text.matchAll(USER_ID_WORD)].map((m) => m[0]);
}

/** Replaces each Slack user ID in `text` by `name(id)`. */
export function withNames(text: string, name: PersonName): string {
  return text.replace(USER_ID_WORD, (id) => name(id));
}

/** A Slack mention, `<@U…>` or `<@U…|label>`. */
const MENTION = /<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>/g;

/** The Slack user IDs a text mentions or names bare. */
export function peopleIn(text: string): string[] {
  return [...[...text.matchAll(MENTION)].map((m) => m[1]!), ...userIdsIn(text)];
}

/**
 * Text read outside Slack (the terminal): each mention `<@U…>` and each bare user ID becomes the
 * person's name; when no name is known a mention reads `@U…` (as the handoff file has it) and a
 * bare ID stays itself.
 */
export function namedOutsideSlack(text: string, name: PersonName): string {
  const mentioned = text.replace(MENTION, (_, id: string) => {
    const known = name(id);
    return known === id ? `@${id}` : known;
  });
  // An `@U…` left for someone unknown stays as it is: their name is still not known.
  return withNames(mentioned, name);
}
