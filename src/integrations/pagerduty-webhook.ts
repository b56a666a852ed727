/**
 * POST /hooks/pagerduty: PagerDuty v3 webhooks (a webhook subscription's deliveries). Each body
 * is one event signed in `X-PagerDuty-Signature` (`v1=<hex HMAC-SHA256 of the raw body>`, several
 * comma-separated while a secret rotates). The route exists only when PAGERDUTY_WEBHOOK_SECRET is
 * set (otherwise Bolt answers 404).
 *
 * Answers, as PagerDuty reads them (it retries 5xx and 429, drops any other 4xx): 400 for a
 * missing or malformed signature header or a body that is not a v3 event, 403 for a signature
 * that does not match, 413 for a body over the bound; 200 once the event is recorded and
 * applied (a few milliseconds of SQLite; Slack delivery follows through the outbox); 500 when the
 * bot's own state failed, so that PagerDuty delivers it again and nothing is lost.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import { z } from 'zod';
import { jsonOf, NOT_JSON } from '../alerts/alert-webhook.js';
import { bodyReadGate, type BodyReadGate } from '../http/body-read-gate.js';
import { readBoundedBody, refuseAndClose, sendJson } from '../http/request-body.js';
import type { DomainDeps } from '../incidents/incident-deps.js';
import { parseAtlasTime } from '../time/atlas-time.js';
import { applyPagerDutyEvent, PAGERDUTY_APPLIED_EVENTS, type PagerDutyIncidentEvent, type PagerDutyOutcome } from './pagerduty-incidents.js';
import { slackUserOfAgent, type PagerDutyUserLookups } from './pagerduty-users.js';

export const PAGERDUTY_WEBHOOK_PATH = '/hooks/pagerduty';
/** PagerDuty drops webhooks over 256 KB; a little room for the headers' worth of slack. */
export const PAGERDUTY_WEBHOOK_MAX_BYTES = 300 * 1024;
/** Signatures per header: two during a rotation; more is not PagerDuty. */
const MAX_SIGNATURES = 8;

export type PagerDutyWebhookDeps = DomainDeps;

export interface PagerDutyWebhookOptions extends PagerDutyUserLookups {
  secret: string;
  maxBytes?: number;
  /** Bounds the unauthenticated bodies read at once across the bot's routes (default: this route's own). */
  bodyReads?: BodyReadGate;
}

// ---------------------------------------------------------------------------------------------
// Signature

export type SignatureHeader = { ok: true; signatures: Buffer[] } | { ok: false; reason: string };

/**
 * The v1 signatures of the header, as bytes. Signatures of other versions are skipped (a later
 * version may sign beside v1); none in v1 is malformed.
 */
export function parseSignatureHeader(header: string | string[] | undefined): SignatureHeader {
  if (header === undefined || header === '') return { ok: false, reason: 'missing X-PagerDuty-Signature header' };
  const text = Array.isArray(header) ? header.join(',') : header;
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const signatures = parts.flatMap((p) => (/^v1=[0-9a-fA-F]{64}$/.test(p) ? [Buffer.from(p.slice(3), 'hex')] : []));
  if (signatures.length === 0) return { ok: false, reason: 'X-PagerDuty-Signature holds no v1=<64 hex digits> signature' };
  if (signatures.length > MAX_SIGNATURES) return { ok: false, reason: `X-PagerDuty-Signature holds more than ${MAX_SIGNATURES} signatures` };
  return { ok: true, signatures };
}

/** HMAC-SHA256 of the raw body with the secret, compared in constant time with every signature given. */
export function signatureMatches(body: Buffer, signatures: readonly Buffer[], secret: string): boolean {
  const expected = createHmac('sha256', secret).update(body).digest();
  let match = false;
  // Every signature is compared (no early exit), each in constant time over 32 bytes.
  for (const s of signatures) match = timingSafeEqual(s, expected) || match;
  return match;
}

/** The header value PagerDuty would send for `body` signed with each of `secrets` (tests, the sandbox). */
export function pagerdutySignature(body: string | Buffer, ...secrets: string[]): string {
  return secrets.map((s) => `v1=${createHmac('sha256', s).update(body).digest('hex')}`).join(',');
}

// ---------------------------------------------------------------------------------------------
// The body

const timestamp = z.string().max(64).transform((v, ctx) => {
  const d = parseAtlasTime(v);
  if (!d || Number.isNaN(d.getTime())) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 timestamp' });
    return z.NEVER;
  }
  return d;
});

const pdId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a PagerDuty ID');
const reference = z.looseObject({ id: pdId.optional(), summary: z.string().max(1000).nullish(), type: z.string().max(64).optional() });

const incidentData = z.looseObject({
  id: pdId,
  type: z.literal('incident'),
  html_url: z.url({ protocol: /^https?$/ }).max(2000).nullish(),
  number: z.number().int().nullish(),
  status: z.string().max(64).nullish(),
  title: z.string().max(10_000).nullish(),
  created_at: timestamp.nullish(),
  incident_key: z.string().max(1000).nullish(),
  service: reference.nullish(),
  priority: reference.nullish(),
  urgency: z.string().max(32).nullish(),
});

const envelope = z.object({
  event: z.looseObject({
    id: z.string().min(1).max(200),
    event_type: z.string().min(1).max(200),
    resource_type: z.string().max(100).optional(),
    occurred_at: timestamp,
    agent: reference.nullish(),
    data: z.unknown(),
  }),
});

export type ParsedPagerDutyEvent =
  | { ok: true; kind: 'apply'; event: PagerDutyIncidentEvent }
  | { ok: true; kind: 'ignore'; eventId: string; eventType: string }
  | { ok: false; reason: string };

