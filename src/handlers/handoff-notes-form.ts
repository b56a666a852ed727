/** The handoff notes form's submission: `handoff-notes` through the registry, a refusal shown under the field. */
import type { App, webApi } from '@slack/bolt';
import type { Actor } from '../commands/command-spec.js';
import { HANDOFF_NOTES_BLOCK, HANDOFF_NOTES_CALLBACK, handoffNotesMetadata, readHandoffNotes, type HandoffNotesMetadata } from '../templates/handoff-notes-modal.js';
import type { HandlerContext } from './handler-context.js';
import { submissionSchema } from './modal-submissions.js';
import { answerPress, unexpectedFailureText } from './reply.js';

async function confirmPrivately(ctx: HandlerContext, client: webApi.WebClient, actor: Actor, text: string): Promise<void> {
  if (actor.channelId) {
    try {
      await client.chat.postEphemeral({ channel: actor.channelId, user: actor.userId, text: `✅ ${text}` });
      return;
    } catch (err) {
      ctx.logger.debug({ err, channel: actor.channelId }, 'could not confirm the handoff notes in the channel; by DM instead');
    }
  }
  await answerPress(ctx.logger, { respond: undefined, client, userId: actor.userId }, `✅ ${text}`);
}

export function registerHandoffNotesForm(app: App, ctx: HandlerContext): void {
  app.view(HANDOFF_NOTES_CALLBACK, async ({ ack, body, client }) => {
    const refuse = (sentence: string) => ack({ response_action: 'errors', errors: { [HANDOFF_NOTES_BLOCK]: sentence } });
    const payload = submissionSchema.safeParse(body);
    let meta: HandoffNotesMetadata | null = null;
    if (payload.success) {
      try {
        meta = handoffNotesMetadata.parse(JSON.parse(payload.data.view.private_metadata));
      } catch {
        meta = null;
      }
    }
    const notes = payload.success ? readHandoffNotes(payload.data.view.state.values) : null;
    if (!payload.success || !meta || notes === null) {
      ctx.logger.warn({ callback: HANDOFF_NOTES_CALLBACK }, 'malformed view submission');
      await refuse('The form could not be read; open it again with `/atlas handoff`.');
      return;
    }
    const actor: Actor = { source: 'slack', userId: payload.data.user.id, channelId: meta.channel, via: 'modal' };
    try {
      const result = await ctx.registry.invoke('handoff-notes', { _: [meta.shiftChange], notes }, actor, ctx.deps);
      if (result.outcome === 'usage' || result.outcome === 'denied' || result.outcome === 'error') {
        await refuse(result.report.headline);
        return;
      }
      await ack();
      // The form closes on its own: say what was saved and when it goes out, where they opened it (else by DM).
      await confirmPrivately(ctx, client, actor, result.report.headline);
    } catch (err) {
      await refuse(unexpectedFailureText(ctx.logger, err, { callback: HANDOFF_NOTES_CALLBACK, userId: actor.userId }));
    }
  });
}
