/**
 * The PagerDuty calls the bot makes besides reading schedules: a user's email (REST), an
 * incident's status (REST, `From:` a PagerDuty user's email) and an event (Events API v2). Each
 * call tries once, bounded in time; the outbox retries. A failure is a PagerDutyCallError that
 * says whether trying again can help and, in one sentence, what is wrong.
 */
import { z } from 'zod';
import type { Config } from '../config.js';

/** How long one call may take, answer included. */
export const PAGERDUTY_CALL_TIMEOUT_MS = 10_000;
/** PagerDuty sends no Retry-After with its 429s: wait this long before the next try. */
export const PAGERDUTY_RATE_LIMIT_WAIT_SEC = 30;

export class PagerDutyCallError extends Error {
  override name = 'PagerDutyCallError';
  constructor(
    /** One sentence for the card: what PagerDuty said, or why it could not be asked. */
    readonly problem: string,
    readonly opts: { status: number | null; permanent: boolean; retryAfterSec?: number },
  ) {
    super(problem);
  }
}

export type PagerDutyIncidentStatus = 'acknowledged' | 'resolved';

/** Events API v2 dedup keys are at most 255 characters. */
export const MAX_DEDUP_KEY = 255;

/** An Events API v2 event without its routing key (added when sent). `payload` only for trigger. */
export const pagerdutyEventSchema = z.object({
  event_action: z.enum(['trigger', 'acknowledge', 'resolve']),
  dedup_key: z.string().min(1).max(MAX_DEDUP_KEY),
  payload: z
    .object({
      summary: z.string().max(1024),
      source: z.string(),
      severity: z.enum(['critical', 'error', 'warning', 'info']),
      timestamp: z.string().optional(),
      custom_details: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
});
export type PagerDutyEvent = z.infer<typeof pagerdutyEventSchema>;

/** One page of `GET /oncalls`, as PagerDuty answered it (its entries checked by the caller). */
export interface OnCallsPage {
  oncalls: unknown[];
  more: boolean;
  /** The page size PagerDuty used. */
  limit: number;
}

export interface PagerDutyApi {
  /** `GET /oncalls?schedule_ids[]=…&since=…&until=…`, one page of 100 from `offset`. */
  onCalls(scheduleIds: readonly string[], since: Date, until: Date, offset: number): Promise<OnCallsPage>;
  /** `GET /users/{id}` → the user's email; null when PagerDuty knows no such user. */
  userEmail(pdUserId: string): Promise<string | null>;
  /** `PUT /incidents/{id}`; an incident already resolved counts as done. */
  setIncidentStatus(pdIncidentId: string, status: PagerDutyIncidentStatus, fromEmail: string): Promise<void>;
  /** `POST /v2/enqueue` with the routing key. */
  sendEvent(event: PagerDutyEvent): Promise<void>;
  /**
   * `POST /incidents` (REST, `From:` a PagerDuty user's email): an incident on a service, assigned
   * to a user or an escalation policy, which pages them. `incident_key` makes a repeat harmless:
   * PagerDuty refuses a second open incident with the same key, and that counts as done.
   */
  createIncident(incident: NewPagerDutyIncident, fromEmail: string): Promise<{ id: string; htmlUrl: string | null } | null>;
}

/** An incident the bot opens in PagerDuty to page one person or policy (an escalation). */
export interface NewPagerDutyIncident {
  title: string;
  serviceId: string;
  assignee: { user: string } | { escalationPolicy: string };
  incidentKey: string;
  details: string;
  urgency: 'high' | 'low';
}

export interface PagerDutyApiOptions {
  config: Pick<Config, 'env' | 'pagerduty'>;
  fetch: typeof fetch;
  timeoutMs?: number;
}

const join = (base: string, path: string) => new URL(path, base.endsWith('/') ? base : `${base}/`);

/** What PagerDuty's error body says: REST `{error: {message, errors[]}}`, Events `{message, errors[]}`. */
function saidIn(body: unknown): string {
  const b = body as { error?: { message?: unknown; errors?: unknown }; message?: unknown; errors?: unknown } | null;
  const e = b?.error ?? b;
  const details = Array.isArray(e?.errors) ? e.errors.filter((x): x is string => typeof x === 'string') : [];
  const message = typeof e?.message === 'string' ? e.message : '';
  return [message, ...details].filter((s) => s !== '').join(': ').slice(0, 300);
}

/** `what`: the call as a noun phrase ("the trigger event", "the resolution of incident PGR0VU2"). */
function failureOf(status: number, said: string, what: string, notFound: string): PagerDutyCallError {
  const because = said ? ` (${said})` : '';
  if (status === 429) return new PagerDutyCallError(`PagerDuty asked to slow down (${what})`, { status, permanent: false, retryAfterSec: PAGERDUTY_RATE_LIMIT_WAIT_SEC });
  if (status >= 500) return new PagerDutyCallError(`PagerDuty answered ${status} to ${what}${because}`, { status, permanent: false });
  if (status === 401) return new PagerDutyCallError(`PagerDuty refused the API key (${what}): check PAGERDUTY_TOKEN`, { status, permanent: true });
  if (status === 403) return new PagerDutyCallError(`PagerDuty refused ${what} to this API key${because}: it needs a full-access REST API key`, { status, permanent: true });
  if (status === 404) return new PagerDutyCallError(notFound, { status, permanent: true });
  return new PagerDutyCallError(`PagerDuty refused ${what}${because}`, { status, permanent: true });
}

export function pagerdutyApi(opts: PagerDutyApiOptions): PagerDutyApi {
  const { env } = opts.config;
  const timeoutMs = opts.timeoutMs ?? PAGERDUTY_CALL_TIMEOUT_MS;

  /** One call; the parsed JSON answer (or null), or a PagerDutyCallError. */
  async function call(url: URL, init: RequestInit, what: string, notFound: string, accept: (status: number, said: string) => boolean = () => false): Promise<unknown> {
    let res: Response;
    let body: unknown = null;
    try {
      res = await opts.fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      const text = await res.text();
      try {
        body = text === '' ? null : JSON.parse(text);
      } catch {
        body = null;
      }
    } catch (err) {
      const e = err as Error;
      const problem = e.name === 'TimeoutError' ? `PagerDuty gave no answer within ${timeoutMs / 1000} s to ${what}` : `PagerDuty was not reachable for ${what} (${e.message})`;
      throw new PagerDutyCallError(problem, { status: null, permanent: false });
    }
    if (res.ok || accept(res.status, saidIn(body))) return body;
    throw failureOf(res.status, saidIn(body), what, notFound);
  }

  const restHeaders = (extra: Record<string, string> = {}) => {
    if (!env.PAGERDUTY_TOKEN) throw new PagerDutyCallError('PAGERDUTY_TOKEN is not set: the bot cannot change PagerDuty incidents', { status: null, permanent: true });
    return { Authorization: `Token token=${env.PAGERDUTY_TOKEN}`, Accept: 'application/vnd.pagerduty+json;version=2', ...extra };
  };

  return {
    async onCalls(scheduleIds, since, until, offset) {
      const url = join(env.PAGERDUTY_API_URL, 'oncalls');
      for (const id of scheduleIds) url.searchParams.append('schedule_ids[]', id);
      url.searchParams.set('since', since.toISOString());
      url.searchParams.set('until', until.toISOString());
      url.searchParams.set('limit', '100');
      url.searchParams.set('offset', String(offset));
      const what = `the on-calls of ${scheduleIds.join(', ')}`;
      const body = (await call(url, { headers: restHeaders() }, what, `PagerDuty has no schedule ${scheduleIds.join(' or ')}`)) as { oncalls?: unknown; more?: unknown; limit?: unknown } | null;
      if (!body || !Array.isArray(body.oncalls)) throw new PagerDutyCallError(`PagerDuty's answer to ${what} has no oncalls list`, { status: null, permanent: false });
      return { oncalls: body.oncalls, more: body.more === true, limit: typeof body.limit === 'number' && body.limit > 0 ? body.limit : body.oncalls.length };
    },
    async userEmail(pdUserId) {
      const body = (await call(join(env.PAGERDUTY_API_URL, `users/${encodeURIComponent(pdUserId)}`), { headers: restHeaders() }, `the lookup of user ${pdUserId}`, `PagerDuty has no user ${pdUserId}`, (s) => s === 404)) as {
        user?: { email?: unknown };
      } | null;
      const email = body?.user?.email;
      return typeof email === 'string' && email.includes('@') ? email : null;
    },
    async setIncidentStatus(pdIncidentId, status, fromEmail) {
      const what = `the ${status === 'acknowledged' ? 'acknowledgement' : 'resolution'} of incident ${pdIncidentId}`;
      await call(
        join(env.PAGERDUTY_API_URL, `incidents/${encodeURIComponent(pdIncidentId)}`),
        {
          method: 'PUT',
          headers: restHeaders({ 'Content-Type': 'application/json', From: fromEmail }),
          body: JSON.stringify({ incident: { type: 'incident_reference', status } }),
        },
        what,
        `PagerDuty has no incident ${pdIncidentId} (deleted, or in another account than PAGERDUTY_TOKEN's)`,
        // Resolved in PagerDuty meanwhile: nothing is left to acknowledge or resolve.
        (s, said) => s === 400 && /already resolved/i.test(said),
      );
    },
    async createIncident(incident, fromEmail) {
      const body = {
        incident: {
          type: 'incident',
          title: incident.title.slice(0, 255),
          service: { id: incident.serviceId, type: 'service_reference' },
          urgency: incident.urgency,
          incident_key: incident.incidentKey,
          body: { type: 'incident_body', details: incident.details.slice(0, 10_000) },
          // Either assignees or an escalation policy, never both (PagerDuty refuses both).
          ...('user' in incident.assignee
            ? { assignments: [{ assignee: { id: incident.assignee.user, type: 'user_reference' } }] }
            : { escalation_policy: { id: incident.assignee.escalationPolicy, type: 'escalation_policy_reference' } }),
        },
      };
      const answer = (await call(
        join(env.PAGERDUTY_API_URL, 'incidents'),
        { method: 'POST', headers: restHeaders({ 'Content-Type': 'application/json', From: fromEmail }), body: JSON.stringify(body) },
        `the page of ${'user' in incident.assignee ? `user ${incident.assignee.user}` : `escalation policy ${incident.assignee.escalationPolicy}`}`,
        `PagerDuty has no service ${incident.serviceId} (or no such user or policy): check escalation.pagerduty`,
        // Already open with this key: the page went out before (an answer lost on the way back).
        (s, said) => s === 400 && /matching dedup key already exists|incident_key/i.test(said),
      )) as { incident?: { id?: unknown; html_url?: unknown } } | null;
      const id = answer?.incident?.id;
      return typeof id === 'string' ? { id, htmlUrl: typeof answer?.incident?.html_url === 'string' ? answer.incident.html_url : null } : null;
    },
    async sendEvent(event) {
      const routingKey = opts.config.pagerduty.routingKey;
      if (!routingKey) throw new PagerDutyCallError('pagerduty.routingKey is not set: the bot does not page through PagerDuty', { status: null, permanent: true });
      await call(
        join(env.PAGERDUTY_EVENTS_URL, 'v2/enqueue'),
        { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ routing_key: routingKey, ...event }) },
        `the ${event.event_action} event`,
        `PagerDuty's Events API is not at ${env.PAGERDUTY_EVENTS_URL}: check PAGERDUTY_EVENTS_URL`,
      );
    },
  };
}
