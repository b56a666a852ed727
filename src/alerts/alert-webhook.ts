/**
 * POST /hooks/alerts: alerts pushed by the Shadow Atlas alert manager (WebhookAlertChannel) or a
 * Prometheus Alertmanager (webhook_config). Both bodies are in DATA-CONTRACT.md, "Alerts arriving
 * over HTTP". The route exists only when ALERT_WEBHOOK_TOKEN is set (otherwise Bolt answers 404):
 * an open alert endpoint would let anyone page the on-call engineer.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import { z } from 'zod';
import { bodyReadGate, type BodyReadGate } from '../http/body-read-gate.js';
import { readBoundedBody, refuseAndClose, sendJson } from '../http/request-body.js';
import type { DomainDeps } from '../incidents/incident-deps.js';
import { parseAtlasTime } from '../time/atlas-time.js';
import { ingestAlert, MAX_ALERT_NAME, type AlertReport, type IngestAction } from './alert-ingest.js';

export const ALERT_WEBHOOK_PATH = '/hooks/alerts';
export const DEFAULT_WEBHOOK_MAX_BYTES = 256 * 1024;
/** Alerts per Alertmanager notification; a group larger than this is a misconfiguration. */
const MAX_ALERTS_PER_BODY = 500;
const MIN_TOKEN_LENGTH = 16;

export type WebhookDeps = Pick<DomainDeps, 'state' | 'clock' | 'config' | 'logger' | 'events'>;

export interface AlertWebhookOptions {
  token: string;
  maxBytes?: number;
  /** Bounds the bodies read at once across the bot's routes (default: this route's own). */
  bodyReads?: BodyReadGate;
}

export interface WebhookResult {
  ok: true;
  accepted: number;
  /** `note` says why a report changed less than it asked (a resolution from a source that never reported the alert). */
  results: { name: string; action: IngestAction; note?: string }[];
}

// ---------------------------------------------------------------------------------------------
// The two payloads

const alertName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(MAX_ALERT_NAME, `must be at most ${MAX_ALERT_NAME} characters`)
  .regex(/^[^\p{Cc}]+$/u, 'must not contain control characters');

/** ISO-8601 (any of the Atlas formats, offsets and nanoseconds included) or epoch milliseconds. */
const timestamp = z.union([z.string().max(64), z.number()]).transform((v, ctx) => {
  const date = typeof v === 'number' ? new Date(v) : parseAtlasTime(v);
  if (!date || Number.isNaN(date.getTime())) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 timestamp' });
    return z.NEVER;
  }
  return date;
});

const httpUrl = z.url({ protocol: /^https?$/ }).max(2000);

/** The Shadow Atlas alert manager's body (src/observability/alerts.ts, WebhookAlertChannel). */
const atlasPayload = z.object({
  source: z.literal('shadow-atlas'),
  type: z.literal('alert'),
  name: alertName,
  severity: z.enum(['critical', 'warning']),
  status: z.enum(['FIRING', 'RESOLVED', 'firing', 'resolved']),
  message: z.string(),
  firedAt: timestamp,
  resolvedAt: timestamp.nullish(),
  context: z.record(z.string(), z.unknown()).nullish(),
});

const alertmanagerAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: z.looseObject({ alertname: alertName, severity: z.string().optional() }),
  annotations: z.record(z.string(), z.string()).nullish(),
  startsAt: timestamp,
  endsAt: z.string().max(64).nullish(),
  fingerprint: z.string().max(200).nullish(),
});

/** Alertmanager's webhook_config body, version 4. */
const alertmanagerPayload = z.object({
  version: z.literal('4'),
  groupKey: z.string().max(1000).optional().catch(undefined),
  status: z.enum(['firing', 'resolved']),
  alerts: z.array(alertmanagerAlert).min(1, 'must hold at least one alert').max(MAX_ALERTS_PER_BODY, `must hold at most ${MAX_ALERTS_PER_BODY} alerts`),
});

