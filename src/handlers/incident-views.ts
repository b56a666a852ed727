import { randomBytes } from 'node:crypto';
import type { App, types } from '@slack/bolt';
import { z } from 'zod';
import { IncidentError } from '../incidents/incident-store.js';
import { escalate, IncidentInputError, postStatusUpdate, resolveIncident, setAckDetails } from '../incidents/incident-service.js';
import {
  MODAL_CALLBACK,
  modalMetadataSchema,
  PRIMARY_BLOCK,
  readAckDetails,
  readEscalate,
  readResolve,
  readStatusUpdate,
  type ModalMetadata,
  type ModalParse,
} from '../templates/incident-modals.js';
import { firingAlertsPrompt } from '../templates/nudge-messages.js';
import type { ModalRequest } from '../templates/report.js';
import { flushOutbox, notAResponder, type IncidentHandlerContext, type ResponderCheck } from './incident-actions.js';

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

/** The fields of a view_submission payload the modal handlers read. */
const submissionSchema = z.object({
  type: z.literal('view_submission'),
  user: z.object({ id: z.string().regex(SLACK_USER_ID) }),
  view: z.object({
    callback_id: z.string().max(255),
    private_metadata: z.string().max(3000),
    state: z.object({ values: z.unknown() }),
  }),
});

type Errors = Partial<Record<string, string>>;

/** What one modal does on submission: read its fields, then call its service function. */
interface ModalSpec<T> {
  kind: ModalRequest['kind'];
  doing: string;
  read(values: unknown, meta: ModalMetadata): ModalParse<T>;
  submit(input: T, meta: ModalMetadata, userId: string): Promise<{ after?: () => Promise<void> }>;
}

/** The service's field names, as the modals' block ids. */
const FIELD_BLOCK: Readonly<Record<string, string>> = { inProgress: 'in_progress', nextSteps: 'next_steps' };

/**
 * Where a service's refusal shows: next to the field it names (an ETA it could not read) when
 * that field is in this modal, else next to the modal's main field.
 */
function errorBlock(kind: ModalRequest['kind'], err: IncidentError, blocks: ReadonlySet<string>): string {
  if (err instanceof IncidentInputError) {
    const block = FIELD_BLOCK[err.field] ?? err.field;
    if (blocks.has(block)) return block;
  }
  return PRIMARY_BLOCK[kind];
}

function registerModal<T>(app: App, ctx: IncidentHandlerContext, isResponder: ResponderCheck, spec: ModalSpec<T>): void {
  const primary = PRIMARY_BLOCK[spec.kind];
  app.view(MODAL_CALLBACK[spec.kind], async ({ ack, body }) => {
    const refuse = (errors: Errors) => ack({ response_action: 'errors', errors: errors as Record<string, string> });
    const payload = submissionSchema.safeParse(body);
    if (!payload.success) {
      ctx.logger.warn({ kind: spec.kind, issues: payload.error.issues.slice(0, 3) }, 'malformed view submission');
      await refuse({ [primary]: 'The form could not be read; open it again.' });
      return;
    }
    let meta: ModalMetadata;
    try {
      meta = modalMetadataSchema.parse(JSON.parse(payload.data.view.private_metadata));
    } catch {
      ctx.logger.warn({ kind: spec.kind }, 'view submission with unreadable private_metadata');
      await refuse({ [primary]: 'This form lost track of its incident; open it again from the incident.' });
      return;
    }
    const userId = payload.data.user.id;
    if (!(await isResponder(userId))) {
      ctx.logger.info({ userId, kind: spec.kind, incidentId: meta.incidentId }, 'modal submission refused: not a responder');
      await refuse({ [primary]: notAResponder(spec.doing) });
      return;
    }
    const values = payload.data.view.state.values;
    const input = spec.read(values, meta);
    if (!input.ok) {
      await refuse(input.errors);
      return;
    }
    let after: (() => Promise<void>) | undefined;
    try {
      after = (await spec.submit(input.data, meta, userId)).after;
    } catch (err) {
      if (err instanceof IncidentError) {
        const blocks = new Set(values && typeof values === 'object' ? Object.keys(values) : []);
        await refuse({ [errorBlock(spec.kind, err, blocks)]: err.message });
        return;
      }
      const errorId = randomBytes(4).toString('hex');
      ctx.logger.error({ err, errorId, userId, kind: spec.kind, incidentId: meta.incidentId }, 'modal submission failed');
      await refuse({ [primary]: `The bot failed unexpectedly (error id ${errorId}); the log has the detail.` });
      return;
    }
    await ack();
    await flushOutbox(ctx);
    if (after) {
      try {
        await after();
      } catch (err) {
        ctx.logger.warn({ err, kind: spec.kind, incidentId: meta.incidentId }, 'follow-up after a modal failed');
      }
    }
  });
}

/**
 * The four incident modals' submissions: ack details, status update, escalation, resolution.
 * Each validates the form and its metadata, enforces the incident tier, calls its service
 * function, and answers field errors in the modal itself (response_action: errors).
 */
export function registerIncidentViews(app: App, ctx: IncidentHandlerContext, isResponder: ResponderCheck): void {
  const { deps } = ctx;

  registerModal(app, ctx, isResponder, {
    kind: 'ack-details',
    doing: 'Updating incidents',
    read: (values) => readAckDetails(values),
    async submit(input, meta, userId) {
      await setAckDetails(deps, meta.incidentId, input, userId);
      return {};
    },
  });

  registerModal(app, ctx, isResponder, {
    kind: 'update',
    doing: 'Posting updates',
    read: (values) => readStatusUpdate(values),
    async submit(input, meta, userId) {
      await postStatusUpdate(deps, meta.incidentId, input, userId);
      return {};
    },
  });

  registerModal(app, ctx, isResponder, {
    kind: 'escalate',
    doing: 'Escalating',
    read: (values, meta) => readEscalate(values, meta.target),
    async submit(input, meta, userId) {
      await escalate(deps, meta.incidentId, input.target, { need: input.need, why: input.why }, userId);
      return {};
    },
  });

  registerModal(app, ctx, isResponder, {
    kind: 'resolve',
    doing: 'Resolving incidents',
    read: (values) => readResolve(values),
    async submit(input, meta, userId) {
      const result = await resolveIncident(deps, meta.incidentId, input, userId);
      const firing = result.firingAlerts ?? [];
      const channel = result.incident.channel_id ?? deps.config.channels.incidents;
      if (firing.length === 0 || !channel) return {};
      // Offer the resolver, privately, to resolve what still fires.
      return {
        after: async () => {
          const prompt = firingAlertsPrompt(result.incident.id, firing);
          await app.client.chat.postEphemeral({
            channel,
            user: userId,
            text: prompt.text,
            blocks: prompt.blocks as types.KnownBlock[],
            ...(result.incident.root_ts ? { thread_ts: result.incident.root_ts } : {}),
          });
        },
      };
    },
  });
}
