import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { AtlasDatabase } from '../db/atlas-database.js';
import { DbProblemError } from '../db/sqlite-problem.js';
import type { Level } from './check-item.js';
import { windowRanges } from '../time/atlas-time.js';
import { bandLevel, type Band } from './check-item.js';

/** Why an HTTP probe failed, in the words of the runbook's decision tree. */
export type ProbeErrorKind = 'timeout' | 'dns' | 'tls' | 'connection' | 'http' | 'cancelled' | 'other';

export interface HttpProbe {
  ok: boolean;
  /** Final HTTP status, or null when no response came. */
  status: number | null;
  /** Time to the response headers (or to the first body bytes asked for), or null when no response came. */
  latencyMs: number | null;
  error: { kind: ProbeErrorKind; message: string } | null;
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

/** "10 s" / "250 ms" for a timeout. */
export function formatTimeout(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

/** The first `code` in an error's cause chain (undici wraps the socket error in "fetch failed"). */
function errorCode(err: unknown): string {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return '';
}

function innermostMessage(err: unknown): string {
  let current: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    message = current.message || message;
    current = current.cause;
  }
  return message.replace(/\s+/g, ' ').slice(0, 160);
}

/** Sorts a fetch rejection into the runbook's kinds of failure. */
export function classifyFetchError(err: unknown, timeoutMs: number): { kind: ProbeErrorKind; message: string } {
  const name = err instanceof Error || (typeof err === 'object' && err !== null) ? String((err as { name?: unknown }).name) : '';
  const code = errorCode(err);
  if (name === 'TimeoutError' || name === 'AbortError' || TIMEOUT_CODES.has(code)) {
    return { kind: 'timeout', message: `timeout after ${formatTimeout(timeoutMs)}` };
  }
  if (DNS_CODES.has(code)) return { kind: 'dns', message: `DNS lookup failed: ${code}` };
  if (TLS_CODE.test(code)) return { kind: 'tls', message: `TLS error: ${code}` };
  if (code.startsWith('E') || code.startsWith('UND_ERR')) return { kind: 'connection', message: `connection failed: ${code}` };
  return { kind: 'other', message: innermostMessage(err) };
}

/**
 * One GET bounded by `timeoutMs`, timed to the response headers. Reads at most `readBytes` of the
 * body (0: none), so a probe never downloads a whole snapshot. Never throws.
 */
export async function httpProbe(
  fetchFn: typeof fetch,
  url: string,
  timeoutMs: number,
  opts: { readBytes?: number; signal?: AbortSignal } = {},
): Promise<HttpProbe> {
  const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
  const started = performance.now();
  try {
    const res = await fetchFn(url, { signal, redirect: 'follow', headers: { 'user-agent': 'shadow-atlas-chatops/1 (on-call probe)' } });
    const headersMs = performance.now() - started;
    let latencyMs = headersMs;
    if (res.ok && (opts.readBytes ?? 0) > 0 && res.body) {
      // Time the first bytes of content too: a gateway can answer headers fast and then stall.
      const reader = res.body.getReader();
      let read = 0;
      while (read < (opts.readBytes ?? 0)) {
        const chunk = await reader.read();
        if (chunk.done) break;
        read += chunk.value.byteLength;
      }
      latencyMs = performance.now() - started;
      await reader.cancel().catch(() => undefined);
    } else {
      await res.body?.cancel().catch(() => undefined);
    }
    const rounded = Math.round(latencyMs);
    if (res.ok) return { ok: true, status: res.status, latencyMs: rounded, error: null };
    return { ok: false, status: res.status, latencyMs: rounded, error: { kind: 'http', message: `HTTP ${res.status}` } };
  } catch (err) {
    if (opts.signal?.aborted) return { ok: false, status: null, latencyMs: null, error: { kind: 'cancelled', message: 'cancelled' } };
    return { ok: false, status: null, latencyMs: null, error: classifyFetchError(err, timeoutMs) };
  }
}

/** The upstream-failure runbook's HTTP decision tree, as one hint per failed probe. */
export function probeHint(probe: HttpProbe): string | null {
  if (probe.ok) return null;
  const kind = probe.error?.kind;
  if (kind === 'timeout') return 'timeout: check the network from this host first, then the provider (outages of this kind often last 15–60 min)';
  if (kind === 'dns') return 'DNS failure: check the network and DNS from this host';
  if (kind === 'connection') return 'connection failed: check the network from this host, then the provider';
  if (kind === 'tls') return 'TLS error: contact the provider (certificate problem on their side)';
  const status = probe.status ?? 0;
  if (status === 503) return '503: provider overloaded or in maintenance; wait and retry (a 503 outage usually lasts 1–4 h)';
  if (status === 429) return '429: rate limited; back off (lower concurrency, add delay between requests)';
  if (status === 404) return "404: the URL moved; update the registry URL (and this bot's providers config)";
  if (status === 401 || status === 403) return `${status}: check credentials and access`;
  if (status >= 500) return `${status}: server error at the provider; wait and retry, check its status page`;
  if (status >= 400) return `${status}: request refused; check the URL`;
  return probe.error?.message ?? 'probe failed';
}

export interface Availability {
  /** AVG(health_check value) as a percentage. */
  pct: number;
  samples: number;
}

export interface ProviderStatus {
  name: string;
  url: string;
  probe: HttpProbe;
  hint: string | null;
  /** The `provider` label this provider's metrics carry, when any were found. */
  metricLabel: string | null;
  lastHour: Availability | null;
  lastDay: Availability | null;
}

export interface UnconfiguredProvider {
  label: string;
  lastHour: Availability | null;
  lastDay: Availability | null;
}

export interface ProvidersResult {
  timeoutMs: number;
  providers: ProviderStatus[];
  /** Providers seen in health_check metrics that the config does not list. */
  unconfigured: UnconfiguredProvider[];
  /** Why the availability columns are empty (metrics.db missing, locked, lacking a column). */
  availabilityProblem: string | null;
  /** health_check rows whose labels_json was not an object with a `provider` string. */
  unlabelledRows: number;
}

const HEALTH_CHECK_NEEDS = { metrics: ['type', 'value', 'labels_json', 'recorded_at'] } as const;
const providerLabels = z.object({ provider: z.string().min(1).max(200) });
const HOUR_MS = 3_600_000;

interface LabelTotals {
  label: string;
  sum: number;
  count: number;
}

function parseProviderLabel(json: unknown): string | null {
  if (typeof json !== 'string') return null;
  try {
    const parsed = providerLabels.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data.provider : null;
  } catch {
    return null;
  }
}

/** AVG(value) of health_check per provider label over [from, to), exact for every timestamp format. */
function availabilityByLabel(metrics: AtlasDatabase, from: Date, to: Date): { totals: Map<string, LabelTotals>; unlabelled: number } {
  return metrics.read((db) => {
    const stmt = db.prepare(
      `SELECT labels_json AS labels, SUM(value) AS total, COUNT(*) AS n FROM metrics
       WHERE type = ? AND recorded_at >= ? AND recorded_at < ? GROUP BY labels_json`,
    );
    const totals = new Map<string, LabelTotals>();
    let unlabelled = 0;
    for (const range of windowRanges(from, to)) {
      for (const row of stmt.all('health_check', range.from, range.to) as { labels: unknown; total: number | null; n: number }[]) {
        const label = parseProviderLabel(row.labels);
        if (label === null) {
          unlabelled += row.n;
          continue;
        }
        // Providers are matched case-insensitively: "census tiger" and "Census TIGER" are one.
        const key = label.trim().toLowerCase();
        const entry = totals.get(key) ?? { label: label.trim(), sum: 0, count: 0 };
        entry.sum += row.total ?? 0;
        entry.count += row.n;
        totals.set(key, entry);
      }
    }
    return { totals, unlabelled };
  });
}

function toAvailability(t: LabelTotals | undefined): Availability | null {
  if (!t || t.count === 0) return null;
  return { pct: Math.round((t.sum / t.count) * 1000) / 10, samples: t.count };
}

/**
 * Probes every configured provider in parallel (each bounded by `timeoutMs`) and sets each
 * next to its availability from health_check metrics over the last hour and day. Never throws.
 */
export async function probeProviders(
  providers: readonly { name: string; url: string }[],
  fetchFn: typeof fetch,
  metrics: AtlasDatabase,
  now: Date,
  timeoutMs = 10_000,
): Promise<ProvidersResult> {
  // The metrics read is synchronous: do it before the probes start, so it cannot inflate their latency.
  let hour = new Map<string, LabelTotals>();
  let day = new Map<string, LabelTotals>();
  let unlabelledRows = 0;
  let availabilityProblem: string | null = null;
  try {
    const missing = metrics.missing(HEALTH_CHECK_NEEDS);
    if (missing.length > 0) availabilityProblem = `metrics.db lacks ${missing.join(', ')}`;
    else {
      const h = availabilityByLabel(metrics, new Date(now.getTime() - HOUR_MS), now);
      const d = availabilityByLabel(metrics, new Date(now.getTime() - 24 * HOUR_MS), now);
      hour = h.totals;
      day = d.totals;
      unlabelledRows = d.unlabelled;
    }
  } catch (err) {
    availabilityProblem = err instanceof DbProblemError ? err.problem.message : `metrics could not be read: ${(err as Error).message}`;
  }

  const results = await Promise.all(providers.map((p) => httpProbe(fetchFn, p.url, timeoutMs)));
  const configuredKeys = new Set(providers.map((p) => p.name.trim().toLowerCase()));
  const statuses: ProviderStatus[] = providers.map((p, i) => {
    const probe = results[i] ?? { ok: false, status: null, latencyMs: null, error: { kind: 'other', message: 'not probed' } };
    const key = p.name.trim().toLowerCase();
    return {
      name: p.name,
      url: p.url,
      probe,
      hint: probeHint(probe),
      metricLabel: day.get(key)?.label ?? null,
      lastHour: toAvailability(hour.get(key)),
      lastDay: toAvailability(day.get(key)),
    };
  });
  const unconfigured = [...day.entries()]
    .filter(([key]) => !configuredKeys.has(key))
    .map(([key, t]) => ({ label: t.label, lastHour: toAvailability(hour.get(key)), lastDay: toAvailability(t) }))
    .sort((a, b) => a.label.localeCompare(b.label));
  return { timeoutMs, providers: statuses, unconfigured, availabilityProblem, unlabelledRows };
}

/** The high-latency runbook's red flag: a provider answering slower than 2 s slows every extraction. */
export const SLOW_PROVIDER_MS = 2000;

/**
 * A provider's level. The probe says how it is now; a bad last hour on a provider that answers
 * now is a warning (recovering, or flapping), not a page; so is a slow answer.
 */
export function providerLevel(status: ProviderStatus, availability: Band): Level {
  if (!status.probe.ok) return status.probe.status === 429 ? 'warn' : 'crit';
  if ((status.probe.latencyMs ?? 0) > SLOW_PROVIDER_MS) return 'warn';
  if (status.lastHour && bandLevel(status.lastHour.pct, availability, 'higher') !== 'ok') return 'warn';
  return 'ok';
}
