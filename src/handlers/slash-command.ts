import type { App, RespondFn, webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Actor, CommandDeps } from '../commands/command-spec.js';
import type { CommandRegistry, RunResult } from '../commands/registry.js';
import { quoteInput } from '../text/quote-input.js';
import { tokenize } from '../commands/tokenize.js';
import { SLACK_CHANNEL_ID, SLACK_USER_ID } from '../ids.js';
import type { AckFirstQueue } from '../slack/ack-first-queue.js';
import { escapeMrkdwn } from '../templates/block-kit.js';
import { answerMessage } from './answer-message.js';
import { openModal } from './open-modal.js';
import { unexpectedFailureText } from './reply.js';

/** The one slash command; manifest.yml declares the same name. */
export const SLASH_COMMAND = '/atlas';

/** The fields of a slash-command payload this handler reads. */
const commandSchema = z.object({
  text: z.string().default(''),
  user_id: z.string().regex(SLACK_USER_ID),
  channel_id: z.string().regex(SLACK_CHANNEL_ID),
  trigger_id: z.string().max(255).optional(),
  response_url: z.string().url().max(2000).optional(),
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
 * registry and answers privately through response_url, with "Post to channel".
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
    let working: string | null = null;
    try {
      const parsed = ctx.registry.parse(argv);
      slow = parsed.kind === 'ok' && parsed.spec.slow === true;
      if (parsed.kind === 'ok' && parsed.spec.working) working = parsed.spec.working(parsed.args);
      // Incident commands may open a form, and a trigger_id expires 3 s after the command.
      mayWait = !(parsed.kind === 'ok' && parsed.spec.tier !== 'read');
    } catch (err) {
      ctx.logger.warn({ err }, 'could not pre-parse a slash command');
    }
    if (slow) await ack({ response_type: 'ephemeral', text: working ? `⏳ ${escapeMrkdwn(working)}` : `⏳ Running \`${escapeMrkdwn(quoteInput(argv.join(' '), 60))}\`… the answer follows here` });
    else await ack();
    const actor: Actor = {
      source: 'slack',
      userId: payload.data.user_id,
      channelId: payload.data.channel_id,
      via: 'command',
      ...(payload.data.response_url ? { responseUrl: payload.data.response_url } : {}),
    };
    const modal = payload.data.trigger_id ? { client, triggerId: payload.data.trigger_id } : undefined;
    const work = () => answer(ctx, argv, actor, respond, slow, modal);
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
    const text = unexpectedFailureText(ctx.logger, err, { userId: actor.userId });
    result = { outcome: 'error', report: { command: argv[0] ?? 'help', level: 'error', headline: text, sections: [] } };
  }
  // A command that needs details asks for them in a form. Update, escalate and resolve have not
  // acted yet, so their answer only goes out when the form could not be opened (its headline
  // names the flags); an acknowledgement has happened, so its answer goes out as well.
  const { report } = result;
  if (report.modal && modal && (result.outcome === 'ok' || result.outcome === 'info' || result.outcome === 'warn')) {
    const opened = await openModal(ctx.deps, ctx.logger, modal.client, modal.triggerId, report.modal, actor.channelId);
    if (opened && report.modal.kind !== 'ack-details') return;
  }
  const message = await answerMessage(ctx.deps, ctx.logger, result, actor.userId, ctx.registry.get(report.command)?.tier);
  try {
    await respond({ response_type: 'ephemeral', replace_original: replaceOriginal, text: message.text, blocks: message.blocks });
  } catch (err) {
    // An expired response_url (30 min, 5 uses) or Slack being down: nothing to tell the user through.
    ctx.logger.warn({ err, statusCode: (err as { statusCode?: number }).statusCode, command: report.command, userId: actor.userId }, 'could not deliver the answer to response_url');
  }
}