function firstIssue(error: z.ZodError, prefix: string): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid body';
  const where = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.');
  return `${where || 'body'}: ${issue.message}`;
}

/** Recognizes a v3 webhook body; the three incident events the bot applies are parsed whole. */
export function parsePagerDutyEvent(json: unknown): ParsedPagerDutyEvent {
  const outer = envelope.safeParse(json);
  if (!outer.success) return { ok: false, reason: firstIssue(outer.error, '') };
  const e = outer.data.event;
  if (!(PAGERDUTY_APPLIED_EVENTS as readonly string[]).includes(e.event_type)) return { ok: true, kind: 'ignore', eventId: e.id, eventType: e.event_type };
  const data = incidentData.safeParse(e.data);
  if (!data.success) return { ok: false, reason: firstIssue(data.error, 'event.data') };
  const d = data.data;
  const agent = e.agent && e.agent.id && (e.agent.type ?? 'user_reference') === 'user_reference' ? { id: e.agent.id, name: e.agent.summary ?? e.agent.id } : null;
  return {
    ok: true,
    kind: 'apply',
    event: {
      id: e.id,
      type: e.event_type as PagerDutyIncidentEvent['type'],
      occurredAt: e.occurred_at,
      agent,
      incident: {
        id: d.id,
        number: d.number ?? null,
        title: d.title ?? '',
        htmlUrl: d.html_url ?? null,
        urgency: d.urgency ?? null,
        priority: d.priority?.summary ?? null,
        service: d.service?.summary ?? null,
        createdAt: d.created_at ?? null,
        incidentKey: d.incident_key ?? null,
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP

export interface PagerDutyWebhookAnswer {
  ok: true;
  event: string;
  action: PagerDutyOutcome['action'] | 'ignored';
}

export function pagerdutyWebhookRoute(deps: PagerDutyWebhookDeps, opts: PagerDutyWebhookOptions): CustomRoute {
  const maxBytes = opts.maxBytes ?? PAGERDUTY_WEBHOOK_MAX_BYTES;
  const bodyReads = opts.bodyReads ?? bodyReadGate();
  const { logger } = deps;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const header = parseSignatureHeader(req.headers['x-pagerduty-signature']);
    if (!header.ok) {
      logger.warn({ remote: req.socket.remoteAddress, reason: header.reason }, 'PagerDuty webhook: refused, no usable signature');
      refuseAndClose(req, res, 400, header.reason);
      return;
    }
    // The header is there and well formed; the body (which the signature covers) is read within
    // the cap, in time, and only while fewer than the gate's limit are being read.
    const body = await readBoundedBody(req, res, maxBytes, { gate: bodyReads });
    if (!body) return;
    if (!signatureMatches(body, header.signatures, opts.secret)) {
      logger.warn({ remote: req.socket.remoteAddress, signatures: header.signatures.length }, 'PagerDuty webhook: refused, signature does not match PAGERDUTY_WEBHOOK_SECRET');
      sendJson(res, 403, { ok: false, error: 'signature does not match' });
      return;
    }

    const json = jsonOf(body, res);
    if (json === NOT_JSON) return;
    const parsed = parsePagerDutyEvent(json);
    if (!parsed.ok) {
      logger.warn({ reason: parsed.reason }, 'PagerDuty webhook: refused a malformed event');
      sendJson(res, 400, { ok: false, error: parsed.reason });
      return;
    }
    if (parsed.kind === 'ignore') {
      logger.debug({ eventId: parsed.eventId, eventType: parsed.eventType }, 'PagerDuty webhook: event type not applied');
      sendJson(res, 200, { ok: true, event: parsed.eventId, action: 'ignored' } satisfies PagerDutyWebhookAnswer);
      return;
    }
    const ev = parsed.event;
    // Who acknowledged, in Slack terms: looked up (bounded) before the transaction, and only when it matters.
    const slackUserId =
      ev.type === 'incident.acknowledged' && !await deps.state.pagerduty.seen(ev.id) ? await slackUserOfAgent(ev.agent, deps.config, opts, logger) : null;
    const result = await applyPagerDutyEvent(deps, ev, { slackUserId });
    const log = { eventId: ev.id, eventType: ev.type, pdIncident: ev.incident.id, occurredAt: ev.occurredAt.toISOString(), ...result };
    if (result.action === 'unknown-incident') logger.warn(log, 'PagerDuty webhook: incident unknown to the bot (never triggered here); recorded, nothing changed');
    else if (result.action === 'stale') logger.info(log, 'PagerDuty webhook: event older than the last one applied to its incident; ignored');
    else if (result.action === 'duplicate') logger.debug(log, 'PagerDuty webhook: repeated delivery; ignored');
    else logger.info(log, 'PagerDuty webhook: applied');
    sendJson(res, 200, { ok: true, event: ev.id, action: result.action } satisfies PagerDutyWebhookAnswer);
  }

  return {
    path: PAGERDUTY_WEBHOOK_PATH,
    method: 'POST',
    handler: (req, res) => {
      handle(req, res).catch((err: unknown) => {
        logger.error({ err }, 'PagerDuty webhook: could not take the event; PagerDuty will deliver it again');
        sendJson(res, 500, { ok: false, error: 'the bot could not record the event; it logged the reason' });
      });
    },
  };
}

/** The routes to serve: none unless PAGERDUTY_WEBHOOK_SECRET is configured. */
export function pagerdutyWebhookRoutes(deps: PagerDutyWebhookDeps, lookups: PagerDutyUserLookups = {}, bodyReads?: BodyReadGate): CustomRoute[] {
  const secret = deps.config.env.PAGERDUTY_WEBHOOK_SECRET;
  return secret ? [pagerdutyWebhookRoute(deps, { secret, ...lookups, ...(bodyReads ? { bodyReads } : {}) })] : [];
}
