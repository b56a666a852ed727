/**
 * The sandbox's stand-in for PagerDuty's Events API v2: `POST <base>/v2/enqueue`, the base being
 * UPSTREAM_PATHS.pagerdutyEvents on the sandbox server (the bot's PAGERDUTY_EVENTS_URL). The bot
 * pages, acknowledges and resolves here as it would at events.pagerduty.com: an event is checked
 * as PagerDuty checks it (routing_key of 32 characters, event_action trigger | acknowledge |
 * resolve, dedup_key of at most 255, a payload with summary, source and severity to trigger; at
 * most 512 KB), a good one is answered 202 `{status: "success", message: "Event processed",
 * dedup_key}` and kept, newest last, for the page and the tests; a bad one is answered 400
 * `{status: "invalid event", message: "Event object is invalid", errors: […]}` and not kept.
 * Nobody is paged: nothing leaves the machine.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { ExtraRoute } from './http-server.js';

/** PagerDuty's limit on one event. */
export const PAGERDUTY_EVENT_MAX_BYTES = 512 * 1024;
/** How many events the stand-in keeps; older ones are let go. */
export const PAGERDUTY_EVENTS_KEPT = 200;

const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
const ACTIONS = ['trigger', 'acknowledge', 'resolve'] as const;

/** `'field' is missing or blank` for an absent or wrongly typed field, as PagerDuty words it. */
const missing = (field: string) => ({ error: `'${field}' is missing or blank` });
const text = (field: string, max: number) => z.string(missing(field)).min(1, missing(field)).max(max, `Length of '${field}' is too long (at most ${max} characters)`);

const eventSchema = z.object({
  routing_key: z.string(missing('routing_key')).length(32, "Length of 'routing_key' is incorrect (should be 32 characters)"),
  event_action: z.enum(ACTIONS, { error: (issue) => (issue.input === undefined ? "'event_action' is missing or blank" : `'event_action' is invalid (must be one of: ${ACTIONS.join(', ')})`) }),
  dedup_key: text('dedup_key', 255).optional(),
  // Checked only to trigger: PagerDuty reads no payload of an acknowledge or a resolve.
  payload: z.unknown().optional(),
  client: z.string().max(1024).optional(),
  client_url: z.string().max(2048).optional(),
  images: z.array(z.unknown()).max(100).optional(),
  links: z.array(z.unknown()).max(100).optional(),
});

const payloadSchema = z.object(
  {
    summary: text('payload.summary', 1024),
    source: text('payload.source', 1024),
    severity: z.enum(SEVERITIES, { error: (issue) => (issue.input === undefined ? "'payload.severity' is missing or blank" : `'payload.severity' is invalid (must be one of: ${SEVERITIES.join(', ')})`) }),
    timestamp: z
      .string()
      .refine((s) => !Number.isNaN(Date.parse(s)), "'payload.timestamp' is not an ISO 8601 timestamp")
      .optional(),
    component: z.string().optional(),
    group: z.string().optional(),
    class: z.string().optional(),
    custom_details: z.unknown().optional(),
  },
  missing('payload'),
);

export type PagerDutyPayload = z.infer<typeof payloadSchema>;

/** An event the stand-in took, as it was sent (its dedup_key PagerDuty's made-up one when the trigger had none). */
export interface TakenPagerDutyEvent {
  /** When the stand-in took it, by the sandbox's clock (ISO 8601). */
  receivedAt: string;
  routing_key: string;
  event_action: (typeof ACTIONS)[number];
  dedup_key: string;
  /** Only for trigger. */
  payload?: PagerDutyPayload;
}

export interface PagerDutyStandIn {
  /** Serves `POST <base>/v2/enqueue` under `basePath`; anything else is left to the next route. */
  route: ExtraRoute;
  /** The events taken, oldest first, at most PAGERDUTY_EVENTS_KEPT. */
  events(): readonly TakenPagerDutyEvent[];
  /** Calls `listener` for every event taken from now on; returns the unsubscribe function. */
  subscribe(listener: (event: TakenPagerDutyEvent) => void): () => void;
}

export interface PagerDutyStandInOptions {
  /** Where the Events API is on the sandbox server, e.g. `/upstream/pagerduty-events`. */
  basePath: string;
  /** The sandbox's clock: what the events' receivedAt says. */
  clock: () => Date;
  /** Default PAGERDUTY_EVENTS_KEPT. */
  keep?: number;
}

type Checked = { ok: true; event: Omit<TakenPagerDutyEvent, 'receivedAt'> } | { ok: false; errors: string[] };

/** An Events API v2 body checked as PagerDuty checks it: every problem, in one sentence each. */
export function checkPagerDutyEvent(body: string): Checked {
  if (Buffer.byteLength(body, 'utf8') > PAGERDUTY_EVENT_MAX_BYTES) return { ok: false, errors: [`Event is larger than ${PAGERDUTY_EVENT_MAX_BYTES / 1024} KB`] };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, errors: ['Event is not valid JSON'] };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, errors: ['Event is not a JSON object'] };
  const parsed = eventSchema.safeParse(json);
  if (!parsed.success) return { ok: false, errors: [...new Set(parsed.error.issues.map((i) => i.message))] };
  const e = parsed.data;
  if (e.event_action !== 'trigger') {
    // Acknowledging or resolving needs the alert's dedup key; PagerDuty makes one up only for a trigger.
    if (e.dedup_key === undefined) return { ok: false, errors: ["'dedup_key' is missing or blank"] };
    return { ok: true, event: { routing_key: e.routing_key, event_action: e.event_action, dedup_key: e.dedup_key } };
  }
  const payload = payloadSchema.safeParse(e.payload);
  if (!payload.success) return { ok: false, errors: [...new Set(payload.error.issues.map((i) => i.message))] };
  return { ok: true, event: { routing_key: e.routing_key, event_action: e.event_action, dedup_key: e.dedup_key ?? randomBytes(16).toString('hex'), payload: payload.data } };
}

function answer(res: ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
  return true;
}

export function pagerdutyStandIn(opts: PagerDutyStandInOptions): PagerDutyStandIn {
  const keep = opts.keep ?? PAGERDUTY_EVENTS_KEPT;
  const enqueue = `${opts.basePath}/v2/enqueue`;
  const taken: TakenPagerDutyEvent[] = [];
  const listeners = new Set<(event: TakenPagerDutyEvent) => void>();

  const route: ExtraRoute = (req, res, url, body) => {
    if (url.pathname !== enqueue) return false;
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return answer(res, 405, { status: 'method not allowed', message: 'POST an event to /v2/enqueue' });
    }
    const checked = checkPagerDutyEvent(body);
    if (!checked.ok) return answer(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors: checked.errors });
    const event: TakenPagerDutyEvent = { receivedAt: opts.clock().toISOString(), ...checked.event };
    taken.push(event);
    if (taken.length > keep) taken.splice(0, taken.length - keep);
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch {
        // A failing subscriber (say, a closed page) must not cost the bot its answer.
      }
    }
    return answer(res, 202, { status: 'success', message: 'Event processed', dedup_key: event.dedup_key });
  };

  return {
    route,
    events: () => [...taken],
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
