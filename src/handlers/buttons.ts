/**
 * Every button the bot puts in Slack stands for a subcommand. A press is read, turned into that
 * subcommand's arguments and run through the registry (the same tier check and audit row as the
 * slash command); its answer goes privately to whoever pressed, or opens the form it asks for.
 */
import type { App, RespondFn } from '@slack/bolt';
import { z } from 'zod';
import type { RawArgs, RunResult } from '../commands/registry.js';
import { putBackSharedResult } from '../commands/shared-results.js';
import type { SharedClaim } from '../commands/share-commands.js';
import type { Actor } from '../commands/command-spec.js';
import { INCIDENT_ID, SLACK_CHANNEL_ID, SLACK_USER_ID } from '../ids.js';
import { ESCALATION_TARGETS } from '../incidents/severity-matrix.js';
import { renderBlocks, SHARE_ACTION_ID } from '../templates/block-kit.js';
import {
  ALERT_ACK_ACTION,
  ALERT_HEALTH_ACTION,
  CARD_ESCALATE_ACTION,
  CARD_REOPEN_ACTION,
  CARD_RESOLVE_ACTION,
  CARD_REVIEW_ACTION,
  CARD_SEVERITY_ACTION,
  CARD_TAKE_OVER_ACTION,
  CARD_UPDATE_ACTION,
  INCIDENT_ATTACH_ACTION,
  INCIDENT_DEBRIEF_DONE_ACTION,
  INCIDENT_ESCALATE_ACTION,
  INCIDENT_HAND_SECONDARY_ACTION,
  INCIDENT_RESOLVE_ALERTS_ACTION,
  INCIDENT_REVIEW_DONE_ACTION,
  INCIDENT_UPDATE_ACTION,
  SNOOZE_MINUTES,
  TIMER_SNOOZE_ACTION,
} from '../templates/incident-buttons.js';
import { dmChannelOf } from '../slack/dm-channels.js';
import { answerMessage } from './answer-message.js';
import { openModal } from './open-modal.js';
import type { HandlerContext } from './handler-context.js';
import { answerPress, MALFORMED_PRESS, pressUserId, replyPrivately, unexpectedFailureText } from './reply.js';

/** The fields of a block_actions payload the buttons read. */
export const pressSchema = z.object({
  type: z.literal('block_actions'),
  trigger_id: z.string().min(1).max(255),
  user: z.object({ id: z.string().regex(SLACK_USER_ID) }),
  channel: z.object({ id: z.string().regex(SLACK_CHANNEL_ID) }).nullish(),
  container: z.object({ channel_id: z.string().regex(SLACK_CHANNEL_ID).optional() }).nullish(),
  view: z.object({ type: z.string().max(40) }).nullish(),
  actions: z.array(z.object({ action_id: z.string().max(255), value: z.string().max(2000).optional() })).min(1),
});

/** A long apply's progress line replaces the message pressed (its buttons go with it: nothing to press twice). */
function progressTo(ctx: HandlerContext, respond: RespondFn): (line: string) => void {
  return (line) => {
    respond({ response_type: 'ephemeral', replace_original: true, text: line }).catch((err: unknown) => ctx.logger.debug({ err }, 'could not show progress'));
  };
}

export interface ButtonRoute {
  actionId: string | RegExp;
  command: string;
  /** The subcommand's arguments from the button's value; null when the value is not one of ours. */
  args(value: string): RawArgs | null;
  /** The subcommand may say how far it got, replacing the pressed message (a remediation's Confirm). */
  progress?: boolean;
  /** 'report': the whole answer (a diagnostic); 'sentence': its first line; 'modal': open the form it asks for. */
  answer: 'report' | 'sentence' | 'modal';
}

const incidentId = (v: string): RawArgs | null => (INCIDENT_ID.test(v) ? { _: [v] } : null);
const attachValue = z.object({ incidentId: z.string().regex(INCIDENT_ID), command: z.string().min(1).max(60), headline: z.string().min(1).max(1500) });

