import { randomBytes } from 'node:crypto';
import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { Actor } from '../commands/command-spec.js';
import type { RunResult } from '../commands/registry.js';
import { ALERT_HEALTH_ACTION } from '../templates/alert-message.js';
import { renderBlocks } from '../templates/block-kit.js';
import type { HandlerContext } from './register-handlers.js';
import { saveSharedResult } from '../db/shared-results.js';

/** The fields of the Health button's block_actions payload that the handler reads. */
const healthClickSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().regex(/^[UW][A-Z0-9]{2,}$/) }),
  channel: z.object({ id: z.string().regex(/^[A-Z0-9]{2,30}$/) }).optional(),
});

export const HEALTH_BUTTON_MESSAGES = {
  malformed: 'That button press could not be read; run `/atlas health` instead.',
} as const;

/**
 * The alert message's Health button: runs the registry's `health` for whoever clicked (tier
 * read, so anyone; the registry authorizes and audits as for `/atlas health`) and answers only
 * to them, leaving the alert message as it is.
 */
export function registerAlertHealthButton(app: App, ctx: HandlerContext): void {
  app.action({ type: 'block_actions', action_id: ALERT_HEALTH_ACTION }, async ({ ack, body, respond }) => {
    await ack();
    const parsed = healthClickSchema.safeParse(body);
    if (!parsed.success) {
      ctx.logger.warn({ issues: parsed.error.issues.slice(0, 3) }, 'malformed Health button payload');
      await respond({ response_type: 'ephemeral', replace_original: false, text: HEALTH_BUTTON_MESSAGES.malformed }).catch((err: unknown) =>
        ctx.logger.warn({ err }, 'could not answer a Health button press'),
      );
      return;
    }
    const actor: Actor = { source: 'slack', userId: parsed.data.user.id, channelId: parsed.data.channel?.id };
    let result: RunResult;
    try {
      result = await ctx.registry.run(['health'], actor, ctx.deps);
    } catch (err) {
      // The registry promises never to throw; the clicker still gets an answer if it does.
      const errorId = randomBytes(4).toString('hex');
      ctx.logger.error({ err, errorId, userId: actor.userId }, 'Health button failed outside the registry');
      result = {
        outcome: 'error',
        errorId,
        report: { command: 'health', level: 'error', headline: `health failed unexpectedly (error id ${errorId}); the log has the detail.`, sections: [] },
      };
    }
    let shareId: string | undefined;
    if (result.outcome !== 'denied' && result.outcome !== 'usage') {
      try {
        shareId = saveSharedResult(ctx.deps.state, result.report, actor.userId, ctx.deps.clock());
      } catch (err) {
        ctx.logger.warn({ err }, 'could not store the health result for sharing');
      }
    }
    const message = renderBlocks(result.report, { shareId });
    try {
      await respond({ response_type: 'ephemeral', replace_original: false, text: message.text, blocks: message.blocks });
    } catch (err) {
      ctx.logger.warn({ err, statusCode: (err as { statusCode?: number }).statusCode, userId: actor.userId }, 'could not deliver the Health answer');
    }
  });
}
