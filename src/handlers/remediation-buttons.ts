/**
 * Confirm on a remediation's preview: `confirm <token>` through the registry. The preview the
 * button is on is replaced, in order, by the apply's progress lines and then by its outcome
 * (applied, refused, failed, expired, already used: no Confirm button left to press), or by a
 * new preview when the data changed. Progress lines go out one after another and the outcome
 * waits for them, so a late progress line never overwrites the outcome ("verifying 0 %" stuck
 * over "verified, 1.2 GB, 14 s").
 */
import type { App, RespondFn } from '@slack/bolt';
import type { Actor } from '../commands/command-spec.js';
import { REMEDIATION_CONFIRM_ACTION } from '../templates/remediation-messages.js';
import { answerMessage } from './answer-message.js';
import { pressSchema } from './buttons.js';
import type { HandlerContext } from './handler-context.js';
import { answerPress, MALFORMED_PRESS, pressUserId, unexpectedFailureText } from './reply.js';

const TOKEN = /^[A-Za-z0-9_-]{10,64}$/;

/**
 * A response_url takes 5 uses: progress gets at most this many, so the outcome always has one
 * left (a long backup says its first phases, then its end).
 */
const PROGRESS_USES = 3;

/** Replaces the pressed message, one call at a time in the order asked; `settled()` waits for the queue. */
function replacer(ctx: HandlerContext, respond: RespondFn) {
  let queue: Promise<void> = Promise.resolve();
  let progressUsed = 0;
  const progress = (line: string) => {
    if (progressUsed >= PROGRESS_USES) return;
    progressUsed += 1;
    void replace({ text: line });
  };
  const replace = (message: { text: string; blocks?: unknown[] }) => {
    queue = queue.then(() =>
      respond({ response_type: 'ephemeral', replace_original: true, text: message.text, ...(message.blocks ? { blocks: message.blocks as never } : {}) }).then(
        () => undefined,
        (err: unknown) => ctx.logger.debug({ err }, 'could not replace the preview'),
      ),
    );
    return queue;
  };
  return { replace, progress, settled: () => queue };
}

/** The press's response_url, when it carries a well-formed one. */
function responseUrlOf(body: unknown): string | undefined {
  const url = (body as { response_url?: unknown } | null)?.response_url;
  return typeof url === 'string' && url.length <= 2000 && URL.canParse(url) ? url : undefined;
}

export function registerRemediationButtons(app: App, ctx: HandlerContext): void {
  app.action({ type: 'block_actions', action_id: REMEDIATION_CONFIRM_ACTION }, async ({ ack, body, respond, client }) => {
    await ack();
    const press = pressSchema.safeParse(body);
    const value = press.success ? press.data.actions.find((a) => a.action_id === REMEDIATION_CONFIRM_ACTION)?.value : undefined;
    if (!press.success || !value || !TOKEN.test(value)) {
      ctx.logger.warn({ actionId: REMEDIATION_CONFIRM_ACTION, issues: press.success ? 'bad value' : press.error.issues.slice(0, 3) }, 'malformed button payload');
      await answerPress(ctx.logger, { respond, client, userId: pressUserId(body) }, MALFORMED_PRESS);
      return;
    }
    const p = press.data;
    const channelId = p.channel?.id ?? p.container?.channel_id;
    const out = respond ? replacer(ctx, respond) : null;
    // A fresh preview (the data changed) replaces the pressed message: its expiry replaces it through the same URL.
    const responseUrl = responseUrlOf(body);
    const actor: Actor = { source: 'slack', userId: p.user.id, channelId, via: 'button', ...(out ? { progress: out.progress } : {}), ...(responseUrl ? { responseUrl } : {}) };
    try {
      const result = await ctx.registry.invoke('confirm', { _: [value] }, actor, ctx.deps);
      const message = await answerMessage(ctx.deps, ctx.logger, result, actor.userId, ctx.registry.get('confirm')?.tier);
      if (out) {
        await out.settled();
        await out.replace(message);
      } else await answerPress(ctx.logger, { respond, client, userId: actor.userId }, message.text, message.blocks);
    } catch (err) {
      const text = unexpectedFailureText(ctx.logger, err, { userId: actor.userId, actionId: REMEDIATION_CONFIRM_ACTION });
      if (out) await out.replace({ text });
      else await answerPress(ctx.logger, { respond, client, userId: actor.userId }, text);
    }
  });
}
