/**
 * The incident forms' submissions. Each form stands for a subcommand: its fields become that
 * subcommand's arguments and it runs through the registry (tier, audit), within Slack's 3 s, so
 * that a refusal can be shown next to the field it is about (response_action: errors).
 */
import type { App, types } from '@slack/bolt';
import { z } from 'zod';
import type { RawArgs } from '../commands/registry.js';
import type { Actor } from '../commands/command-spec.js';
import { SLACK_USER_ID } from '../ids.js';
import { firingAlertsPrompt } from '../templates/incident-buttons.js';
import {
  MODAL_CALLBACK,
  modalMetadataSchema,
  PRIMARY_BLOCK,
  readAckDetails,
  readEscalate,
  readResolve,
  readSeverity,
  readStatusUpdate,
  type ModalMetadata,
  type ModalParse,
} from '../templates/incident-modals.js';
import type { ModalRequest } from '../templates/report.js';
import type { HandlerContext } from './handler-context.js';
import { unexpectedFailureText } from './reply.js';

/** The fields of a view_submission payload the handlers read. */
export const submissionSchema = z.object({
  type: z.literal('view_submission'),
  user: z.object({ id: z.string().regex(SLACK_USER_ID) }),
  view: z.object({ callback_id: z.string().max(255), private_metadata: z.string().max(3000), state: z.object({ values: z.unknown() }) }),
});

interface Form<T> {
  command: string;
  read(values: unknown, meta: ModalMetadata): ModalParse<T>;
  args(input: T, meta: ModalMetadata): RawArgs;
}

const FORMS: { [K in ModalRequest['kind']]: Form<never> } = {
  'ack-details': form({ command: 'ack-details', read: (v) => readAckDetails(v), args: (i, m) => ({ _: [m.incidentId], impact: i.impact, eta: i.eta }) }),
  update: form({
    command: 'update',
    read: (v) => readStatusUpdate(v),
    args: (i, m) => ({
      _: [m.incidentId],
      summary: i.summary,
      status: i.status,
      completed: i.completed,
      'in-progress': i.inProgress,
      blocked: i.blocked,
      next: i.nextSteps,
      eta: i.eta,
    }),
  }),
  escalate: form({ command: 'escalate', read: (v, m) => readEscalate(v, m.target), args: (i, m) => ({ _: [m.incidentId, i.target], need: i.need, why: i.why }) }),
  sev: form({ command: 'sev', read: (v) => readSeverity(v), args: (i, m) => ({ _: [m.incidentId, i.severity] }) }),
  resolve: form({ command: 'resolve', read: (v) => readResolve(v), args: (i, m) => ({ _: [m.incidentId], resolution: i.resolution, impact: i.impact }) }),
};

function form<T>(f: Form<T>): Form<never> {
  return f as unknown as Form<never>;
}

/** The domain's field names as the forms' block ids. */
const FIELD_BLOCK: Readonly<Record<string, string>> = { inProgress: 'in_progress', nextSteps: 'next_steps' };

function registerForm(app: App, ctx: HandlerContext, kind: ModalRequest['kind']): void {
  const spec = FORMS[kind] as Form<unknown>;
  const primary = PRIMARY_BLOCK[kind];
  app.view(MODAL_CALLBACK[kind], async ({ ack, body }) => {
    const refuse = (errors: Partial<Record<string, string>>) => ack({ response_action: 'errors', errors: errors as Record<string, string> });
    const payload = submissionSchema.safeParse(body);
    if (!payload.success) {
      ctx.logger.warn({ kind, issues: payload.error.issues.slice(0, 3) }, 'malformed view submission');
      await refuse({ [primary]: 'The form could not be read; open it again.' });
      return;
    }
    let meta: ModalMetadata;
    try {
      meta = modalMetadataSchema.parse(JSON.parse(payload.data.view.private_metadata));
    } catch {
      ctx.logger.warn({ kind }, 'view submission with unreadable private_metadata');
      await refuse({ [primary]: 'This form lost track of its incident; open it again from the incident.' });
      return;
    }
    const values = payload.data.view.state.values;
    const input = spec.read(values, meta);
    if (!input.ok) {
      await refuse(input.errors);
      return;
    }
    const actor: Actor = { source: 'slack', userId: payload.data.user.id, channelId: meta.channel, via: 'modal' };
    let result;
    try {
      result = await ctx.registry.invoke(spec.command, spec.args(input.data, meta), actor, ctx.deps);
    } catch (err) {
      await refuse({ [primary]: unexpectedFailureText(ctx.logger, err, { kind, incidentId: meta.incidentId, userId: actor.userId }) });
      return;
    }
    const { report } = result;
    if (result.outcome === 'usage' || result.outcome === 'denied' || result.outcome === 'error') {
      const blocks = new Set(values && typeof values === 'object' ? Object.keys(values) : []);
      const block = report.field ? (FIELD_BLOCK[report.field] ?? report.field) : primary;
      await refuse({ [blocks.has(block) ? block : primary]: report.headline });
      return;
    }
    await ack();
    if (kind === 'resolve') await offerToResolveAlerts(app, ctx, report.data, actor.userId);
  });
}

const resolvedData = z.object({ incidentId: z.string(), firingAlerts: z.array(z.string()).min(1) });

/** After a resolution that left alerts firing: offer the resolver, privately in the thread, to resolve them. */
async function offerToResolveAlerts(app: App, ctx: HandlerContext, data: unknown, userId: string): Promise<void> {
  const parsed = resolvedData.safeParse(data);
  if (!parsed.success) return;
  const incident = await ctx.deps.state.incidents.get(parsed.data.incidentId);
  const posted = incident ? await ctx.deps.state.slackMessages.get(incident.anchor) : null;
  const channel = posted?.channel ?? ctx.deps.config.channels.incidents;
  if (!channel) return;
  const blocks = firingAlertsPrompt(parsed.data.incidentId, parsed.data.firingAlerts) as types.KnownBlock[];
  try {
    await app.client.chat.postEphemeral({
      channel,
      user: userId,
      text: `${parsed.data.incidentId} is resolved but alerts are still firing`,
      blocks,
      ...(posted ? { thread_ts: posted.ts } : {}),
    });
  } catch (err) {
    ctx.logger.warn({ err, incidentId: parsed.data.incidentId }, 'could not offer to resolve the firing alerts');
  }
}

export function registerModalSubmissions(app: App, ctx: HandlerContext): void {
  for (const kind of Object.keys(FORMS) as ModalRequest['kind'][]) registerForm(app, ctx, kind);
}
