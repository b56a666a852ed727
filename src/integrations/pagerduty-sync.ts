/**
 * Slack → PagerDuty, so the two never disagree. Decided in the transaction of the change (as the
 * Slack messages are), sent by the outbox:
 * - an alert from any source but PagerDuty pages through the Events API v2 when
 *   `pagerduty.routingKey` is set (dedup key per alert), and is acknowledged and resolved with it;
 * - an alert PagerDuty raised (its v3 webhook) is acknowledged and resolved through the REST API,
 *   `PUT /incidents/{id}` with `From:` the acting person's PagerDuty email.
 * A change PagerDuty already made (it told the bot through the webhook) is not sent back. Calls
 * of one alert go out in order in their own lane, apart from its Slack messages; each is
 * idempotent (a dedup key, a status), so a call whose answer was lost is sent again harmlessly.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { alertSources } from '../alerts/alert-ingest.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { OutboxCall, OutboxRow } from '../db/state/outbox-store.js';
import { pagerdutyLane, type PagerDutyStatus } from '../db/state/pagerduty-store.js';
import { alertAnchor, alertKey, type AlertRecord } from '../db/state/state-records.js';
import type { StateStore, StateTransaction } from '../db/state/state-store.js';
import { bothSinks, type DomainEvent, type EventSink, type PagerDutyAction } from '../incidents/domain-events.js';
import { isSlackUserId } from '../ids.js';
import { MAX_DEDUP_KEY, PagerDutyCallError, pagerdutyEventSchema, type PagerDutyApi, type PagerDutyEvent } from './pagerduty-api.js';
import { pagerdutyFromEmail } from './pagerduty-from-email.js';

export const PAGERDUTY_TARGET = 'pagerduty';
const RANK: Record<PagerDutyStatus, number> = { triggered: 0, acknowledged: 1, resolved: 2 };
const ACTION_OF: Record<PagerDutyStatus, PagerDutyAction> = { triggered: 'page', acknowledged: 'acknowledge', resolved: 'resolve' };

const eventCall = z.object({
  target: z.literal(PAGERDUTY_TARGET),
  kind: z.literal('event'),
  alertName: z.string(),
  event: pagerdutyEventSchema,
});
const statusCall = z.object({
  target: z.literal(PAGERDUTY_TARGET),
  kind: z.literal('incident-status'),
  alertName: z.string(),
  pdIncidentId: z.string().min(1).max(64),
  status: z.enum(['acknowledged', 'resolved']),
  /** The Slack user who did it, or 'bot'. */
  actor: z.string(),
  htmlUrl: z.string().nullable(),
});
export const pagerdutyCallSchema = z.discriminatedUnion('kind', [eventCall, statusCall]);
export type PagerDutyCall = z.infer<typeof pagerdutyCallSchema>;

/** The Events API dedup key of an alert: the same for every source and every repeat of it. */
export function dedupKeyOf(key: string): string {
  const plain = `shadow-atlas/${key}`;
  return plain.length <= MAX_DEDUP_KEY ? plain : `shadow-atlas/${createHash('sha256').update(key).digest('hex')}`;
}

/** The alert's severity in PagerDuty's words (a service's urgency rules may page by it). */
const severityOf = (alert: AlertRecord): 'critical' | 'error' | 'warning' => (alert.severity === 'P0' ? 'critical' : alert.severity === 'P1' ? 'error' : 'warning');

/** The trigger's payload: the alert's name alone as summary, so PagerDuty's incident title is the name Slack shows. */
function triggerPayload(alert: AlertRecord): NonNullable<PagerDutyEvent['payload']> {
  return {
    summary: alert.name.slice(0, 1024),
    source: `shadow-atlas (${alertSources(alert).join(', ') || 'bot'})`,
    severity: severityOf(alert),
    timestamp: alert.fired_at,
    custom_details: { severity: alert.severity, message: alert.message.slice(0, 2000), ...(alert.runbook_url ? { runbook: alert.runbook_url } : {}) },
  };
}


interface Wanted {
  alert: AlertRecord;
  status: PagerDutyStatus;
  actor: string;
  /** The Slack message a failure is shown on. */
  anchor: string;
}