function hint(severity: unknown): 'critical' | 'warning' | undefined {
  const s = typeof severity === 'string' ? severity.trim().toLowerCase() : '';
  return s === 'critical' || s === 'warning' ? s : undefined;
}

/** Labels beyond the name and severity say which provider, instance or state: worth a line. */
function labelLine(labels: Record<string, unknown>): string {
  const parts = Object.entries(labels)
    .filter(([k, v]) => k !== 'alertname' && k !== 'severity' && typeof v === 'string' && v !== '')
    .slice(0, 10)
    .map(([k, v]) => `${k}=${String(v).slice(0, 100)}`);
  return parts.length > 0 ? `Labels: ${parts.join(', ')}` : '';
}

/** The values that are text: what `alerts.groupBy` may name. */
function textValues(record: Record<string, unknown> | null | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record ?? {})
      .filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '')
      .slice(0, 30)
      .map(([k, v]) => [k.slice(0, 64), v.slice(0, 200)]),
  );
}

function fromAlertmanager(body: z.infer<typeof alertmanagerPayload>): AlertReport[] {
  return body.alerts.map((a) => {
    const labels = textValues(a.labels);
    const notes = a.annotations ?? {};
    const runbook = httpUrl.safeParse(notes.runbook_url);
    // Alertmanager sends the zero time (0001-01-01) as endsAt while an alert fires.
    const endsAt = a.endsAt ? parseAtlasTime(a.endsAt) : null;
    return {
      name: a.labels.alertname,
      status: a.status,
      message: [notes.summary, notes.description, labelLine(a.labels)].filter((t) => t && t.trim() !== '').join('\n'),
      firedAt: a.startsAt,
      resolvedAt: a.status === 'resolved' && endsAt && endsAt.getUTCFullYear() > 1970 ? endsAt : undefined,
      source: 'alertmanager',
      fingerprint: a.fingerprint ?? undefined,
      severityHint: hint(a.labels.severity),
      runbookUrl: runbook.success ? runbook.data : undefined,
      groupFacts: {
        ...(labels.provider ? { provider: labels.provider, providerFrom: 'Alertmanager label provider' } : {}),
        ...(body.groupKey ? { groupKey: body.groupKey } : {}),
        labels,
      },
    };
  });
}

function fromAtlas(body: z.infer<typeof atlasPayload>): AlertReport[] {
  return [
    {
      name: body.name,
      status: body.status.toLowerCase() === 'resolved' ? 'resolved' : 'firing',
      message: body.message,
      firedAt: body.firedAt,
      resolvedAt: body.resolvedAt ?? undefined,
      source: 'atlas-webhook',
      severityHint: body.severity,
      groupFacts: ((context) => ({ ...(context.provider ? { provider: context.provider, providerFrom: 'webhook context.provider' } : {}), labels: context }))(textValues(body.context)),
    },
  ];
}

