/**
 * An escalation to the tech lead or the CTO pages them through PagerDuty when
 * `escalation.pagerduty` names them, besides the Slack mention: the REST API's `POST /incidents`
 * on the configured service, assigned to their PagerDuty user or escalation policy, `From:` the
 * escalating person's PagerDuty email (else pagerduty.fromEmail). Decided in the escalation's
 * transaction, sent by the outbox in its own lane, tried again with backoff; an `incident_key`
 * per incident and contact makes a resend harmless. A page given up is shown on the card and in
 * the thread, saying to page them by hand.
 */
import { z } from 'zod';
import type { Config } from '../config.js';
import type { OutboxCall, OutboxRow } from '../db/state/outbox-store.js';
import { bothSinks, type EventSink } from '../incidents/domain-events.js';
import { pagerdutyContactOf } from '../incidents/escalation-contacts.js';
import { ESCALATION_TARGET_TEXT } from '../incidents/severity-matrix.js';
import { PagerDutyCallError } from './pagerduty-api.js';
import { pagerdutyFromEmail } from './pagerduty-from-email.js';
import type { PagerDutySenderOptions } from './pagerduty-sync.js';

export const PAGERDUTY_ESCALATION_TARGET = 'pagerduty-escalation';

const escalationCall = z.object({
  target: z.literal(PAGERDUTY_ESCALATION_TARGET),
  incidentId: z.string(),
  to: z.enum(['techlead', 'cto']),
  serviceId: z.string(),
  assignee: z.union([z.object({ user: z.string() }), z.object({ escalationPolicy: z.string() })]),
  title: z.string(),
  details: z.string(),
  urgency: z.enum(['high', 'low']),
  incidentKey: z.string(),
  /** The Slack user who escalated, or a terminal login. */
  actor: z.string(),
});
type EscalationCall = z.infer<typeof escalationCall>;

const laneOf = (incidentId: string) => `pagerduty-escalation:${incidentId}`;

/** The pages an escalation asks for, queued in its transaction. */
export function pagerdutyEscalationOutbound(config: Pick<Config, 'escalation'>): EventSink {
  return {
    async record(tx, event, now) {
      if (event.type !== 'escalated' || (event.target !== 'techlead' && event.target !== 'cto')) return;
      const paged = pagerdutyContactOf(config, event.target);
      if (!paged) return;
      const i = event.incident;
      const who = ESCALATION_TARGET_TEXT[event.target];
      const call: EscalationCall = {
        target: PAGERDUTY_ESCALATION_TARGET,
        incidentId: i.id,
        to: event.target,
        serviceId: paged.serviceId,
        assignee: paged.contact,
        title: `${i.id} (${i.severity}) escalated to the ${who}: ${i.title}`.slice(0, 255),
        details: [`Escalated from Slack by ${event.actor}.`, event.need ? `Immediate need: ${event.need}` : null, i.impact ? `Impact: ${i.impact}` : null].filter(Boolean).join('\n'),
        urgency: i.severity === 'P0' || i.severity === 'P1' ? 'high' : 'low',
        // One page per incident and contact: an escalation repeated, or a send whose answer was lost, pages once.
        incidentKey: `shadow-atlas/escalation/${i.id}/${event.target}`,
        actor: event.actor,
      };
      await tx.outbox.enqueue({ lane: laneOf(i.id), op: 'call', anchor: i.anchor, payload: { text: `page the ${who} for ${i.id} in PagerDuty`, call } }, now);
    },
  };
}

/** The bot's event sink with escalation paging added, when `escalation.pagerduty` is set. */
export function withEscalationPaging(sink: EventSink, config: Pick<Config, 'escalation'>): EventSink {
  if (!config.escalation.pagerduty) return sink;
  const outbound = pagerdutyEscalationOutbound(config);
  return bothSinks(sink, outbound);
}

/** The outbox's sender of escalation pages (a CallSender of src/slack/outbox-delivery.ts). */
export function pagerdutyEscalationSender(opts: PagerDutySenderOptions) {
  const { state, config, api, clock } = opts;
  const emailOf = pagerdutyFromEmail(config, api, opts.slackEmailOf);

  /** The PagerDuty email to page as: the escalating person's, else pagerduty.fromEmail. */
  async function fromEmail(actor: string): Promise<string> {
    const email = await emailOf(actor);
    if (email) return email;
    throw new PagerDutyCallError('no PagerDuty email is known for whoever escalated: add them to pagerduty.users or set pagerduty.fromEmail', { status: null, permanent: true });
  }

  const parse = (raw: OutboxCall): EscalationCall => {
    const parsed = escalationCall.safeParse(raw);
    if (!parsed.success) throw new PagerDutyCallError('the queued escalation page is unreadable', { status: null, permanent: true });
    return parsed.data;
  };

  return {
    async send(raw: OutboxCall) {
      const c = parse(raw);
      await api.createIncident({ title: c.title, serviceId: c.serviceId, assignee: c.assignee, incidentKey: c.incidentKey, details: c.details, urgency: c.urgency }, await fromEmail(c.actor));
    },
    failure(err: unknown) {
      if (err instanceof PagerDutyCallError) return { problem: err.problem, permanent: err.opts.permanent, ...(err.opts.retryAfterSec !== undefined ? { retryAfterSec: err.opts.retryAfterSec } : {}) };
      return { problem: `unexpected failure (${(err as Error).message})`, permanent: false };
    },
    async sent(_raw: OutboxCall, row: OutboxRow) {
      if (!row.anchor) return;
      const anchor = row.anchor;
      await state.transaction(async (tx) => {
        await tx.pagerduty.clearProblem(anchor);
        await opts.events.record(tx, { type: 'pagerduty-call-progressed', anchor }, clock());
      });
    },
    async gaveUp(raw: OutboxCall, row: OutboxRow, problem: string) {
      if (!row.anchor) return;
      const anchor = row.anchor;
      const c = escalationCall.safeParse(raw);
      const name = c.success ? `the ${ESCALATION_TARGET_TEXT[c.data.to]} (escalation of ${c.data.incidentId})` : 'an escalation';
      const now = clock();
      await state.transaction(async (tx) => {
        await tx.pagerduty.setProblem({ anchor, action: 'page', problem, html_url: null }, now);
        await opts.events.record(tx, { type: 'pagerduty-not-synced', anchor, incident: await tx.incidents.byAnchor(anchor), alertName: name, action: 'page', problem, htmlUrl: null }, now);
      });
    },
  };
}