async function wanted(event: DomainEvent, state: StateTransaction): Promise<Wanted[]> {
  const current = async (key: string | null) => (key ? await state.alerts.get(key) : null);
  switch (event.type) {
    case 'alert-raised':
      return [{ alert: event.alert, status: 'triggered', actor: 'bot', anchor: alertAnchor(event.alert) }];
    case 'alert-refired':
      // A new firing of an alert whose incident is open and owned: paged again, and acknowledged at once.
      return [
        { alert: event.alert, status: 'triggered', actor: 'bot', anchor: event.incident.anchor },
        { alert: event.alert, status: 'acknowledged', actor: event.incident.owner_id ?? 'bot', anchor: event.incident.anchor },
      ];
    case 'incident-opened':
      return event.how === 'ack' ? [{ alert: event.alert, status: 'acknowledged', actor: event.alert.acknowledged_by ?? event.incident.owner_id ?? 'bot', anchor: event.incident.anchor }] : [];
    case 'alert-resolved':
      // One page per group: it resolves with the group's last firing alert, not before.
      if (event.alert.group_key && (await state.alerts.firingInGroup(event.alert.group_key)).length > 0) return [];
      return [{ alert: event.alert, status: 'resolved', actor: 'bot', anchor: alertAnchor(event.alert) }];
    case 'alert-group-changed': {
      // The group's last alert resolved: the lead's page (if it resolved before its group) resolves now.
      const lead = await current(event.lead.key);
      if (event.change !== 'resolved' || event.stillFiring.length > 0 || !lead || lead.key === event.alert.key) return [];
      return [{ alert: lead, status: 'resolved', actor: 'bot', anchor: event.incident?.anchor ?? alertAnchor(lead) }];
    }
    case 'incident-resolved': {
      const alert = await current(event.incident.alert_key);
      return alert ? [{ alert, status: 'resolved', actor: event.actor, anchor: event.incident.anchor }] : [];
    }
    case 'alerts-resolved':
    {
      const out: Wanted[] = [];
      for (const name of event.names) {
        const alert = await current(alertKey(name));
        if (alert) out.push({ alert, status: 'resolved', actor: event.actor, anchor: event.incident.anchor });
      }
      return out;
    }
    default:
      return [];
  }
}

/**
 * The PagerDuty calls a domain event asks for, queued in the change's transaction. Paging needs
 * `pagerduty.routingKey`; acknowledging and resolving what PagerDuty raised needs PAGERDUTY_TOKEN
 * (without it the change is shown on the card as not made in PagerDuty).
 */
export function pagerdutyOutbound(config: Pick<Config, 'pagerduty'>): EventSink {
  const paging = config.pagerduty.routingKey !== undefined;
  return {
    async record(tx, event, now) {
      for (const w of await wanted(event, tx)) {
        const { alert, status } = w;
        const link = await tx.pagerduty.currentLink(alert);
        const page = await tx.pagerduty.page(alert.key, alert.fire_count);
        // The incident PagerDuty opened for the bot's own page is that page: told through the Events API.
        const linkIsPage = page !== null && link !== null && link.incident_key === page.dedup_key;
        const calls: PagerDutyCall[] = [];
        const base = { target: PAGERDUTY_TARGET, alertName: alert.name } as const;
        if (status === 'triggered') {
          if (paging && !page && !alertSources(alert).includes('pagerduty')) {
            // The group's key when it has one: one PagerDuty incident per outage, whichever alert led it.
            const dedupKey = dedupKeyOf(alert.group_key ?? alert.key);
            await tx.pagerduty.savePage({ alert_key: alert.key, fire_count: alert.fire_count, dedup_key: dedupKey, status });
            calls.push({ ...base, kind: 'event', event: { event_action: 'trigger', dedup_key: dedupKey, payload: triggerPayload(alert) } });
          }
        } else {
          // What PagerDuty did itself (its webhook told the bot) is not sent back to it.
          const pagerdutyThere = link !== null && RANK[link.status as PagerDutyStatus] >= RANK[status];
          if (page && RANK[page.status] < RANK[status] && !(linkIsPage && pagerdutyThere)) {
            await tx.pagerduty.savePage({ ...page, status });
            calls.push({ ...base, kind: 'event', event: { event_action: status === 'acknowledged' ? 'acknowledge' : 'resolve', dedup_key: page.dedup_key } });
          }
          // An incident PagerDuty raised on its own (another integration): changed through the REST API.
          if (link && !linkIsPage && !pagerdutyThere) {
            await tx.pagerduty.setIncidentStatus(link.pd_incident_id, status);
            calls.push({ ...base, kind: 'incident-status', pdIncidentId: link.pd_incident_id, status, actor: w.actor, htmlUrl: link.html_url });
          }
        }
        for (const call of calls) {
          await tx.outbox.enqueue({ lane: pagerdutyLane(alert.key), op: 'call', anchor: w.anchor, payload: { text: `${ACTION_OF[status]} ${alert.name} in PagerDuty`, call } }, now);
        }
      }
    },
  };
}

