import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { toSqlTime } from '../time/atlas-time.js';
import { METRICS_DDL, PERSISTENCE_DDL } from './atlas-schema.js';

/**
 * Writes a complete Shadow Atlas data directory (metrics.db, persistence.db, jobs/, backups/)
 * shaped like DATA-CONTRACT.md, for the demo, for tests and for the benchmark.
 * Deterministic: a seeded PRNG and a passed-in `now`, never the wall clock.
 * One file on purpose: the demo is one story (a TIGER outage, a stuck job, a snapshot without its
 * CID) told consistently across every table and file; split, its parts would pass the story around.
 */

export type Scenario = 'demo' | 'healthy';

export interface GenerateOptions {
  now: Date;
  /** How many days of history to write before `now` (default 4). */
  days?: number;
  seed?: number;
  /** 'demo' plants the incidents listed in `GeneratedSummary.scenario`; 'healthy' plants none. */
  scenario?: Scenario;
}

/** The three timestamp formats the service writes (DATA-CONTRACT.md, "Timestamps"). */
export type TimestampFormat = 'sql' | 'isoMs' | 'iso';

export interface GeneratedSummary {
  scenario: Scenario;
  seed: number;
  now: string;
  /** Start of the generated history (ISO). */
  from: string;
  metrics: {
    rows: number;
    byType: Record<string, number>;
    byFormat: Record<TimestampFormat, number>;
    /** Which rows got which timestamp format, in words. */
    formatRule: string;
    dailySummaries: number;
  };
  alerts: { rows: number; firing: string[]; resolved: string[] };
  persistence: { jobs: number; extractions: number; failures: number; snapshots: number; snapshotRegions: number };
  /** Job ids with a jobs/<id>.json file, oldest first. */
  jobFiles: string[];
  /** File names under backups/, oldest first. */
  backups: string[];
  /** The planted facts (all null / empty in the healthy scenario). */
  scenarioFacts: {
    outage: { provider: string; error: string; since: string } | null;
    stuckJobId: string | null;
    failingState: string | null;
    /** Jobs that ended partial because the failing state failed. */
    failingJobIds: string[];
    currentSnapshotId: string | null;
    snapshotMissingCidId: string | null;
    firingAlert: { id: number; name: string } | null;
    resolvedAlerts: string[];
  };
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Whole number in [min, max]. */
  int(min: number, max: number): number;
  between(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  hex(chars: number): string;
  uuid(): string;
}

/** mulberry32: small, fast, and the same sequence on every platform for a seed. */
export function seededRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const hex = (chars: number) => {
    let out = '';
    while (out.length < chars) out += Math.floor(next() * 0x1_0000_0000).toString(16).padStart(8, '0');
    return out.slice(0, chars);
  };
  return {
    next,
    int,
    between: (min, max) => min + next() * (max - min),
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T,
    hex,
    uuid: () => {
      const h = hex(32);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[int(0, 3)]}${h.slice(17, 20)}-${h.slice(20)}`;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Domain constants

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TICK = 5 * MINUTE;

/** The five providers the service's healthCheck() reports, with a typical latency range in ms. */
export const DEMO_PROVIDERS = [
  { name: 'Census TIGER', latency: [300, 900] },
  { name: 'ArcGIS Hub', latency: [200, 600] },
  { name: 'UK ONS', latency: [150, 500] },
  { name: 'Statistics Canada', latency: [250, 700] },
  { name: 'Australia ABS', latency: [400, 1200] },
] as const;

const OUTAGE_PROVIDER = 'Census TIGER';
const OUTAGE_ERROR = '503 Service Unavailable';
const OUTAGE_MINUTES = 50;
const FAILING_STATE = 'PA';
const FAILING_STATE_ERROR = 'ArcGIS REST error 500: Unable to complete operation';
const STUCK_JOB_AGE_HOURS = 14;
const RUN_EVERY = 6 * HOUR;

const TRANSIENT_PROVIDER_ERRORS = ['429 Too Many Requests', 'ECONNRESET socket hang up', 'Request timed out'];
const TRANSIENT_EXTRACTION_ERRORS = [
  'Timeout after <N>ms fetching layer',
  'Feature count mismatch: service returned an empty page',
  'ECONNRESET socket hang up',
];

export const STATES = [
  'AL', 'AK', 'AZ', 'AR', 'CA', 'CO', 'CT', 'DE', 'DC', 'FL', 'GA', 'HI', 'ID', 'IL', 'IN', 'IA', 'KS',
  'KY', 'LA', 'ME', 'MD', 'MA', 'MI', 'MN', 'MS', 'MO', 'MT', 'NE', 'NV', 'NH', 'NJ', 'NM', 'NY', 'NC',
  'ND', 'OH', 'OK', 'OR', 'PA', 'RI', 'SC', 'SD', 'TN', 'TX', 'UT', 'VT', 'VA', 'WA', 'WV', 'WI', 'WY',
] as const;

export const LAYERS = ['congressional', 'state_senate', 'state_house'] as const;
type Layer = (typeof LAYERS)[number];

const ORCHESTRATION_OPTIONS = {
  concurrency: 5,
  continueOnError: true,
  maxRetries: 3,
  retryDelayMs: 2000,
  validateAfterExtraction: true,
  rateLimitMs: 500,
};

const REQUEST_PATHS = ['/v1/districts/:coord', '/v1/proof/:hex', '/v1/snapshot/current', '/health'];
const QUERY_TYPES = ['district_lookup', 'snapshot_lookup', 'merkle_path', 'job_state'];

const FORMAT_RULE =
  'per row, seeded: about 70% `YYYY-MM-DD HH:MM:SS` (sql), 18% ISO with milliseconds (isoMs), 12% ISO without (iso); ' +
  'alerts: provider_down in sql format, the others ISO; persistence.db and jobs/*.json: ISO with milliseconds';

// ---------------------------------------------------------------------------------------------
// Timestamps

function formatTime(at: Date, format: TimestampFormat): string {
  if (format === 'sql') return toSqlTime(at);
  if (format === 'isoMs') return at.toISOString();
  return `${at.toISOString().slice(0, 19)}Z`;
}

function pickFormat(rng: Rng): TimestampFormat {
  const r = rng.next();
  return r < 0.7 ? 'sql' : r < 0.88 ? 'isoMs' : 'iso';
}

// ---------------------------------------------------------------------------------------------
// Metrics

export interface MetricEvent {
  type: string;
  value: number;
  labels: Record<string, string>;
  at: number;
}

/** A provider answering with `error` to every health check in [from, until). */
export interface ProviderOutage {
  provider: string;
  error: string;
  from: number;
  until: number;
}

interface Context {
  rng: Rng;
  now: number;
  start: number;
  scenario: Scenario;
  /** Providers down, and when. */
  outages: readonly ProviderOutage[];
  metrics: MetricEvent[];
  /** Persistence writes, applied in time order so backups see only what existed then. */
  ops: { at: number; apply: (db: Database.Database) => void }[];
  jobFiles: { id: string; json: unknown; updatedAt: number }[];
}

/** Background noise is allowed anywhere in the demo; a healthy directory has none in the last 48 h. */
function noiseAllowed(ctx: Context, at: number): boolean {
  return ctx.scenario === 'demo' || at < ctx.now - 2 * DAY;
}

function emit(ctx: Context, type: string, value: number, labels: Record<string, string>, at: number): void {
  if (at >= ctx.now || at < ctx.start) return;
  ctx.metrics.push({ type, value: Math.round(value * 1000) / 1000, labels, at });
}

function generateTickMetrics(ctx: Context): void {
  const { rng } = ctx;
  for (let tick = Math.ceil(ctx.start / TICK) * TICK; tick < ctx.now; tick += TICK) {
    // Provider health checks: health_check + provider_latency (+ provider_error).
    DEMO_PROVIDERS.forEach((p, i) => {
      const at = tick + i * 2000 + rng.int(0, 1500);
      const outage = ctx.outages.find((o) => o.provider === p.name && tick >= o.from && tick < o.until);
      const inOutage = outage !== undefined;
      let error: string | null = null;
      if (inOutage) error = outage.error;
      else if (rng.chance(0.004) && noiseAllowed(ctx, at)) error = rng.pick(TRANSIENT_PROVIDER_ERRORS);
      const latency = inOutage ? rng.between(60, 250) : rng.between(p.latency[0], p.latency[1]);
      emit(ctx, 'health_check', error ? 0 : 1, { provider: p.name }, at);
      emit(ctx, 'provider_latency', latency, { provider: p.name }, at + 1);
      if (error) emit(ctx, 'provider_error', 1, { provider: p.name, error }, at + 2);
    });

    // Proofs: the value is latency in ms, success is a label.
    for (const [type, lo, hi] of [['proof_generation', 800, 4200], ['merkle_proof', 4, 60]] as const) {
      const n = rng.int(0, type === 'proof_generation' ? 2 : 3);
      for (let k = 0; k < n; k++) {
        const at = tick + rng.int(10_000, TICK - 10_000);
        const failed = noiseAllowed(ctx, at) && rng.chance(ctx.scenario === 'demo' ? 0.01 : 0.004);
        emit(ctx, type, rng.between(lo, hi), { success: failed ? 'false' : 'true' }, at);
      }
    }

    // API requests, a little: request_count, request_latency, cache_hit/miss, request_error.
    if (rng.chance(0.6)) {
      const at = tick + rng.int(5_000, TICK - 5_000);
      const reqPath = rng.pick(REQUEST_PATHS);
      let status = '200';
      if (noiseAllowed(ctx, at) && rng.chance(0.03)) status = rng.chance(0.7) ? '404' : '500';
      emit(ctx, 'request_count', 1, { method: 'GET', path: reqPath, status }, at);
      emit(ctx, 'request_latency', rng.between(3, status === '500' ? 900 : 180), { method: 'GET', path: reqPath }, at);
      emit(ctx, rng.chance(0.75) ? 'cache_hit' : 'cache_miss', 1, {}, at);
      if (status !== '200') emit(ctx, 'request_error', 1, { method: 'GET', path: reqPath, status }, at);
    }

    // Database queries and the connection gauge.
    for (let k = 0; k < 2; k++) {
      const slow = rng.chance(0.01);
      emit(ctx, 'db_query', slow ? rng.between(300, 900) : rng.between(1, 120), { queryType: rng.pick(QUERY_TYPES) }, tick + rng.int(0, TICK - 1000));
    }
    emit(ctx, 'active_connections', rng.int(0, 12), {}, tick + 30_000);
  }
}

/**
 * The service's steady metrics (health checks, proofs, requests, queries) for the 5-minute ticks
 * in [from, to), as the demo history has them: what the sandbox's stand-in for the service keeps
 * writing as its clock moves. `to` should be a tick boundary, so that no tick is cut in two.
 */
export function serviceTickMetrics(opts: { from: number; to: number; rng: Rng; outages: readonly ProviderOutage[] }): MetricEvent[] {
  const ctx: Context = { rng: opts.rng, now: opts.to, start: opts.from, scenario: 'demo', outages: opts.outages, metrics: [], ops: [], jobFiles: [] };
  generateTickMetrics(ctx);
  return ctx.metrics;
}

/** How long the service's ticks are: metrics come in 5-minute rounds. */
export const SERVICE_TICK_MS = TICK;

// ---------------------------------------------------------------------------------------------
// Batch runs (jobs, extractions, failures, their metrics and JSON files)

interface TaskOutcome {
  state: string;
  layer: Layer;
  at: number;
  ok: boolean;
  boundaryCount: number;
  validationPassed: boolean;
  error?: string;
}

interface BatchRun {
  id: string;
  createdAt: number;
  updatedAt: number;
  status: 'running' | 'partial' | 'completed';
  states: string[];
  tasks: TaskOutcome[];
  notConfigured: { state: string; layer: Layer; reason: 'state_not_in_registry' | 'layer_not_configured'; checkedAt: number }[];
}

export function jobId(rng: Rng, createdAt: number): string {
  return `job-${createdAt.toString(36)}-${rng.hex(8)}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The boundary counts the registry expects per state and layer (stable per seed). */
export function expectedCounts(rng: Rng): Map<string, number> {
  const counts = new Map<string, number>();
  for (const state of [...STATES, 'PR', 'GU']) {
    counts.set(`${state}:congressional`, rng.int(1, 52));
    counts.set(`${state}:state_senate`, rng.int(20, 67));
    counts.set(`${state}:state_house`, rng.int(40, 400));
  }
  return counts;
}

export function sourceUrl(layer: Layer): string {
  const layerId = { congressional: 54, state_senate: 56, state_house: 58 }[layer];
  return `https://tigerweb.geo.census.gov/arcgis/rest/services/TIGERweb/Legislative/MapServer/${layerId}`;
}

/** Runs tasks back to back with overlap (concurrency 5), recording the service's metrics. */
function runTasks(
  ctx: Context,
  expected: Map<string, number>,
  pairs: { state: string; layer: Layer }[],
  startAt: number,
  failFor: (state: string, at: number) => string | null,
  endAt?: number,
): TaskOutcome[] {
  const { rng } = ctx;
  const outcomes: TaskOutcome[] = [];
  let cursor = startAt + 2000;
  for (const [i, { state, layer }] of pairs.entries()) {
    let durationMs = rng.between(3_000, 45_000);
    let at = cursor + durationMs;
    if (endAt !== undefined) at = startAt + ((endAt - startAt) * (i + 1)) / pairs.length;
    const error = failFor(state, at);
    if (error) durationMs = rng.between(60_000, 110_000);
    const labels = { state, layer };
    const want = expected.get(`${state}:${layer}`) ?? 1;
    if (error) {
      emit(ctx, 'extraction_failure', 1, labels, at);
      emit(ctx, 'job_duration', durationMs, labels, at);
      outcomes.push({ state, layer, at, ok: false, boundaryCount: 0, validationPassed: false, error });
    } else {
      const validationFails = noiseAllowed(ctx, at) && rng.chance(ctx.scenario === 'demo' ? 0.04 : 0.02);
      const boundaryCount = validationFails ? Math.max(1, want + rng.pick([-3, -2, -1, 1, 2])) : want;
      emit(ctx, 'extraction_success', 1, labels, at);
      emit(ctx, 'job_duration', durationMs, labels, at);
      emit(ctx, 'boundary_count', boundaryCount, labels, at);
      emit(ctx, validationFails ? 'validation_fail' : 'validation_pass', validationFails ? rng.between(0.35, 0.75) : rng.between(0.92, 1), labels, at + 5);
      outcomes.push({ state, layer, at, ok: true, boundaryCount, validationPassed: !validationFails });
    }
    cursor += durationMs / ORCHESTRATION_OPTIONS.concurrency;
  }
  return outcomes;
}

function recordRun(ctx: Context, run: BatchRun): void {
  const { rng } = ctx;
  const completed = run.tasks.filter((t) => t.ok);
  const failed = run.tasks.filter((t) => !t.ok);
  const total = run.tasks.length + run.notConfigured.length;
  const finished = run.status !== 'running';
  const errorSummary =
    failed.length > 0
      ? `${failed.length} of ${total} tasks failed: ${[...new Set(failed.map((f) => f.state))].join(', ')} (${failed[0]?.error ?? ''})`
      : null;

  ctx.ops.push({
    at: run.createdAt,
    apply: (db) => {
      db.prepare(
        `INSERT INTO jobs (id, scope_states, scope_layers, status, created_at, started_at, updated_at, completed_at,
           total_tasks, completed_tasks, failed_tasks, skipped_tasks, error_summary)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`,
      ).run(
        run.id, JSON.stringify(run.states), JSON.stringify(LAYERS), run.status, iso(run.createdAt), iso(run.createdAt + 1000),
        iso(run.updatedAt), finished ? iso(run.updatedAt) : null, total, completed.length, failed.length, errorSummary,
      );
    },
  });
  for (const t of run.tasks) {
    const id = rng.uuid();
    ctx.ops.push({
      at: t.at,
      apply: (db) => {
        if (t.ok) {
          db.prepare(
            `INSERT INTO extractions (id, job_id, state_code, layer_type, boundary_count, validation_passed, source_url, source_type, completed_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, 'arcgis', ?)`,
          ).run(id, run.id, t.state, t.layer, t.boundaryCount, t.validationPassed ? 1 : 0, sourceUrl(t.layer), iso(t.at));
        } else {
          db.prepare(
            `INSERT INTO failures (id, job_id, state_code, layer_type, error_message, error_stack, attempt_count, retryable,
               source_url, source_type, failed_at, retry_after)
             VALUES (?, ?, ?, ?, ?, ?, 3, 1, ?, 'arcgis', ?, ?)`,
          ).run(
            id, run.id, t.state, t.layer, t.error, `Error: ${t.error}\n    at StateBatchExtractor.extractLayer (state-batch-extractor.ts:412:11)`,
            sourceUrl(t.layer), iso(t.at), iso(t.at + HOUR),
          );
        }
      },
    });
  }

  ctx.jobFiles.push({
    id: run.id,
    updatedAt: run.updatedAt,
    json: {
      jobId: run.id,
      createdAt: iso(run.createdAt),
      updatedAt: iso(run.updatedAt),
      status: run.status,
      scope: { states: run.states, layers: LAYERS },
      progress: { totalTasks: total, completedTasks: completed.length, failedTasks: failed.length },
      completedExtractions: completed.map((t) => ({
        state: t.state, layer: t.layer, completedAt: iso(t.at), boundaryCount: t.boundaryCount, validationPassed: t.validationPassed,
      })),
      failures: failed.map((t) => ({ state: t.state, layer: t.layer, failedAt: iso(t.at), error: t.error, attemptCount: 3, retryable: true })),
      notConfiguredTasks: run.notConfigured.map((n) => ({ state: n.state, layer: n.layer, reason: n.reason, checkedAt: iso(n.checkedAt) })),
      options: ORCHESTRATION_OPTIONS,
    },
  });
}

/** One batch run as the service records it: its metrics, its persistence.db writes in time order, its jobs/<id>.json. */
export interface RecordedRun {
  id: string;
  metrics: MetricEvent[];
  writes: ((db: Database.Database) => void)[];
  jobFile: { id: string; json: unknown; updatedAt: number };
}

/**
 * A small batch run starting at `at` over `states` that finishes within the service's tick, as
 * the history's runs do: what the sandbox's running service starts every half hour, so that the
 * last hour always has extractions to measure.
 */
export function serviceBatchRun(opts: { at: number; rng: Rng; states: readonly string[]; expected: Map<string, number> }): RecordedRun {
  const ctx: Context = { rng: opts.rng, now: opts.at + TICK, start: opts.at, scenario: 'demo', outages: [], metrics: [], ops: [], jobFiles: [] };
  const pairs = opts.states.flatMap((state) => LAYERS.map((layer) => ({ state, layer })));
  const tasks = runTasks(ctx, opts.expected, pairs, opts.at, () => null).filter((t) => t.at < ctx.now);
  const updatedAt = Math.min(ctx.now - 1, Math.max(...tasks.map((t) => t.at)) + 500);
  const run: BatchRun = { id: jobId(opts.rng, opts.at), createdAt: opts.at, updatedAt, status: 'completed', states: [...opts.states], tasks, notConfigured: [] };
  recordRun(ctx, run);
  const job = ctx.jobFiles[0] as Context['jobFiles'][number];
  return { id: run.id, metrics: ctx.metrics, writes: [...ctx.ops].sort((a, b) => a.at - b.at).map((o) => o.apply), jobFile: job };
}

/**
 * A batch run every 6 hours over six states each, in rotation, the newest 55 minutes before now
 * (so the last hour always has extraction metrics). Runs take a few minutes and are all finished.
 */
function generateBatchRuns(ctx: Context, expected: Map<string, number>): { runs: BatchRun[]; failingJobIds: string[] } {
  const { rng } = ctx;
  const runs: BatchRun[] = [];
  const failingJobIds: string[] = [];
  let rotation = 0;
  const newest = ctx.now - 55 * MINUTE;
  const count = Math.floor((newest - ctx.start) / RUN_EVERY) + 1;
  for (let k = count - 1; k >= 0; k--) {
    const createdAt = newest - k * RUN_EVERY + rng.int(0, 59_000);
    const states: string[] = [];
    while (states.length < 6) {
      const s = STATES[rotation++ % STATES.length]!;
      if (s !== FAILING_STATE) states.push(s);
    }
    // Demo: the last two runs include Pennsylvania, whose portal answers 500 on every layer.
    const failing = ctx.scenario === 'demo' && k < 2;
    if (failing) states.push(FAILING_STATE);
    const pairs = states.flatMap((state) => LAYERS.map((layer) => ({ state, layer })));
    const tasks = runTasks(ctx, expected, pairs, createdAt, (state, at) => {
      if (failing && state === FAILING_STATE) return FAILING_STATE_ERROR;
      // Older transient failures only: in the last day the failing state is the whole story.
      if (ctx.scenario === 'demo' && at < ctx.now - DAY && rng.chance(0.015)) return rng.pick(TRANSIENT_EXTRACTION_ERRORS);
      return null;
    });
    const updatedAt = Math.max(...tasks.map((t) => t.at)) + 500;
    const anyFailed = tasks.some((t) => !t.ok);
    const run: BatchRun = {
      id: jobId(rng, createdAt), createdAt, updatedAt, status: anyFailed ? 'partial' : 'completed', states, tasks, notConfigured: [],
    };
    if (failing) failingJobIds.push(run.id);
    runs.push(run);
    recordRun(ctx, run);
  }
  return { runs, failingJobIds };
}

/**
 * The orchestrator quirk from DATA-CONTRACT.md: a job with not-configured tasks ends as
 * `running` although nothing runs. Its JSON updatedAt is 14 h old.
 */
function generateStuckJob(ctx: Context, expected: Map<string, number>): BatchRun {
  const updatedAt = ctx.now - STUCK_JOB_AGE_HOURS * HOUR;
  const createdAt = updatedAt - 40 * MINUTE;
  const states = ['NE', 'IA', 'PR', 'GU'];
  const notConfigured: BatchRun['notConfigured'] = [
    ...LAYERS.map((layer) => ({ state: 'PR', layer, reason: 'state_not_in_registry' as const, checkedAt: createdAt + 1500 })),
    ...LAYERS.map((layer) => ({ state: 'GU', layer, reason: 'state_not_in_registry' as const, checkedAt: createdAt + 1500 })),
    // Nebraska's legislature is unicameral: there is no state house layer.
    { state: 'NE', layer: 'state_house', reason: 'layer_not_configured', checkedAt: createdAt + 1500 },
  ];
  const pairs = [
    { state: 'NE', layer: 'congressional' as const },
    { state: 'NE', layer: 'state_senate' as const },
    ...LAYERS.map((layer) => ({ state: 'IA', layer })),
  ];
  const tasks = runTasks(ctx, expected, pairs, createdAt, () => null, updatedAt);
  const run: BatchRun = { id: jobId(ctx.rng, createdAt), createdAt, updatedAt, status: 'running', states, tasks, notConfigured };
  recordRun(ctx, run);
  return run;
}

// ---------------------------------------------------------------------------------------------
// Snapshots

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function fakeCid(rng: Rng): string {
  let out = 'bafybei';
  for (let i = 0; i < 52; i++) out += BASE32[rng.int(0, 31)];
  return out;
}

/**
 * A national snapshot after every other run (every 12 h), starting with the second newest, so
 * the current one is about 7 h old. Each new one deprecates its predecessor, so the newest is
 * the current (active) one. Demo: the current one was never uploaded (CID '').
 */
function generateSnapshots(ctx: Context, runs: BatchRun[], expected: Map<string, number>) {
  const { rng } = ctx;
  const sources = runs.filter((_, i) => (runs.length - 1 - i) % 2 === 1);
  const boundaryTotal = STATES.reduce((sum, s) => sum + LAYERS.reduce((n, l) => n + (expected.get(`${s}:${l}`) ?? 0), 0), 0);
  const ids: string[] = [];
  let previous: string | null = null;
  for (const [i, run] of sources.entries()) {
    const id = rng.uuid();
    const createdAt = run.updatedAt + 5 * MINUTE;
    const isCurrent = i === sources.length - 1;
    const missingCid = isCurrent && ctx.scenario === 'demo';
    const cid = missingCid ? '' : fakeCid(rng);
    const publishedAt = missingCid ? null : iso(createdAt + rng.int(8, 20) * MINUTE);
    const merkleRoot = `0x${rng.hex(64)}`;
    const prev = previous;
    ctx.ops.push({
      at: createdAt,
      apply: (db) => {
        db.prepare(
          `INSERT INTO snapshots (id, job_id, merkle_root, ipfs_cid, boundary_count, regions, created_at, published_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(id, run.id, merkleRoot, cid, boundaryTotal + i, JSON.stringify(STATES), iso(createdAt), publishedAt);
        const region = db.prepare('INSERT INTO snapshot_regions (snapshot_id, state_code) VALUES (?, ?)');
        for (const s of STATES) region.run(id, s);
        if (prev) db.prepare('UPDATE snapshots SET deprecated_at = ? WHERE id = ?').run(iso(createdAt), prev);
      },
    });
    ids.push(id);
    previous = id;
  }
  const current = ids.at(-1) ?? null;
  return { ids, current, missingCid: ctx.scenario === 'demo' ? current : null };
}

// ---------------------------------------------------------------------------------------------
// Alerts

interface AlertRow {
  name: string;
  status: 'firing' | 'resolved';
  message: string;
  firedAt: string;
  resolvedAt: string | null;
  acknowledgedAt: string | null;
}

function alertRows(ctx: Context): AlertRow[] {
  const at = (ms: number, format: TimestampFormat) => formatTime(new Date(ms), format);
  const rows: AlertRow[] = [];
  if (ctx.scenario === 'demo') {
    const firedAt = ctx.now - (OUTAGE_MINUTES - 5) * MINUTE;
    rows.push({
      name: 'provider_down', status: 'firing', message: `${OUTAGE_PROVIDER} health checks failing: ${OUTAGE_ERROR}`,
      firedAt: at(firedAt, 'sql'), resolvedAt: null, acknowledgedAt: null,
    });
    rows.push({
      name: 'high_job_duration', status: 'resolved', message: 'Average job duration 142 s is above 120 s',
      firedAt: at(ctx.now - 30 * HOUR, 'isoMs'), resolvedAt: at(ctx.now - 28 * HOUR, 'isoMs'), acknowledgedAt: at(ctx.now - 29.8 * HOUR, 'isoMs'),
    });
  }
  rows.push({
    name: 'low_validation_pass_rate', status: 'resolved', message: 'Validation pass rate 78% is below 80%',
    firedAt: at(ctx.now - 60 * HOUR, 'iso'), resolvedAt: at(ctx.now - 57 * HOUR, 'iso'), acknowledgedAt: at(ctx.now - 59.5 * HOUR, 'iso'),
  });
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Appends metric rows in time order, each in one of the service's three timestamp formats (seeded). */
export function insertMetricEvents(db: Database.Database, events: readonly MetricEvent[], rng: Rng, counted?: (type: string, format: TimestampFormat) => void): void {
  const insert = db.prepare('INSERT INTO metrics (type, value, labels_json, recorded_at) VALUES (?, ?, ?, ?)');
  for (const e of events) {
    const format = pickFormat(rng);
    counted?.(e.type, format);
    insert.run(e.type, e.value, JSON.stringify(e.labels), formatTime(new Date(e.at), format));
  }
}

function writeMetricsDb(file: string, ctx: Context, alerts: AlertRow[]) {
  const { rng } = ctx;
  const byType: Record<string, number> = {};
  const byFormat: Record<TimestampFormat, number> = { sql: 0, isoMs: 0, iso: 0 };
  // Append-only and in time order, like the service; ids grow with time.
  const events = [...ctx.metrics].sort((a, b) => a.at - b.at);
  const db = new Database(file);
  let alertIds: { id: number; name: string; status: string }[] = [];
  let dailySummaries = 0;
  try {
    db.exec(METRICS_DDL);
    const insertAlert = db.prepare(
      'INSERT INTO alerts (name, status, message, fired_at, resolved_at, acknowledged_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    db.transaction(() => {
      insertMetricEvents(db, events, rng, (type, format) => {
        byFormat[format]++;
        byType[type] = (byType[type] ?? 0) + 1;
      });
      for (const a of alerts) insertAlert.run(a.name, a.status, a.message, a.firedAt, a.resolvedAt, a.acknowledgedAt);
      // The service's generateDailySummary(): whole past days only. date() reads all three formats.
      const today = iso(Math.floor(ctx.now / DAY) * DAY).slice(0, 10);
      dailySummaries = db
        .prepare(
          `INSERT OR REPLACE INTO daily_summaries (date, type, labels_json, count, sum, min, max)
           SELECT date(recorded_at) AS d, type, labels_json, COUNT(*), SUM(value), MIN(value), MAX(value)
           FROM metrics GROUP BY d, type, labels_json HAVING d < ?`,
        )
        .run(today).changes;
    })();
    alertIds = db.prepare('SELECT id, name, status FROM alerts ORDER BY id').all() as typeof alertIds;
  } finally {
    db.close();
  }
  const sortedByType = Object.fromEntries(Object.entries(byType).sort(([a], [b]) => a.localeCompare(b)));
  return { rows: events.length, byType: sortedByType, byFormat, dailySummaries, alertIds, newestAt: events.at(-1)?.at ?? ctx.start };
}

/** Daily backups at 02:00 UTC for the last two days, each a consistent copy of the state then. */
function backupTimes(ctx: Context): number[] {
  const today2am = Math.floor(ctx.now / DAY) * DAY + 2 * HOUR;
  const latest = today2am <= ctx.now - 10 * MINUTE ? today2am : today2am - DAY;
  return [latest - DAY, latest].filter((t) => t >= ctx.start);
}

function writePersistenceDb(file: string, backupsDir: string, ctx: Context) {
  const ops = [...ctx.ops].sort((a, b) => a.at - b.at);
  const backups: { name: string; at: number }[] = [];
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(PERSISTENCE_DDL);
    let next = 0;
    const applyUntil = (limit: number) => {
      db.transaction(() => {
        while (next < ops.length && ops[next]!.at < limit) ops[next++]!.apply(db);
      })();
    };
    for (const at of backupTimes(ctx)) {
      applyUntil(at);
      const name = `persistence-${iso(at).slice(0, 10)}.db`;
      // VACUUM INTO is SQLite's synchronous online copy: consistent, includes what is still in -wal.
      db.prepare('VACUUM INTO ?').run(path.join(backupsDir, name));
      backups.push({ name, at });
    }
    applyUntil(Number.POSITIVE_INFINITY);
    const count = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    const counts = {
      jobs: count('jobs'),
      extractions: count('extractions'),
      failures: count('failures'),
      snapshots: count('snapshots'),
      snapshotRegions: count('snapshot_regions'),
    };
    return { counts, backups, newestAt: ops.at(-1)?.at ?? ctx.start };
  } finally {
    db.close();
  }
}

function setMtime(file: string, ms: number): void {
  const t = new Date(ms);
  utimesSync(file, t, t);
}

/**
 * Writes metrics.db, persistence.db, jobs/ and backups/ into `dataDir` (created if needed).
 * Refuses to touch a directory that already holds Atlas databases: it never overwrites data.
 */
export function generateAtlasData(dataDir: string, opts: GenerateOptions): GeneratedSummary {
  const days = opts.days ?? 4;
  const seed = opts.seed ?? 1;
  const scenario = opts.scenario ?? 'demo';
  const now = opts.now.getTime();
  if (!Number.isFinite(now)) throw new Error('generateAtlasData: now is not a valid date');
  if (!(days >= 1 && days <= 60)) throw new Error('generateAtlasData: days must be between 1 and 60');
  for (const name of ['metrics.db', 'persistence.db']) {
    if (existsSync(path.join(dataDir, name))) throw new Error(`generateAtlasData: ${path.join(dataDir, name)} exists; use an empty directory`);
  }
  const jobsDir = path.join(dataDir, 'jobs');
  const backupsDir = path.join(dataDir, 'backups');
  mkdirSync(jobsDir, { recursive: true });
  mkdirSync(backupsDir, { recursive: true });

  const outages = scenario === 'demo' ? [{ provider: OUTAGE_PROVIDER, error: OUTAGE_ERROR, from: now - OUTAGE_MINUTES * MINUTE, until: Number.POSITIVE_INFINITY }] : [];
  const ctx: Context = { rng: seededRng(seed), now, start: now - days * DAY, scenario, outages, metrics: [], ops: [], jobFiles: [] };
  const expected = expectedCounts(ctx.rng);
  generateTickMetrics(ctx);
  const { runs, failingJobIds } = generateBatchRuns(ctx, expected);
  const stuck = scenario === 'demo' ? generateStuckJob(ctx, expected) : null;
  const snapshots = generateSnapshots(ctx, runs, expected);
  const alerts = alertRows(ctx);

  const metricsFile = path.join(dataDir, 'metrics.db');
  const persistenceFile = path.join(dataDir, 'persistence.db');
  const metrics = writeMetricsDb(metricsFile, ctx, alerts);
  const persistence = writePersistenceDb(persistenceFile, backupsDir, ctx);

  ctx.jobFiles.sort((a, b) => a.updatedAt - b.updatedAt);
  for (const job of ctx.jobFiles) {
    const file = path.join(jobsDir, `${job.id}.json`);
    writeFileSync(file, JSON.stringify(job.json, null, 2), 'utf8');
    setMtime(file, job.updatedAt);
  }
  for (const b of persistence.backups) setMtime(path.join(backupsDir, b.name), b.at);
  setMtime(metricsFile, Math.max(metrics.newestAt, now - MINUTE));
  setMtime(persistenceFile, persistence.newestAt);

  const firing = metrics.alertIds.find((a) => a.status === 'firing');
  return {
    scenario,
    seed,
    now: iso(now),
    from: iso(ctx.start),
    metrics: { rows: metrics.rows, byType: metrics.byType, byFormat: metrics.byFormat, formatRule: FORMAT_RULE, dailySummaries: metrics.dailySummaries },
    alerts: {
      rows: alerts.length,
      firing: alerts.filter((a) => a.status === 'firing').map((a) => a.name),
      resolved: alerts.filter((a) => a.status === 'resolved').map((a) => a.name),
    },
    persistence: persistence.counts,
    jobFiles: ctx.jobFiles.map((j) => j.id),
    backups: persistence.backups.map((b) => b.name),
    scenarioFacts: {
      outage: scenario === 'demo' ? { provider: OUTAGE_PROVIDER, error: OUTAGE_ERROR, since: iso(now - OUTAGE_MINUTES * MINUTE) } : null,
      stuckJobId: stuck?.id ?? null,
      failingState: scenario === 'demo' ? FAILING_STATE : null,
      failingJobIds,
      currentSnapshotId: snapshots.current,
      snapshotMissingCidId: snapshots.missingCid,
      firingAlert: firing ? { id: firing.id, name: firing.name } : null,
      resolvedAlerts: alerts.filter((a) => a.status === 'resolved').map((a) => a.name),
    },
  };
}
