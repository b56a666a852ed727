import { randomBytes } from 'node:crypto';
import type { RespondFn, types } from '@slack/bolt';
import type { Logger } from 'pino';

/** An answer only the person who acted sees, next to what they pressed; a failure to answer is logged, never thrown. */
export async function replyPrivately(logger: Logger, respond: RespondFn, text: string, blocks?: types.KnownBlock[]): Promise<void> {
  try {
    await respond({ response_type: 'ephemeral', replace_original: false, text, ...(blocks ? { blocks } : {}) });
  } catch (err) {
    // An expired response_url (30 min, 5 uses) or Slack being down: nobody to tell.
    logger.warn({ err, statusCode: (err as { statusCode?: number }).statusCode }, 'could not answer through response_url');
  }
}

/** Logs an unexpected failure under a fresh error id and returns the sentence that names it. */
export function unexpectedFailureText(logger: Logger, err: unknown, context: Record<string, unknown>): string {
  const errorId = randomBytes(4).toString('hex');
  logger.error({ err, errorId, ...context }, 'unexpected failure in a Slack handler');
  return `The bot failed unexpectedly (error id ${errorId}); the log has the detail. The slash commands still work.`;
}

export const MALFORMED_PRESS = 'That button press could not be read; try the slash command instead (`/atlas help`).';