/** Whether Slack's changes go to PagerDuty: the bot pages through it, or takes its incidents in. */
export const pagerdutyInUse = (config: Pick<Config, 'pagerduty' | 'env'>): boolean => config.pagerduty.routingKey !== undefined || config.env.PAGERDUTY_WEBHOOK_SECRET !== undefined;

/** Both sinks, in the change's transaction: the Slack side and the PagerDuty side. */
export function withPagerDuty(sink: EventSink, config: Pick<Config, 'pagerduty'>): EventSink {
  const outbound = pagerdutyOutbound(config);
  return bothSinks(sink, outbound);
}

export interface PagerDutySenderOptions {
  state: StateStore;
  config: Pick<Config, 'pagerduty'>;
  api: PagerDutyApi;
  events: EventSink;
  clock: Clock;
  /** A Slack user's email (users.info, scope users:read.email); null when Slack does not say. */
  slackEmailOf?: (userId: string) => Promise<string | null>;
}

/** The outbox's sender of PagerDuty calls (a CallSender of src/slack/outbox-delivery.ts). */
export function pagerdutyCallSender(opts: PagerDutySenderOptions) {
  const { state, config, api, clock } = opts;
  const emailOf = pagerdutyFromEmail(config, api, opts.slackEmailOf);

  /** The PagerDuty email to act as: the person's (mapped, else their Slack email), else pagerduty.fromEmail. */
  async function fromEmail(actor: string): Promise<string> {
    const email = await emailOf(actor);
    if (email) return email;
    const who = isSlackUserId(actor) ? `<@${actor}>` : 'the bot';
    throw new PagerDutyCallError(`no PagerDuty email is known for ${who}: add them to pagerduty.users or set pagerduty.fromEmail`, { status: null, permanent: true });
  }

  const parse = (call: OutboxCall): PagerDutyCall => {
    const parsed = pagerdutyCallSchema.safeParse(call);
    if (!parsed.success) throw new PagerDutyCallError('the queued PagerDuty call is unreadable', { status: null, permanent: true });
    return parsed.data;
  };

  const actionOf = (c: PagerDutyCall): PagerDutyAction =>
    c.kind === 'event' ? (c.event.event_action === 'trigger' ? 'page' : c.event.event_action) : c.status === 'acknowledged' ? 'acknowledge' : 'resolve';

  return {
    async send(raw: OutboxCall) {
      const call = parse(raw);
      if (call.kind === 'event') return api.sendEvent(call.event);
      return api.setIncidentStatus(call.pdIncidentId, call.status, await fromEmail(call.actor));
    },
    failure(err: unknown) {
      if (err instanceof PagerDutyCallError) return { problem: err.problem, permanent: err.opts.permanent, ...(err.opts.retryAfterSec !== undefined ? { retryAfterSec: err.opts.retryAfterSec } : {}) };
      return { problem: `unexpected failure (${(err as Error).message})`, permanent: false };
    },
    async sent(_raw: OutboxCall, row: OutboxRow) {
      if (!row.anchor) return;
      const anchor = row.anchor;
      // The message said "sending…" (or a problem) until now.
      await state.transaction(async (tx) => {
        await tx.pagerduty.clearProblem(anchor);
        await opts.events.record(tx, { type: 'pagerduty-call-progressed', anchor }, clock());
      });
    },
    async retrying(_raw: OutboxCall, row: OutboxRow) {
      if (!row.anchor) return;
      const anchor = row.anchor;
      await state.transaction(async (tx) => await opts.events.record(tx, { type: 'pagerduty-call-progressed', anchor }, clock()));
    },
    async gaveUp(raw: OutboxCall, row: OutboxRow, problem: string) {
      if (!row.anchor) return;
      const anchor = row.anchor;
      const call = pagerdutyCallSchema.safeParse(raw);
      const action = call.success ? actionOf(call.data) : 'acknowledge';
      const alertName = call.success ? call.data.alertName : 'an alert';
      const htmlUrl = call.success && call.data.kind === 'incident-status' ? call.data.htmlUrl : null;
      const now = clock();
      await state.transaction(async (tx) => {
        await tx.pagerduty.setProblem({ anchor, action, problem, html_url: htmlUrl }, now);
        await opts.events.record(tx, { type: 'pagerduty-not-synced', anchor, incident: await tx.incidents.byAnchor(anchor), alertName, action, problem, htmlUrl }, now);
      });
    },
  };
}
