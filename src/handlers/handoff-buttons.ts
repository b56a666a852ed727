/**
 * The handoff's buttons: Take over (an incident listed in the handoff becomes the presser's:
 * `own`), Post now (`handoff-post`), and Add notes, which opens the notes form; its submission
 * is `handoff-notes`. All go through the registry, as every button does.
 */
import type { App } from '@slack/bolt';
import type { Actor } from '../commands/command-spec.js';
import { INCIDENT_ID } from '../ids.js';
import { handoffNotes, handoffPeople } from '../handoff/build-handoff.js';
import { HANDOFF_NOTES_ACTION, HANDOFF_POST_NOW_ACTION, HANDOFF_TAKE_OVER_ACTION } from '../templates/handoff-buttons.js';
import { handoffNotesModal } from '../templates/handoff-notes-modal.js';
import { pressSchema, registerRoute, type ButtonRoute } from './buttons.js';
import type { HandlerContext } from './handler-context.js';
import { MALFORMED_PRESS, replyPrivately, unexpectedFailureText } from './reply.js';

const ROUTES: readonly ButtonRoute[] = [
  // One button per incident in a message: Slack wants their action ids unique (`atlas_handoff_take_over:INC-…`).
  { actionId: new RegExp(`^${HANDOFF_TAKE_OVER_ACTION}(:.{1,200})?$`), command: 'own', answer: 'sentence', args: (v) => (INCIDENT_ID.test(v) ? { _: [v] } : null) },
  { actionId: HANDOFF_POST_NOW_ACTION, command: 'handoff-post', answer: 'sentence', args: () => ({ _: [] }) },
];

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Add notes: the form opens only for someone who may save it, filled with the notes so far. */
function registerNotesButton(app: App, ctx: HandlerContext): void {
  app.action({ type: 'block_actions', action_id: HANDOFF_NOTES_ACTION }, async ({ ack, body, respond, client }) => {
    await ack();
    const press = pressSchema.safeParse(body);
    const value = press.success ? press.data.actions.find((a) => a.action_id === HANDOFF_NOTES_ACTION)?.value : undefined;
    if (!press.success || !value || !ISO_INSTANT.test(value)) {
      ctx.logger.warn({ actionId: HANDOFF_NOTES_ACTION }, 'malformed button payload');
      await replyPrivately(ctx.logger, respond, MALFORMED_PRESS);
      return;
    }
    const p = press.data;
    const channel = p.channel?.id ?? p.container?.channel_id;
    const actor: Actor = { source: 'slack', userId: p.user.id, channelId: channel, via: 'button' };
    try {
      const decision = await ctx.registry.allows(actor, 'handoff-notes');
      if (!decision.allowed) {
        await replyPrivately(ctx.logger, respond, decision.reason);
        return;
      }
      const shiftChange = new Date(value);
      const view = handoffNotesModal({
        shiftChange,
        timezone: ctx.deps.rotation.timezone,
        incoming: (await handoffPeople(ctx.deps, shiftChange)).incoming.primary,
        notes: (await handoffNotes(ctx.deps, shiftChange))?.text ?? null,
        channel,
      });
      try {
        await client.views.open({ trigger_id: p.trigger_id, view });
      } catch (err) {
        ctx.logger.warn({ err }, 'could not open the handoff notes form');
        await replyPrivately(ctx.logger, respond, `The form did not open; \`/atlas handoff-notes ${value} --notes "…"\` saves the same notes.`);
      }
    } catch (err) {
      await replyPrivately(ctx.logger, respond, unexpectedFailureText(ctx.logger, err, { userId: actor.userId, actionId: HANDOFF_NOTES_ACTION }));
    }
  });
}

export function registerHandoffButtons(app: App, ctx: HandlerContext): void {
  for (const route of ROUTES) registerRoute(app, ctx, route);
  registerNotesButton(app, ctx);
}
