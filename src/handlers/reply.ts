import { randomBytes } from 'node:crypto';
import type { RespondFn, types, webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import { SLACK_USER_ID } from '../ids.js';

/** An answer only the person who acted sees, next to what they pressed; a failure to answer is logged, never thrown. */
export async function replyPrivately(logger: Logger, respond: RespondFn, text: string, blocks?: types.KnownBlock[]): Promise<void> {
  try {
    await respond({ response_type: 'ephemeral', replace_original: false, text, ...(blocks ? { blocks } : {}) });
  } catch (err) {
    // An expired response_url (30 min, 5 uses) or Slack being down: nobody to tell.
    logger.warn({ err, statusCode: (err as { statusCode?: number }).statusCode }, 'could not answer through response_url');
  }
}

/** Who pressed, and the ways back to them: the press's response_url (Bolt's `respond`, absent for a view) and the Web API. */
export interface PressOrigin {
  /** Undefined when the payload carried no response_url: a press on the Home tab or in a modal. */
  respond: RespondFn | undefined;
  client: webApi.WebClient;
  /** Undefined only when the payload could not be read at all. */
  userId: string | undefined;
}

/** The presser's user id from a payload that did not pass its schema, when it has a well-formed one. */
export function pressUserId(body: unknown): string | undefined {
  const id = (body as { user?: { id?: unknown } } | null)?.user?.id;
  return typeof id === 'string' && SLACK_USER_ID.test(id) ? id : undefined;
}

/**
 * An answer only the person who pressed sees: next to what they pressed (response_url) when the
 * press came from a message; as a DM from the bot when it came from a view, which has no
 * response_url (a channel given as a user id posts into the app's DM with them). A failure to
 * answer is logged, never thrown.
 */
export async function answerPress(logger: Logger, origin: PressOrigin, text: string, blocks?: types.KnownBlock[]): Promise<void> {
  if (origin.respond) {
    await replyPrivately(logger, origin.respond, text, blocks);
    return;
  }
  if (!origin.userId) {
    logger.warn('a press without a response_url or a user: nobody to answer');
    return;
  }
  try {
    await origin.client.chat.postMessage({ channel: origin.userId, text, ...(blocks ? { blocks } : {}) });
  } catch (err) {
    logger.warn({ err, userId: origin.userId }, 'could not answer a press by DM');
  }
}

/** Logs an unexpected failure under a fresh error id and returns the sentence that names it. */
export function unexpectedFailureText(logger: Logger, err: unknown, context: Record<string, unknown>): string {
  const errorId = randomBytes(4).toString('hex');
  logger.error({ err, errorId, ...context }, 'unexpected failure in a Slack handler');
  return `The bot failed unexpectedly (error id ${errorId}); the log has the detail. The slash commands still work.`;
}

export const MALFORMED_PRESS = 'That button press could not be read; try the slash command instead (`/atlas help`).';
