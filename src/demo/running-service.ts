/**
 * The stood-in Shadow Atlas service, running: as the sandbox's clock moves, it writes into the
 * demo data directory what the service would have written in that time, in whole 5-minute
 * ticks: metrics (the demo generator's own health checks, proofs, requests and queries, with
 * whichever providers are down), the rows and JSON file of a batch job that runs long, and its
 * in-process alert rules' rows in metrics.db `alerts` (one row per name; a re-fire rewrites it).
 * Without it the bot's clock moves and the service's data stands still: two hours on, `health`
 * has nothing measured in its window.
 *
 * Like the generator, this is the service's side of the contract (DATA-CONTRACT.md), so it
 * writes with SQL of its own; the bot reads these files only through its stores.
 */
import { renameSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { toSqlTime } from '../time/atlas-time.js';
import {
  expectedCounts,
  insertMetricEvents,
  jobId,
  LAYERS,
  seededRng,
  serviceBatchRun,
  SERVICE_TICK_MS,
  serviceTickMetrics,
  sourceUrl,
  STATES,
  type MetricEvent,
  type ProviderOutage,
  type Rng,
} from './generate-atlas-data.js';
import { SERVICE_SCENARIOS, type ServicePlan, type ServiceScenario } from './service-scenarios.js';

const MINUTE = 60_000;
/** A provider failing this long makes the service's provider_down rule fire. */
const PROVIDER_DOWN_AFTER_MS = 5 * MINUTE;
/** A job slower than the alert line this long makes job_duration_regression fire. */
const SLOW_JOB_ALERT_AFTER_MS = 30 * MINUTE;
/** Extractions of the slow job: each takes 150 to 300 s (the guide's alert line is 120 s). */
const SLOW_TASK_MS: readonly [number, number] = [150_000, 300_000];
const SLOW_TASKS_PER_TICK = 2;
const JOB_DURATION_ALERT_SEC = 120;
/** The service's routine batch runs: a small one every half hour, two states at a time. */
const ROUTINE_RUN_EVERY_MS = 30 * MINUTE;
const ROUTINE_RUN_STATES = 2;

export const PROVIDER_DOWN = 'provider_down';
export const JOB_DURATION_REGRESSION = 'job_duration_regression';

/** What one advance wrote. */
export interface ServiceStep {
  /** The 5-minute ticks written. */
  ticks: number;
  metricRows: number;
  /** Alert rows changed, in order: `provider_down firing`, `provider_down resolved`. */
  alerts: string[];
  /** Where the written data now ends (a tick boundary). */
  writtenUntil: Date;
}

export interface RunningServiceStatus {
  scenario: { id: string; label: string; description: string; startedAt: string } | null;
  writtenUntil: string;
}

export interface RunningService {
  /** Writes what the service wrote up to the last whole tick before `now`. */
  advanceTo(now: Date): ServiceStep;
  /** Ends whatever was planted and starts scenario `id` at `now`; one sentence when there is no such scenario. */
  startScenario(id: string, now: Date): { ok: true; step: ServiceStep } | { ok: false; error: string };
  status(): RunningServiceStatus;
  /** Where the written data ends: the next advance writes from here. */
  writtenUntil(): Date;
  /**
   * The next moment after the written data at which the plan changes an alert row (an outage 5
   * minutes old or over, a slow job 30 minutes old or done), on a tick boundary; null when none is planned.
   */
  nextAlertChange(): Date | null;
  /** Whether the provider of that name is down at `at` (what a probe of it would meet). */
  providerDown(provider: string, at: Date): boolean;
}

export interface RunningServiceOptions {
  /** Where the generator's data ends (its `now`). */
  since: Date;
  /** What is already going on at `since`: the demo's planted outage. */
  outages: readonly ProviderOutage[];
  seed: number;
  scenarios?: readonly ServiceScenario[];
}

interface SlowJob {
  id: string;
  from: number;
  until: number;
  states: string[];
  /** Extractions done so far. */
  done: { state: string; layer: string; at: number; boundaryCount: number }[];
  finished: boolean;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The demo data's outage, as the generator planted it (scenarioFacts.outage). */
export function plantedOutages(facts: { provider: string; error: string; since: string } | null): ProviderOutage[] {
  return facts ? [{ provider: facts.provider, error: facts.error, from: Date.parse(facts.since), until: Number.POSITIVE_INFINITY }] : [];
}

export function runningService(dataDir: string, opts: RunningServiceOptions): RunningService {
  const scenarios = opts.scenarios ?? SERVICE_SCENARIOS;
  const rng: Rng = seededRng(opts.seed ^ 0x5eed);
  const metricsFile = path.join(dataDir, 'metrics.db');
  const persistenceFile = path.join(dataDir, 'persistence.db');
  // The tick cut by `since` was written up to `since`; the service goes on from the next one.
  let writtenUntil = Math.ceil(opts.since.getTime() / SERVICE_TICK_MS) * SERVICE_TICK_MS;
  let plan: ServicePlan = { outages: [...opts.outages], slowJob: null };
  let job: SlowJob | null = null;
  let current: { scenario: ServiceScenario; startedAt: number } | null = null;
  const firing = readFiring(metricsFile);
  const expected = expectedCounts(rng);
  let routineState = 0;

  /** Every half hour, a routine run that finishes within its tick: extractions for `health` to measure. */
  function routineRun(tick: number, persistence: Database.Database, events: MetricEvent[]): void {
    if (tick % ROUTINE_RUN_EVERY_MS !== 0) return;
    const states = Array.from({ length: ROUTINE_RUN_STATES }, () => STATES[routineState++ % STATES.length] as string);
    const run = serviceBatchRun({ at: tick + MINUTE, rng, states, expected });
    for (const write of run.writes) write(persistence);
    events.push(...run.metrics);
    writeJson(path.join(dataDir, 'jobs', `${run.jobFile.id}.json`), run.jobFile.json, run.jobFile.updatedAt);
  }

  /** The alert rules at time `t`, as the service evaluates them: each row written only when it changes. */
  function evaluateRules(t: number, metrics: Database.Database, changed: string[]): void {
    const down = plan.outages.filter((o) => o.from + PROVIDER_DOWN_AFTER_MS <= t && t < o.until);
    const slow = job !== null && !job.finished && job.from + SLOW_JOB_ALERT_AFTER_MS <= t;
    const rules: { name: string; on: boolean; message: () => string }[] = [
      {
        name: PROVIDER_DOWN,
        on: down.length > 0,
        message: () => `${down.map((o) => o.provider).join(', ')} health checks failing: ${down[0]?.error ?? ''}`,
      },
      {
        name: JOB_DURATION_REGRESSION,
        on: slow,
        message: () => `Average job duration above ${JOB_DURATION_ALERT_SEC} s for ${Math.round(SLOW_JOB_ALERT_AFTER_MS / MINUTE)} min (job ${job?.id ?? ''})`,
      },
    ];
    for (const rule of rules) {
      if (rule.on && !firing.has(rule.name)) {
        metrics
          .prepare(
            `INSERT INTO alerts (name, status, message, fired_at, resolved_at, acknowledged_at) VALUES (?, 'firing', ?, ?, NULL, NULL)
             ON CONFLICT(name) DO UPDATE SET status = 'firing', message = excluded.message, fired_at = excluded.fired_at, resolved_at = NULL, acknowledged_at = NULL`,
          )
          .run(rule.name, rule.message(), toSqlTime(new Date(t)));
        firing.add(rule.name);
        changed.push(`${rule.name} firing`);
      } else if (!rule.on && firing.has(rule.name)) {
        metrics.prepare(`UPDATE alerts SET status = 'resolved', resolved_at = ? WHERE name = ? AND status = 'firing'`).run(toSqlTime(new Date(t)), rule.name);
        firing.delete(rule.name);
        changed.push(`${rule.name} resolved`);
      }
    }
  }

  /** The slow job's extractions in [tick, tick + 5 min): metrics, and rows in persistence.db. */
  function slowJobTick(tick: number, persistence: Database.Database, events: MetricEvent[]): void {
    if (!job || job.finished || tick < job.from || tick >= job.until) return;
    if (tick === job.from) insertJobRow(persistence, job);
    for (let k = 0; k < SLOW_TASKS_PER_TICK; k++) {
      const index = job.done.length % (job.states.length * LAYERS.length);
      const state = job.states[Math.floor(index / LAYERS.length)] as string;
      const layer = LAYERS[index % LAYERS.length] as string;
      const at = tick + ((k + 1) * SERVICE_TICK_MS) / (SLOW_TASKS_PER_TICK + 1);
      const boundaryCount = rng.int(1, 60);
      const labels = { state, layer };
      events.push(
        { type: 'extraction_success', value: 1, labels, at },
        { type: 'job_duration', value: Math.round(rng.between(SLOW_TASK_MS[0], SLOW_TASK_MS[1])), labels, at },
        { type: 'boundary_count', value: boundaryCount, labels, at },
        { type: 'validation_pass', value: Math.round(rng.between(0.92, 1) * 1000) / 1000, labels, at: at + 5 },
      );
      persistence
        .prepare(
          `INSERT INTO extractions (id, job_id, state_code, layer_type, boundary_count, validation_passed, source_url, source_type, completed_at)
           VALUES (?, ?, ?, ?, ?, 1, ?, 'arcgis', ?)`,
        )
        .run(rng.uuid(), job.id, state, layer, boundaryCount, sourceUrl(layer as (typeof LAYERS)[number]), iso(at));
      job.done.push({ state, layer, at, boundaryCount });
    }
    updateJob(persistence, job, tick + SERVICE_TICK_MS - 1);
  }

  /** Ends the slow job at `t` when its time is up: completed, in the table and its file. */
  function finishJob(t: number, persistence: Database.Database): void {
    if (!job || job.finished || t < job.until || t <= job.from) return;
    job.finished = true;
    updateJob(persistence, job, Math.min(t, job.until));
  }

  function updateJob(persistence: Database.Database, j: SlowJob, at: number): void {
    const total = j.states.length * LAYERS.length;
    persistence
      .prepare('UPDATE jobs SET status = ?, updated_at = ?, completed_at = ?, completed_tasks = ?, total_tasks = ? WHERE id = ?')
      .run(j.finished ? 'completed' : 'running', iso(at), j.finished ? iso(at) : null, j.done.length, Math.max(total, j.done.length), j.id);
    writeJobFile(dataDir, j, at);
  }

  /** Writes ticks up to `target` (a tick boundary), evaluating the rules at each tick's end. */
  function writeUntil(target: number): ServiceStep {
    const step: ServiceStep = { ticks: 0, metricRows: 0, alerts: [], writtenUntil: new Date(writtenUntil) };
    if (target <= writtenUntil) return step;
    const metrics = new Database(metricsFile);
    const persistence = new Database(persistenceFile);
    try {
      metrics.pragma('busy_timeout = 5000');
      persistence.pragma('busy_timeout = 5000');
      const write = () => {
        for (let tick = writtenUntil; tick < target; tick += SERVICE_TICK_MS) {
          const events = serviceTickMetrics({ from: tick, to: tick + SERVICE_TICK_MS, rng, outages: plan.outages });
          routineRun(tick, persistence, events);
          slowJobTick(tick, persistence, events);
          events.sort((a, b) => a.at - b.at);
          insertMetricEvents(metrics, events, rng);
          step.metricRows += events.length;
          step.ticks++;
          finishJob(tick + SERVICE_TICK_MS, persistence);
          evaluateRules(tick + SERVICE_TICK_MS, metrics, step.alerts);
        }
      };
      // Each file in one transaction: the bot never reads half a step.
      persistence.transaction(() => metrics.transaction(write)())();
    } finally {
      metrics.close();
      persistence.close();
    }
    writtenUntil = target;
    step.writtenUntil = new Date(target);
    return step;
  }

  return {
    advanceTo(now) {
      return writeUntil(Math.floor(now.getTime() / SERVICE_TICK_MS) * SERVICE_TICK_MS);
    },
    startScenario(id, now) {
      const scenario = scenarios.find((s) => s.id === id);
      if (!scenario) return { ok: false, error: `No scenario "${id.slice(0, 40)}"; pick one from the menu.` };
      const step = writeUntil(Math.floor(now.getTime() / SERVICE_TICK_MS) * SERVICE_TICK_MS);
      const at = writtenUntil;
      // Whatever was going on ends now: each scenario starts from a calm service.
      const next = scenario.plan(at);
      plan = { outages: [...plan.outages.map((o) => ({ ...o, until: Math.min(o.until, at) })), ...next.outages], slowJob: next.slowJob };
      const metrics = new Database(metricsFile);
      const persistence = new Database(persistenceFile);
      try {
        if (job && !job.finished) {
          job.until = Math.min(job.until, at);
          persistence.transaction(() => finishJob(at, persistence))();
        }
        if (next.slowJob) job = newSlowJob(rng, next.slowJob);
        // The rules see the change at once (an outage that ended, a job that finished), as the service's next check would.
        metrics.transaction(() => evaluateRules(at, metrics, step.alerts))();
      } finally {
        metrics.close();
        persistence.close();
      }
      current = { scenario, startedAt: at };
      return { ok: true, step };
    },
    writtenUntil: () => new Date(writtenUntil),
    nextAlertChange() {
      const moments = [
        ...plan.outages.flatMap((o) => [o.from + PROVIDER_DOWN_AFTER_MS, o.until]),
        ...(job && !job.finished ? [job.from + SLOW_JOB_ALERT_AFTER_MS, job.until] : []),
      ]
        // Rules are evaluated at the end of each tick: a change is seen at the first boundary at or after it.
        .map((t) => Math.ceil(t / SERVICE_TICK_MS) * SERVICE_TICK_MS)
        .filter((t) => Number.isFinite(t) && t > writtenUntil);
      return moments.length > 0 ? new Date(Math.min(...moments)) : null;
    },
    providerDown: (provider, when) => plan.outages.some((o) => o.provider === provider && o.from <= when.getTime() && when.getTime() < o.until),
    status() {
      return {
        scenario: current
          ? { id: current.scenario.id, label: current.scenario.label, description: current.scenario.description, startedAt: iso(current.startedAt) }
          : null,
        writtenUntil: iso(writtenUntil),
      };
    },
  };
}

function readFiring(metricsFile: string): Set<string> {
  const db = new Database(metricsFile, { readonly: true });
  try {
    return new Set((db.prepare(`SELECT name FROM alerts WHERE status = 'firing'`).all() as { name: string }[]).map((r) => r.name));
  } finally {
    db.close();
  }
}

function newSlowJob(rng: Rng, plan: { from: number; until: number }): SlowJob {
  const tasks = Math.ceil((plan.until - plan.from) / SERVICE_TICK_MS) * SLOW_TASKS_PER_TICK;
  const states = STATES.slice(0, Math.max(1, Math.ceil(tasks / LAYERS.length)));
  return { id: jobId(rng, plan.from), from: plan.from, until: plan.until, states: [...states], done: [], finished: false };
}

function insertJobRow(persistence: Database.Database, job: SlowJob): void {
  persistence
    .prepare(
      `INSERT INTO jobs (id, scope_states, scope_layers, status, created_at, started_at, updated_at, completed_at,
         total_tasks, completed_tasks, failed_tasks, skipped_tasks, error_summary)
       VALUES (?, ?, ?, 'running', ?, ?, ?, NULL, ?, 0, 0, 0, NULL)`,
    )
    .run(job.id, JSON.stringify(job.states), JSON.stringify(LAYERS), iso(job.from), iso(job.from + 1000), iso(job.from + 1000), job.states.length * LAYERS.length);
}

/** The slow job's jobs/<id>.json. */
function writeJobFile(dataDir: string, job: SlowJob, at: number): void {
  const file = path.join(dataDir, 'jobs', `${job.id}.json`);
  const json = {
    jobId: job.id,
    createdAt: iso(job.from),
    updatedAt: iso(at),
    status: job.finished ? 'completed' : 'running',
    scope: { states: job.states, layers: LAYERS },
    progress: {
      totalTasks: job.states.length * LAYERS.length,
      completedTasks: job.done.length,
      failedTasks: 0,
      ...(job.finished ? {} : { currentTask: `${job.states[Math.floor(job.done.length / LAYERS.length) % job.states.length]}:${LAYERS[job.done.length % LAYERS.length]}` }),
    },
    completedExtractions: job.done.map((d) => ({ state: d.state, layer: d.layer, completedAt: iso(d.at), boundaryCount: d.boundaryCount, validationPassed: true })),
    failures: [],
    notConfiguredTasks: [],
    options: { concurrency: 5, continueOnError: true, maxRetries: 3, retryDelayMs: 2000, validateAfterExtraction: true, rateLimitMs: 500 },
  };
  writeJson(file, json, at);
}

/** A job file, written the orchestrator's way (a temporary file renamed over the old one), dated when it was updated. */
function writeJson(file: string, json: unknown, updatedAt: number): void {
  const temp = `${file}.tmp`;
  writeFileSync(temp, JSON.stringify(json, null, 2), 'utf8');
  const t = new Date(updatedAt);
  utimesSync(temp, t, t);
  renameSync(temp, file);
}
