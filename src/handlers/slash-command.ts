import { randomBytes } from 'node:crypto';
import type { App, RespondFn, webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Actor, CommandDeps } from '../commands/command-spec.js';
import { quoteInput, type CommandRegistry, type RunResult } from '../commands/registry.js';
import { tokenize } from '../commands/tokenize.js';
import { escapeMrkdwn, renderBlocks } from '../templates/block-kit.js';
import { resolveAlertsOffer } from '../templates/nudge-messages.js';
import { attachOffer, flushOutbox, openModal } from './incident-actions.js';
import type { AckFirstQueue } from '../slack/ack-first-queue.js';
import { saveSharedResult } from '../db/shared-results.js';

/** The one slash command; manifest.yml declares the same name. */
export const SLASH_COMMAND = '/atlas';

/** The fields of a slash-command payload this handler reads. */
const commandSchema = z.object({
  text: z.string().default(''),
  user_id: z.string().regex(/^[UW][A-Z0-9]{2,}$/),
  channel_id: z.string().regex(/^[A-Z0-9]{2,30}$/),
  trigger_id: z.string().max(255).optional(),
});

/**
 * Slack sends `&`, `<` and `>` of the typed text as entities; the registry wants what the
 * user typed (`&amp;` last, so "&amp;lt;" stays "&lt;").
 */
export function commandTextFromSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

export interface SlashCommandContext {
  registry: CommandRegistry;
  deps: CommandDeps;
  logger: Logger;
  /** Where the work after an acknowledgement waits while other requests await theirs. */
  afterAcks: AckFirstQueue;
}

/**
 * `/atlas <text>`: acknowledges first (a slow command's ack says it is running), then runs the
 * registry and answers ephemerally through response_url with a "Post to channel" button.
 */
export function registerSlashCommand(app: App, ctx: SlashCommandContext): void {
  app.command(SLASH_COMMAND, async ({ command, ack, respond, client }) => {
    const payload = commandSchema.safeParse(command);
    if (!payload.success) {
      ctx.logger.warn({ issues: payload.error.issues.slice(0, 3) }, 'malformed slash command payload');
      await ack({ response_type: 'ephemeral', text: 'That command could not be read; try `/atlas help`.' });
      return;
    }
    const argv = tokenize(commandTextFromSlack(payload.data.text));
    // Parsing is pure and cheap; it only decides whether the ack says "running…" and whether
    // the answer may wait behind other acknowledgements.
    let slow = false;
    let mayWait = true;
    try {
      const parsed = ctx.registry.parse(argv);
      slow = parsed.kind === 'ok' && parsed.spec.slow === true;
      // Incident commands may open a modal, and a trigger_id expires 3 s after the command.
      mayWait = !(parsed.kind === 'ok' && parsed.spec.tier !== 'read');
    } catch (err) {
      ctx.logger.warn({ err }, 'could not pre-parse a slash command');
    }
    if (slow) {
      await ack({ response_type: 'ephemeral', text: `⏳ Running \`${escapeMrkdwn(quoteInput(argv.join(' '), 60))}\`… the answer follows here` });
    } else {
      await ack();
    }
    const actor: Actor = { source: 'slack', userId: payload.data.user_id, channelId: payload.data.channel_id };
    const modal = payload.data.trigger_id ? { client, triggerId: payload.data.trigger_id } : undefined;
    const work = async () => {
      await answer(ctx, argv, actor, respond, slow, modal);
      // Incident commands enqueue thread posts and card edits; deliver them now, not at the next sweep.
      await flushOutbox(ctx);
    };
    if (mayWait) ctx.afterAcks.enqueue(work);
    else await work();
  });
}

async function answer(
  ctx: SlashCommandContext,
  argv: string[],
  actor: Actor,
  respond: RespondFn,
  replaceOriginal: boolean,
  modal?: { client: webApi.WebClient; triggerId: string },
): Promise<void> {
  let result: RunResult;
  try {
    result = await ctx.registry.run(argv, actor, ctx.deps);
  } catch (err) {
    // The registry promises never to throw; if it does, the user still gets an answer.
    const errorId = randomBytes(4).toString('hex');
    ctx.logger.error({ err, errorId, userId: actor.userId }, 'slash command failed outside the registry');
    result = {
      outcome: 'error',
      errorId,
      report: {
        command: argv[0] ?? 'help',
        level: 'error',
        headline: `The bot failed unexpectedly (error id ${errorId}); the log has the detail. Other subcommands still work.`,
        sections: [],
      },
    };
  }
  // A command that needs details asks for them in a modal. Update, escalate and resolve have not
  // acted yet, so their answer only goes out when the modal could not be opened (its headline
  // names the flags); an acknowledgement has happened, so its answer goes out as well.
  if (result.report.modal && modal && result.outcome !== 'usage' && result.outcome !== 'denied' && result.outcome !== 'error') {
    try {
      if ((await openModal(ctx, modal.client, modal.triggerId, result.report.modal)) && result.report.modal.kind !== 'ack-details') return;
    } catch (err) {
      ctx.logger.warn({ err, modal: result.report.modal.kind }, 'could not open the modal a command asked for');
    }
  }
  let shareId: string | undefined;
  if (result.outcome !== 'usage' && result.outcome !== 'denied') {
    try {
      shareId = saveSharedResult(ctx.deps.state, result.report, actor.userId, ctx.deps.clock());
    } catch (err) {
      // Without its row the answer simply has no share button.
      ctx.logger.warn({ err }, 'could not store the result for sharing');
    }
  }
  const message = renderBlocks(result.report, { shareId });
  const attach = result.outcome === 'usage' || result.outcome === 'denied' ? null : attachOffer(ctx.deps, result.report, ctx.registry.get(result.report.command)?.tier);
  if (attach && message.blocks.length < 50) message.blocks.push(attach);
  const offer = resolveAlertsOffer(result.report);
  if (offer.length > 0 && message.blocks.length + offer.length <= 50) message.blocks.push(...offer);
  try {
    await respond({ response_type: 'ephemeral', replace_original: replaceOriginal, text: message.text, blocks: message.blocks });
  } catch (err) {
    // An expired response_url (30 min, 5 uses) or Slack being down: nothing to tell the user through.
    ctx.logger.warn(
      { err, statusCode: (err as { statusCode?: number }).statusCode, command: result.report.command, userId: actor.userId },
      'could not deliver the answer to response_url',
    );
  }
}