/** `alerts[0].labels.alertname` */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, p) => (typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${String(p)}` : String(p)), '');
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid body';
  const where = fieldPath(issue.path);
  return `${where || 'body'}: ${issue.message}`;
}

export type ParsedAlerts = { ok: true; kind: 'shadow-atlas' | 'alertmanager'; reports: AlertReport[] } | { ok: false; reason: string };

/** Recognizes and validates either payload; the reason names the first bad field. */
export function parseAlertPayload(json: unknown): ParsedAlerts {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, reason: 'body must be a JSON object' };
  const obj = json as Record<string, unknown>;
  if ('source' in obj || obj.type === 'alert') {
    const parsed = atlasPayload.safeParse(obj);
    return parsed.success ? { ok: true, kind: 'shadow-atlas', reports: fromAtlas(parsed.data) } : { ok: false, reason: firstIssue(parsed.error) };
  }
  if ('version' in obj || 'alerts' in obj) {
    const parsed = alertmanagerPayload.safeParse(obj);
    return parsed.success ? { ok: true, kind: 'alertmanager', reports: fromAlertmanager(parsed.data) } : { ok: false, reason: firstIssue(parsed.error) };
  }
  return { ok: false, reason: 'body is neither a Shadow Atlas alert (source "shadow-atlas") nor an Alertmanager webhook (version "4")' };
}

// ---------------------------------------------------------------------------------------------
// HTTP

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Compares the bearer token in constant time: both sides are hashed first, so neither the
 * content nor the length of the token leaks through timing.
 */
export function bearerMatches(header: string | undefined, expectedDigest: Buffer): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  const same = timingSafeEqual(sha256(match?.[1] ?? ''), expectedDigest);
  return match !== null && same;
}

// The edge's body reading lives in src/http/; re-exported for the routes that import it from here.
export { readBoundedBody, refuseAndClose, sendJson };

/** What jsonOf answers for a body that is not JSON (after refusing it with 400). */
export const NOT_JSON: unique symbol = Symbol('not JSON');

/** The body as JSON, or NOT_JSON once the request is refused with 400. */
export function jsonOf(body: Buffer, res: ServerResponse): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    sendJson(res, 400, { ok: false, error: 'body is not valid JSON' });
    return NOT_JSON;
  }
}

/**
 * The webhook route: bearer token (constant time) -> 401; body over `maxBytes` -> 413 without
 * reading the rest; not JSON or neither payload -> 400 with the field at fault; otherwise every
 * alert is ingested (deduplicated by name) and the answer lists what happened to each. Slack
 * delivery follows on its own, after the answer: the sender never waits for Slack.
 */
export function alertWebhookRoute(deps: WebhookDeps, opts: AlertWebhookOptions): CustomRoute {
  if (opts.token.length < MIN_TOKEN_LENGTH) throw new Error(`ALERT_WEBHOOK_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters`);
  const expected = sha256(opts.token);
  const maxBytes = opts.maxBytes ?? DEFAULT_WEBHOOK_MAX_BYTES;
  const bodyReads = opts.bodyReads ?? bodyReadGate();
  const { logger } = deps;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!bearerMatches(req.headers.authorization, expected)) {
      logger.warn({ remote: req.socket.remoteAddress, hasHeader: req.headers.authorization !== undefined }, 'alert webhook: refused, bad or missing bearer token');
      refuseAndClose(req, res, 401, 'missing or wrong bearer token', { 'www-authenticate': 'Bearer realm="atlas-alerts"' });
      return;
    }
    const body = await readBoundedBody(req, res, maxBytes, { gate: bodyReads });
    if (!body) return;

    const json = jsonOf(body, res);
    if (json === NOT_JSON) return;
    const parsed = parseAlertPayload(json);
    if (!parsed.ok) {
      logger.warn({ reason: parsed.reason }, 'alert webhook: refused a malformed body');
      sendJson(res, 400, { ok: false, error: parsed.reason });
      return;
    }
    const results: WebhookResult['results'] = [];
    for (const report of parsed.reports) {
      const outcome = await ingestAlert(deps, report);
      results.push({ name: report.name, action: outcome.action, ...(outcome.note ? { note: outcome.note } : {}) });
      if (outcome.action !== 'duplicate') logger.info({ alert: report.name, action: outcome.action, source: report.source, ...(outcome.note ? { note: outcome.note } : {}) }, 'alert from webhook');
    }
    const answer: WebhookResult = { ok: true, accepted: results.length, results };
    sendJson(res, 200, answer);
  }

  return {
    path: ALERT_WEBHOOK_PATH,
    method: 'POST',
    handler: (req, res) => {
      handle(req, res).catch((err: unknown) => {
        logger.error({ err }, 'alert webhook: could not take the alert');
        sendJson(res, 500, { ok: false, error: 'the bot could not record the alert; it logged the reason' });
      });
    },
  };
}

/** The webhook routes to serve: none unless ALERT_WEBHOOK_TOKEN is configured. */
export function alertWebhookRoutes(deps: WebhookDeps, bodyReads?: BodyReadGate): CustomRoute[] {
  const token = deps.config.env.ALERT_WEBHOOK_TOKEN;
  return token ? [alertWebhookRoute(deps, { token, ...(bodyReads ? { bodyReads } : {}) })] : [];
}
