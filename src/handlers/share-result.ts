import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { claimSharedResult, putBackSharedResult, type ClaimResult } from '../db/shared-results.js';
import type { StateDb } from '../db/state-db.js';
import { renderBlocks, SHARE_ACTION_ID } from '../templates/block-kit.js';

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

/** The fields of a block_actions payload the share button reads. */
const shareActionSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().regex(SLACK_USER_ID) }),
  actions: z
    .array(z.object({ action_id: z.string().max(255), value: z.string().max(2000).optional() }))
    .min(1),
});

export const SHARE_MESSAGES = {
  expired: 'That result is no longer available (results can be posted for 24 h); run the command again and post the new answer.',
  notYours: 'Only the person who ran the command can post this result to the channel.',
  malformed: 'That button press could not be read; run the command again.',
} as const;

export interface ShareResultContext {
  state: StateDb;
  clock: Clock;
  logger: Logger;
}

/**
 * The "Post to channel" button: posts the stored report into the channel through the action's
 * response_url (which also removes the ephemeral original), with "shared by @user".
 */
export function registerShareResult(app: App, ctx: ShareResultContext): void {
  app.action({ type: 'block_actions', action_id: SHARE_ACTION_ID }, async ({ ack, body, respond }) => {
    await ack();
    const say = async (text: string) => {
      try {
        await respond({ response_type: 'ephemeral', replace_original: false, text });
      } catch (err) {
        ctx.logger.warn({ err }, 'could not answer a share button press');
      }
    };
    const parsed = shareActionSchema.safeParse(body);
    const action = parsed.success ? parsed.data.actions.find((a) => a.action_id === SHARE_ACTION_ID) : undefined;
    if (!parsed.success || !action?.value) {
      ctx.logger.warn({ issues: parsed.success ? 'no value' : parsed.error.issues.slice(0, 3) }, 'malformed share button payload');
      await say(SHARE_MESSAGES.malformed);
      return;
    }
    const userId = parsed.data.user.id;
    const now = ctx.clock();
    let claim: ClaimResult;
    try {
      claim = claimSharedResult(ctx.state, action.value, userId, now);
    } catch (err) {
      ctx.logger.error({ err }, 'could not read shared_results in chatops.db');
      await say('The bot could not read its own database (chatops.db); try again in a minute.');
      return;
    }
    if (claim.kind !== 'ok') {
      if (claim.kind === 'malformed') ctx.logger.warn({ shareId: action.value }, 'stored shared result failed validation');
      await say(claim.kind === 'not-yours' ? SHARE_MESSAGES.notYours : claim.kind === 'malformed' ? SHARE_MESSAGES.malformed : SHARE_MESSAGES.expired);
      return;
    }
    const message = renderBlocks(claim.report, { sharedBy: userId });
    try {
      await respond({ response_type: 'in_channel', delete_original: true, text: message.text, blocks: message.blocks });
      ctx.logger.info({ command: claim.report.command, userId }, 'result shared to channel');
    } catch (err) {
      ctx.logger.warn({ err, statusCode: (err as { statusCode?: number }).statusCode }, 'could not post a shared result');
      try {
        putBackSharedResult(ctx.state, action.value, claim.report, userId, claim.createdAt);
      } catch (putBackErr) {
        ctx.logger.error({ err: putBackErr }, 'could not restore a shared result');
      }
    }
  });
}
