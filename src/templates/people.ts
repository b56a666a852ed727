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