export const ROUTES: readonly ButtonRoute[] = [
  { actionId: ALERT_ACK_ACTION, command: 'ack', answer: 'modal', args: (v) => (v.trim() && v.length <= 200 ? { _: [v] } : null) },
  { actionId: ALERT_HEALTH_ACTION, command: 'health', answer: 'report', args: () => ({ _: [] }) },
  {
    actionId: INCIDENT_ESCALATE_ACTION,
    command: 'escalate',
    answer: 'modal',
    args: (v) => {
      const [id = '', target = ''] = v.split(':');
      return INCIDENT_ID.test(id) && (ESCALATION_TARGETS as readonly string[]).includes(target) ? { _: [id, target] } : null;
    },
  },
  { actionId: INCIDENT_UPDATE_ACTION, command: 'update', answer: 'modal', args: incidentId },
  { actionId: INCIDENT_RESOLVE_ALERTS_ACTION, command: 'resolve-alerts', answer: 'sentence', args: incidentId },
  { actionId: INCIDENT_REVIEW_DONE_ACTION, command: 'review-done', answer: 'sentence', args: incidentId },
  { actionId: INCIDENT_DEBRIEF_DONE_ACTION, command: 'debrief-done', answer: 'sentence', args: incidentId },
  {
    actionId: INCIDENT_HAND_SECONDARY_ACTION,
    command: 'own',
    answer: 'sentence',
    args: (v) => {
      const [id = '', user = ''] = v.split(':');
      return INCIDENT_ID.test(id) && SLACK_USER_ID.test(user) ? { _: [id, user] } : null;
    },
  },
  {
    actionId: INCIDENT_ATTACH_ACTION,
    command: 'attach',
    answer: 'sentence',
    args: (v) => {
      try {
        const a = attachValue.parse(JSON.parse(v));
        return { _: [a.incidentId], command: a.command, headline: a.headline };
      } catch {
        return null;
      }
    },
  },
  // The status card: the same subcommands (and forms) as typed, with the card's incident.
  { actionId: CARD_UPDATE_ACTION, command: 'update', answer: 'modal', args: incidentId },
  { actionId: CARD_ESCALATE_ACTION, command: 'escalate', answer: 'modal', args: incidentId },
  { actionId: CARD_SEVERITY_ACTION, command: 'sev', answer: 'modal', args: incidentId },
  { actionId: CARD_RESOLVE_ACTION, command: 'resolve', answer: 'modal', args: incidentId },
  { actionId: CARD_TAKE_OVER_ACTION, command: 'own', answer: 'sentence', args: incidentId },
  { actionId: CARD_REOPEN_ACTION, command: 'reopen', answer: 'sentence', args: incidentId },
  { actionId: CARD_REVIEW_ACTION, command: 'review', answer: 'report', args: incidentId },
  {
    // `atlas_timer_snooze:30` and its siblings (Slack wants action ids unique within a block).
    actionId: new RegExp(`^${TIMER_SNOOZE_ACTION}(:\\d{1,4})?$`),
    command: 'snooze',
    answer: 'sentence',
    args: (v) => {
      const m = new RegExp(`^(\\d{1,12}):(${SNOOZE_MINUTES.join('|')})$`).exec(v);
      return m ? { _: [m[1]!, m[2]!] } : null;
    },
  },
];

