import { randomBytes } from 'node:crypto';
import type { App, RespondFn, types, webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import { z } from 'zod';
import { createAuthorizer } from '../commands/authorize.js';
import type { CommandDeps } from '../commands/command-spec.js';
import type { Config } from '../config.js';
import { findIncident, IncidentError, openIncidents } from '../incidents/incident-store.js';
import {
  acknowledgeAlert,
  attachToTimeline,
  markReviewDone,
  resolveFiringAlerts,
} from '../incidents/incident-service.js';
import { ALERT_ACK_ACTION } from '../templates/alert-message.js';
import { ESCALATION_TARGETS, modalFor } from '../templates/incident-modals.js';
import {
  attachToIncidentBlock,
  INCIDENT_ATTACH_ACTION,
  INCIDENT_ESCALATE_ACTION,
  INCIDENT_RESOLVE_ALERTS_ACTION,
  INCIDENT_REVIEW_DONE_ACTION,
  INCIDENT_UPDATE_ACTION,
} from '../templates/nudge-messages.js';
import type { ModalRequest, Report } from '../templates/report.js';

/** Whether a Slack user may act on incidents (tier 'incident'). */
export type ResponderCheck = (userId: string) => Promise<boolean>;

/**
 * The incident tier for buttons and modals, the same rule as the registry's: configured
 * responders by user ID, or members of the configured user groups (usergroups.users.list).
 */
export function responderCheck(app: App, config: Config): ResponderCheck {
  const authorize = createAuthorizer(config, async (usergroup) => (await app.client.usergroups.users.list({ usergroup })).users ?? []);
  return (userId) => authorize({ source: 'slack', userId }, 'incident');
}

export interface IncidentHandlerContext {
  deps: CommandDeps;
  logger: Logger;
}

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;
const INCIDENT_ID = /^INC-\d{8}-\d{1,4}$/;

/** The fields of a block_actions payload the incident buttons read. */
const buttonPayloadSchema = z.object({
  type: z.literal('block_actions'),
  trigger_id: z.string().min(1).max(255),
  user: z.object({ id: z.string().regex(SLACK_USER_ID) }),
  actions: z.array(z.object({ action_id: z.string().max(255), value: z.string().max(2000).optional() })).min(1),
});

export const BUTTON_MESSAGES = {
  malformed: 'That button press could not be read; try the slash command instead (`/atlas help`).',
} as const;

export interface ButtonPress {
  userId: string;
  value: string;
  triggerId: string;
  client: webApi.WebClient;
  /** An ephemeral answer to the presser only. */
  say(text: string, blocks?: types.KnownBlock[]): Promise<void>;
}

export interface ButtonSpec {
  actionId: string | RegExp;
  /** "Acknowledging": the subject of the refusal sentence for non-responders. */
  doing: string;
  /** The button's value, validated. */
  value: z.ZodType<string>;
  press(p: ButtonPress): Promise<void>;
}

/** "Acknowledging is for responders; ask the on-call lead to add you in the bot's config." */
export function notAResponder(doing: string): string {
  return `${doing} is for responders; ask the on-call lead to add you in the bot's config.`;
}

/**
 * Registers one button: ack at once, validate the payload, enforce the incident tier, run the
 * press. An IncidentError's sentence goes back to the presser ephemerally; anything else gets an
 * error id that is also in the log.
 */
export function onButton(app: App, ctx: IncidentHandlerContext, isResponder: ResponderCheck, spec: ButtonSpec): void {
  app.action({ type: 'block_actions', action_id: spec.actionId }, async ({ ack, body, respond, client }) => {
    await ack();
    const say = async (text: string, blocks?: types.KnownBlock[]) => ephemeral(ctx.logger, respond, text, blocks);
    const parsed = buttonPayloadSchema.safeParse(body);
    const action = parsed.success
      ? parsed.data.actions.find((a) => (typeof spec.actionId === 'string' ? a.action_id === spec.actionId : spec.actionId.test(a.action_id)))
      : undefined;
    const value = spec.value.safeParse(action?.value);
    if (!parsed.success || !value.success) {
      ctx.logger.warn({ actionId: String(spec.actionId), issues: parsed.success ? 'bad value' : parsed.error.issues.slice(0, 3) }, 'malformed button payload');
      await say(BUTTON_MESSAGES.malformed);
      return;
    }
    const userId = parsed.data.user.id;
    if (!(await isResponder(userId))) {
      ctx.logger.info({ userId, actionId: String(spec.actionId) }, 'button refused: not a responder');
      await say(notAResponder(spec.doing));
      return;
    }
    try {
      await spec.press({ userId, value: value.data, triggerId: parsed.data.trigger_id, client, say });
    } catch (err) {
      if (err instanceof IncidentError) {
        await say(err.message);
        return;
      }
      const errorId = randomBytes(4).toString('hex');
      ctx.logger.error({ err, errorId, userId, actionId: String(spec.actionId) }, 'incident button failed');
      await say(`The bot failed unexpectedly (error id ${errorId}); the log has the detail. The slash commands still work.`);
    }
  });
}

async function ephemeral(logger: Logger, respond: RespondFn, text: string, blocks?: types.KnownBlock[]): Promise<void> {
  try {
    await respond({ response_type: 'ephemeral', replace_original: false, text, ...(blocks ? { blocks } : {}) });
  } catch (err) {
    logger.warn({ err, statusCode: (err as { statusCode?: number }).statusCode }, 'could not answer a button press');
  }
}

/** Delivers what a state change enqueued; a Slack failure leaves it queued for the scheduler. */
export async function flushOutbox(ctx: IncidentHandlerContext): Promise<void> {
  try {
    await ctx.deps.outbox.flush();
  } catch (err) {
    ctx.logger.warn({ err }, 'outbox flush after an interaction failed; the scheduler retries');
  }
}

/** Opens a modal with a click's trigger_id; false (logged) when Slack refuses, e.g. an expired trigger. */
export async function openModal(ctx: IncidentHandlerContext, client: webApi.WebClient, triggerId: string, request: ModalRequest): Promise<boolean> {
  try {
    const incident = findIncident(ctx.deps.state, request.incidentId);
    await client.views.open({ trigger_id: triggerId, view: modalFor(request, incident) });
    return true;
  } catch (err) {
    if (err instanceof IncidentError) throw err;
    ctx.logger.warn({ err, kind: request.kind, incidentId: request.incidentId }, 'could not open a modal');
    return false;
  }
}

const incidentIdValue = z.string().regex(INCIDENT_ID);
const alertKeyValue = z.string().min(1).max(200);
const escalateValue = z.string().regex(new RegExp(`^INC-\\d{8}-\\d{1,4}:(${ESCALATION_TARGETS.join('|')})$`));
const attachValueSchema = z.object({
  incidentId: z.string().regex(INCIDENT_ID),
  command: z.string().min(1).max(60),
  headline: z.string().min(1).max(1500),
});
const attachValue = z.string().refine((s) => {
  try {
    return attachValueSchema.safeParse(JSON.parse(s)).success;
  } catch {
    return false;
  }
});

/**
 * The incident buttons: Acknowledge on an alert (then the impact/ETA modal), Escalate and Post
 * update on nudges (open their modals), Resolve firing alerts after a resolution, Review done on
 * the review reminder, and "Add to INC-…" on diagnostic answers.
 */
export function registerIncidentActions(app: App, ctx: IncidentHandlerContext, isResponder: ResponderCheck): void {
  const { deps } = ctx;

  onButton(app, ctx, isResponder, {
    actionId: ALERT_ACK_ACTION,
    doing: 'Acknowledging',
    value: alertKeyValue,
    async press({ userId, value, triggerId, client, say }) {
      const result = await acknowledgeAlert(deps, value, userId);
      // Right after the transaction: a trigger_id lives for 3 seconds.
      const opened = await openModal(ctx, client, triggerId, { kind: 'ack-details', incidentId: result.incident.id });
      if (!opened) await say(`${result.message} Add impact and the next update time with \`/atlas update ${result.incident.id}\`.`);
      await flushOutbox(ctx);
    },
  });

  onButton(app, ctx, isResponder, {
    actionId: INCIDENT_ESCALATE_ACTION,
    doing: 'Escalating',
    value: escalateValue,
    async press({ value, triggerId, client, say }) {
      const [incidentId, target] = value.split(':') as [string, string];
      findIncident(deps.state, incidentId, { mustBeOpen: true });
      if (!(await openModal(ctx, client, triggerId, { kind: 'escalate', incidentId, target }))) {
        await say(`The form did not open; run \`/atlas escalate ${incidentId} ${target} --need "…"\` instead.`);
      }
    },
  });

  onButton(app, ctx, isResponder, {
    actionId: INCIDENT_UPDATE_ACTION,
    doing: 'Posting updates',
    value: incidentIdValue,
    async press({ value, triggerId, client, say }) {
      findIncident(deps.state, value, { mustBeOpen: true });
      if (!(await openModal(ctx, client, triggerId, { kind: 'update', incidentId: value }))) {
        await say(`The form did not open; run \`/atlas update ${value} --summary "…"\` instead.`);
      }
    },
  });

  onButton(app, ctx, isResponder, {
    actionId: INCIDENT_RESOLVE_ALERTS_ACTION,
    doing: 'Resolving alerts',
    value: incidentIdValue,
    async press({ userId, value, say }) {
      const result = await resolveFiringAlerts(deps, value, userId);
      await say(result.message);
      await flushOutbox(ctx);
    },
  });

  onButton(app, ctx, isResponder, {
    actionId: INCIDENT_REVIEW_DONE_ACTION,
    doing: 'Marking reviews done',
    value: incidentIdValue,
    async press({ userId, value, say }) {
      const result = await markReviewDone(deps, value, userId);
      await say(result.message);
      await flushOutbox(ctx);
    },
  });

  onButton(app, ctx, isResponder, {
    actionId: INCIDENT_ATTACH_ACTION,
    doing: 'Adding to an incident timeline',
    value: attachValue,
    async press({ userId, value, say }) {
      const { incidentId, command, headline } = attachValueSchema.parse(JSON.parse(value));
      const result = await attachToTimeline(deps, incidentId, { headline, command }, userId);
      await say(result.message);
      await flushOutbox(ctx);
    },
  });
}

/** Commands whose answers are about incidents already, or carry no result worth attaching. */
const NOT_ATTACHABLE = new Set(['help', 'incidents', 'timeline', 'review']);

/**
 * The "Add to INC-…" block for a diagnostic answer, when exactly one incident is open (with
 * several, the engineer attaches with a command naming one). Null when it does not apply.
 */
export function attachOffer(deps: CommandDeps, report: Report, tier: string | undefined): types.KnownBlock | null {
  if (tier === undefined || tier === 'incident' || NOT_ATTACHABLE.has(report.command) || report.modal || report.level === 'error') return null;
  let open: ReturnType<typeof openIncidents>;
  try {
    open = openIncidents(deps.state);
  } catch {
    return null;
  }
  if (open.length !== 1) return null;
  return attachToIncidentBlock(open[0]!.id, report.command, report.headline);
}