export function registerRoute(app: App, ctx: HandlerContext, route: ButtonRoute): void {
  app.action({ type: 'block_actions', action_id: route.actionId }, async ({ ack, body, respond, client }) => {
    await ack();
    const press = pressSchema.safeParse(body);
    const action = press.success ? press.data.actions.find((a) => (typeof route.actionId === 'string' ? a.action_id === route.actionId : route.actionId.test(a.action_id))) : undefined;
    const args = action?.value !== undefined ? route.args(action.value) : null;
    if (!press.success || !args) {
      ctx.logger.warn({ actionId: String(route.actionId), issues: press.success ? 'bad value' : press.error.issues.slice(0, 3) }, 'malformed button payload');
      await answerPress(ctx.logger, { respond, client, userId: pressUserId(body) }, MALFORMED_PRESS);
      return;
    }
    const p = press.data;
    // A press on the Home tab has no channel: the Home is the person's DM with the bot.
    const channelId = p.channel?.id ?? p.container?.channel_id ?? (p.view?.type === 'home' ? await dmChannelOf(client, p.user.id) : undefined);
    const actor: Actor = { source: 'slack', userId: p.user.id, channelId, via: 'button', ...(route.progress && respond ? { progress: progressTo(ctx, respond) } : {}) };
    try {
      const result = await ctx.registry.invoke(route.command, args, actor, ctx.deps);
      const { report } = result;
      const acted = result.outcome !== 'usage' && result.outcome !== 'denied' && result.outcome !== 'error';
      if (route.answer === 'modal' && acted && report.modal) {
        // Right after the command: a trigger_id lives for 3 seconds.
        if (await openModal(ctx.deps, ctx.logger, client, p.trigger_id, report.modal, actor.channelId)) return;
        // The form's own command (ack-details after an acknowledgement: `ack` itself would now be refused).
        const form = ctx.registry.get(report.modal.kind);
        const how = form ? `\`${ctx.registry.usageLine(form, '/atlas')}\` takes the same details as flags` : 'the slash command takes the same details as flags';
        await answerPress(ctx.logger, { respond, client, userId: actor.userId }, `${report.headline} The form did not open; ${how}.`);
        return;
      }
      if (route.answer === 'report') {
        const message = await answerMessage(ctx.deps, ctx.logger, result, actor.userId, ctx.registry.get(route.command)?.tier);
        await answerPress(ctx.logger, { respond, client, userId: actor.userId }, message.text, message.blocks);
        return;
      }
      await answerPress(ctx.logger, { respond, client, userId: actor.userId }, report.headline);
    } catch (err) {
      await answerPress(ctx.logger, { respond, client, userId: actor.userId }, unexpectedFailureText(ctx.logger, err, { userId: actor.userId, actionId: String(route.actionId) }));
    }
  });
}

/** "Post to channel": the stored answer goes to the channel (replacing the private one), "shared by" whoever pressed. */
function registerShareButton(app: App, ctx: HandlerContext): void {
  app.action({ type: 'block_actions', action_id: SHARE_ACTION_ID }, async ({ ack, body, respond }) => {
    await ack();
    const press = pressSchema.safeParse(body);
    const value = press.success ? press.data.actions.find((a) => a.action_id === SHARE_ACTION_ID)?.value : undefined;
    if (!press.success || !value) {
      ctx.logger.warn({ issues: press.success ? 'no value' : press.error.issues.slice(0, 3) }, 'malformed share button payload');
      await replyPrivately(ctx.logger, respond, MALFORMED_PRESS);
      return;
    }
    const userId = press.data.user.id;
    const actor: Actor = { source: 'slack', userId, channelId: press.data.channel?.id ?? press.data.container?.channel_id, via: 'button' };
    let result: RunResult;
    try {
      result = await ctx.registry.invoke('share', { _: [value] }, actor, ctx.deps);
    } catch (err) {
      await replyPrivately(ctx.logger, respond, unexpectedFailureText(ctx.logger, err, { userId, actionId: SHARE_ACTION_ID }));
      return;
    }
    const claim = result.report.data as SharedClaim | undefined;
    if (result.outcome === 'error' || result.outcome === 'denied' || result.outcome === 'usage' || !claim) {
      await replyPrivately(ctx.logger, respond, result.report.headline);
      return;
    }
    const { data: _data, ...shared } = result.report;
    const message = renderBlocks(shared, { sharedBy: userId });
    try {
      await respond({ response_type: 'in_channel', replace_original: false, text: message.text, blocks: message.blocks });
      ctx.logger.info({ command: shared.command, userId }, 'result shared to channel');
    } catch (err) {
      ctx.logger.warn({ err, statusCode: (err as { statusCode?: number }).statusCode }, 'could not post a shared result');
      try {
        await putBackSharedResult(ctx.deps.state, claim.shareId, shared, userId, claim.createdAt);
      } catch (putBackErr) {
        ctx.logger.error({ err: putBackErr }, 'could not restore a shared result');
      }
      return;
    }
    // Slack takes delete_original only on its own (a message sent with it is dropped), so the private copy goes in a second call.
    try {
      await respond({ delete_original: true });
    } catch (err) {
      ctx.logger.warn({ err, statusCode: (err as { statusCode?: number }).statusCode }, 'could not remove the private answer after sharing it');
    }
  });
}

export function registerButtons(app: App, ctx: HandlerContext): void {
  for (const route of ROUTES) registerRoute(app, ctx, route);
  registerShareButton(app, ctx);
}
