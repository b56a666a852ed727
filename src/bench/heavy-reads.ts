import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { errorTriage, type ErrorTriage } from '../checks/error-triage.js';
import { NO_DEADLINE } from '../checks/metric-window.js';
import { MetricsReaderPool } from '../checks/metrics-reader.js';
import { AtlasDatabase } from '../db/atlas-database.js';
import { generateAtlasData } from '../demo/generate-atlas-data.js';
import { windowRanges } from '../time/atlas-time.js';
import {
  BOT,
  drainAnswers,
  loopbackFetch,
  runLoad,
  SIGNING_SECRET,
  startCommander,
  startFakeServer,
  startLoad,
  type FakeServer,
  type LoadResult,
} from './ack-latency.js';
import { ensureBigMetrics } from './big-metrics.js';
import { summarize, type SampleSummary } from './stats.js';

/**
 * Long metric windows on the 5-million-row tables:
 *  d. `errors --window 30d` on a month with 1.9 million error rows, against the per-row path it
 *     replaced (every error row read into JavaScript and grouped there), counts compared;
 *  e. acknowledgements of a steady stream of other commands while `health --window 30d` and
 *     `errors --window 30d` run, against the same stream at rest; each heavy answer against its
 *     time on an idle bot; the event loop's longest stall through the whole scenario.
 */

const DAY = 86_400_000;
const MONTH = 30 * DAY;

// --- d. errors --window 30d, 1.9 million error rows ----------------------------------------------

const ERROR_TYPES = ['extraction_failure', 'validation_fail', 'provider_error', 'request_error'];
const ATTEMPT_TYPES = ['extraction_success', 'validation_pass', 'health_check', 'request_count', 'proof_generation', 'merkle_proof'];

/**
 * The per-row path `errors` had before (commit f877a61): per index range, the error rows read
 * into JavaScript and grouped by labels_json there, proofs filtered with json_extract, attempts
 * counted from the index. Only the counts, which is most of its work.
 */
function perRowErrorCounts(db: Database.Database, from: Date, to: Date): { errors: number; attempts: number } {
  const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
  const counts = db.prepare(`SELECT type, COUNT(*) AS n FROM metrics WHERE type IN (${marks(ATTEMPT_TYPES.length)}) AND recorded_at >= ? AND recorded_at < ? GROUP BY type`);
  const rows = db
    .prepare(`SELECT type, labels_json, value FROM metrics WHERE type IN (${marks(ERROR_TYPES.length)}) AND recorded_at >= ? AND recorded_at < ?`)
    .raw(true);
  const failed = db
    .prepare(
      "SELECT type, labels_json, value FROM metrics WHERE type IN (?, ?) AND recorded_at >= ? AND recorded_at < ? AND json_valid(labels_json) AND json_extract(labels_json, '$.success') = 'false'",
    )
    .raw(true);
  const byType = new Map<string, number>();
  const groups = new Map<string, Map<string, number>>();
  const add = (type: string, labels: string) => {
    let g = groups.get(type);
    if (!g) groups.set(type, (g = new Map()));
    g.set(labels, (g.get(labels) ?? 0) + 1);
  };
  for (const r of windowRanges(from, to)) {
    for (const row of counts.all(...ATTEMPT_TYPES, r.from, r.to) as { type: string; n: number }[]) byType.set(row.type, (byType.get(row.type) ?? 0) + row.n);
    for (const [type, labels] of rows.all(...ERROR_TYPES, r.from, r.to) as [string, string, number][]) add(type, labels);
    for (const [type, labels] of failed.all('proof_generation', 'merkle_proof', r.from, r.to) as [string, string, number][]) add(type, labels);
  }
  let errors = 0;
  for (const [, g] of groups) for (const [, n] of g) errors += n;
  const n = (t: string) => byType.get(t) ?? 0;
  const rowsOf = (t: string) => [...(groups.get(t)?.values() ?? [])].reduce((a, b) => a + b, 0);
  const attempts =
    Math.max(n('extraction_success') + rowsOf('extraction_failure'), rowsOf('extraction_failure')) +
    Math.max(n('validation_pass') + rowsOf('validation_fail'), rowsOf('validation_fail')) +
    Math.max(n('health_check'), rowsOf('provider_error')) +
    Math.max(n('request_count'), rowsOf('request_error')) +
    n('proof_generation') +
    n('merkle_proof');
  return { errors, attempts };
}

export interface ErrorStormResult {
  file: string;
  rows: number;
  errorRows: number;
  cache: string;
  iterations: number;
  /** errorTriage in this thread, the whole window (no bound). */
  inThread: SampleSummary;
  /** The same through a metrics reader (worker thread, 20 s bound): what `errors --window 30d` costs. */
  throughReader: SampleSummary;
  /** The per-row path it replaced. */
  perRow: SampleSummary;
  ours: { errors: number; attempts: number; complete: boolean };
  baseline: { errors: number; attempts: number };
  /** errors --window 10m on the same file: in this thread, and through the reader (round trip included). */
  shortInThread: SampleSummary;
  shortThroughReader: SampleSummary;
}

export async function benchErrorStorm(benchDir: string, iterations: number, log: (line: string) => void): Promise<ErrorStormResult> {
  const now = new Date();
  const big = ensureBigMetrics(benchDir, { now, mix: 'error-storm', log });
  log(`error-storm metrics file ${big.action} in ${(big.ms / 1000).toFixed(1)} s: ${big.rows.toLocaleString('en-US')} rows`);
  const metrics = new AtlasDatabase(big.file);
  const raw = new Database(big.file, { readonly: true });
  const pool = new MetricsReaderPool({ size: 1 });
  try {
    const errorRows = (
      raw.prepare(`SELECT COUNT(*) AS n FROM metrics WHERE type IN (${ERROR_TYPES.map(() => '?').join(', ')})`).get(...ERROR_TYPES) as { n: number }
    ).n;
    // Counts at one instant for all three, so they read the same rows.
    const at = new Date(Math.ceil(Date.now() / 1000) * 1000);
    const inThread: number[] = [];
    const throughReader: number[] = [];
    const perRow: number[] = [];
    let ours: ErrorTriage | null = null;
    let baseline = { errors: 0, attempts: 0 };
    log(`timing errors --window 30d on the error-storm file, ${iterations} runs each way, interleaved`);
    await pool.errorTriage(metrics, at, 10 * 60_000); // starts the worker
    for (let i = 0; i < iterations; i++) {
      let t = performance.now();
      ours = errorTriage(metrics, at, MONTH, 10, { deadline: NO_DEADLINE });
      inThread.push(performance.now() - t);
      t = performance.now();
      const viaReader = await pool.errorTriage(metrics, at, MONTH);
      throughReader.push(performance.now() - t);
      if (viaReader.errors !== ours.errors || !viaReader.coverage.complete) log(`reader answer differs: ${viaReader.errors} errors, complete ${viaReader.coverage.complete}`);
      t = performance.now();
      baseline = perRowErrorCounts(raw, new Date(at.getTime() - MONTH), at);
      perRow.push(performance.now() - t);
    }
    const shortInThread: number[] = [];
    const shortThroughReader: number[] = [];
    for (let i = 0; i < 200; i++) {
      let t = performance.now();
      errorTriage(metrics, new Date(), 10 * 60_000);
      shortInThread.push(performance.now() - t);
      t = performance.now();
      await pool.errorTriage(metrics, new Date(), 10 * 60_000);
      shortThroughReader.push(performance.now() - t);
    }
    return {
      file: big.file,
      rows: big.rows,
      errorRows,
      cache: big.action,
      iterations,
      inThread: summarize(inThread),
      throughReader: summarize(throughReader),
      perRow: summarize(perRow),
      ours: { errors: ours?.errors ?? 0, attempts: ours?.attempts ?? 0, complete: ours?.coverage.complete ?? false },
      baseline,
      shortInThread: summarize(shortInThread),
      shortThroughReader: summarize(shortThroughReader),
    };
  } finally {
    await pool.stop();
    raw.close();
    metrics.close();
  }
}

// --- e. acknowledgements while long windows are read ---------------------------------------------

export interface HeavyAckResult {
  loadConcurrency: number;
  rounds: number;
  /** Answer times (request to response_url) of each heavy command on an idle bot. */
  idle: { health: SampleSummary; errors: SampleSummary };
  /** The same, each round sent together, under the steady load. */
  underLoad: { health: SampleSummary; errors: SampleSummary; answered: number; expected: number };
  /** Acks of the steady load in the windows between heavy rounds, no heavy read running. */
  atRest: { latency: SampleSummary; throughputPerSec: number; failures: number };
  /** Acks of the steady load sent and answered while heavy reads ran. */
  during: { latency: SampleSummary; samples: number; failures: number };
  /** Answers of the steady load itself (context: the queue must not starve them either). */
  steadyAnswers: { rest: SampleSummary; during: SampleSummary };
  /** The bot's event loop from its start to its stop, everything above included. */
  loop: { maxMs: number; p99Ms: number };
}

export interface HeavyAckOptions {
  benchDir: string;
  /** The 5-million-row metrics.db the heavy commands read. */
  metricsFile: string;
  rounds: number;
  loadConcurrency: number;
  restMs: number;
  log: (line: string) => void;
}

/** request index -> answer latency (ms) for one run. */
function answerTimes(result: LoadResult, answers: Map<number, number>): number[] {
  const out: number[] = [];
  for (const s of result.samples) {
    const at = answers.get(s.i);
    if (at !== undefined) out.push(at - s.start);
  }
  return out;
}

export async function benchHeavyAcks(opts: HeavyAckOptions): Promise<HeavyAckResult> {
  const [{ buildSlackApp }, { createRegistry }, { createAuthorizer }, { buildConfig }, { closeDeps, createDeps }, pinoModule] = await Promise.all([
    import('../app.js'),
    import('../commands/index.js'),
    import('../commands/authorize.js'),
    import('../config.js'),
    import('../runtime.js'),
    import('pino'),
  ]);
  const { log, loadConcurrency, rounds } = opts;
  // The demo's persistence.db, jobs and backups beside the big metrics.db.
  const dataDir = path.join(opts.benchDir, 'heavy', '.shadow-atlas');
  rmSync(path.dirname(dataDir), { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  generateAtlasData(dataDir, { now: new Date(), scenario: 'demo', seed: 7 });
  rmSync(path.join(dataDir, 'metrics.db'), { force: true });
  symlinkSync(path.resolve(opts.metricsFile), path.join(dataDir, 'metrics.db'));

  const fake: FakeServer = await startFakeServer();
  const logger = pinoModule.default({ level: 'silent' });
  const config = buildConfig(dataDir, {
    providers: [{ name: 'Census TIGER', url: `${fake.url}/provider/0` }],
    ipfs: { gateways: [`${fake.url}/ipfs/`] },
  });
  const deps = createDeps(config, logger, { fetch: loopbackFetch });
  const registry = createRegistry(createAuthorizer(config));
  const slack = buildSlackApp({
    deps,
    registry,
    logger,
    slack: { botToken: 'xoxb-bench-token', signingSecret: SIGNING_SECRET, apiUrl: `${fake.url}/api/` },
    botIdentity: BOT,
  });
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const port = await slack.start(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  const commander = startCommander(url, fake.url);
  let runs = 0;
  const tag = () => `heavy${++runs}`;
  /** One command, answered: its answer latency in ms (NaN when no answer came). */
  const one = async (text: string): Promise<{ ms: number; start: number; answeredAt: number }> => {
    const runTag = tag();
    const sample = await commander.send(text, runTag, 0);
    const { answers } = await drainAnswers(fake, runTag, 1);
    const start = sample.start;
    const answeredAt = answers.get(0) ?? Number.NaN;
    return { ms: answeredAt - start, start, answeredAt };
  };
  const steady = (requests: number) => {
    const runTag = tag();
    return { runTag, load: startLoad({ url, text: 'help', runTag, requests, concurrency: loadConcurrency, responseUrlBase: fake.url, untilStopped: true }) };
  };

  try {
    log('heavy reads: warming up (worker start, page cache, quick_check)');
    await one('health --window 30d');
    await one('errors --window 30d');
    await runLoad({ url, text: 'help', runTag: tag(), requests: 200, concurrency: loadConcurrency, responseUrlBase: fake.url });

    log(`heavy reads: ${rounds} rounds of health and errors --window 30d on an idle bot`);
    const idleHealth: number[] = [];
    const idleErrors: number[] = [];
    for (let r = 0; r < rounds; r++) {
      // Past the 5 s during which a burst of health requests shares one run.
      await new Promise((resolve) => setTimeout(resolve, 5_100));
      idleHealth.push((await one('health --window 30d')).ms);
      idleErrors.push((await one('errors --window 30d')).ms);
    }

    // One steady load throughout; each round is a window at rest, then both heavy commands sent
    // together. At rest and during are taken from the same run, interleaved, so what changes
    // over a run (chatops.db grows by a row or two per answer) weighs on both alike.
    log(`heavy reads: steady /atlas help, ${loadConcurrency} at a time; ${rounds} rounds of ${(opts.restMs / 1000).toFixed(0)} s at rest, then health and errors --window 30d sent together`);
    const load = steady(1_000_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const heavyHealth: number[] = [];
    const heavyErrors: number[] = [];
    const restWindows: [number, number][] = [];
    const heavyWindows: [number, number][] = [];
    const epoch = () => performance.timeOrigin + performance.now();
    for (let r = 0; r < rounds; r++) {
      const restStart = epoch();
      // At least the 5 s during which a burst of health requests shares one run.
      await new Promise((resolve) => setTimeout(resolve, Math.max(opts.restMs, 5_100)));
      restWindows.push([restStart, epoch()]);
      const [h, e] = await Promise.all([one('health --window 30d'), one('errors --window 30d')]);
      heavyHealth.push(h.ms);
      heavyErrors.push(e.ms);
      heavyWindows.push([Math.min(h.start, e.start), Math.max(h.answeredAt, e.answeredAt)]);
    }
    load.load.stop();
    const loadResult = await load.load.result;
    const loadDrain = await drainAnswers(fake, load.runTag, loadResult.samples.length);
    const within = (windows: [number, number][]) => (s: { start: number; end: number }) => windows.some(([a, b]) => s.start >= a && s.end <= b);
    const rest = loadResult.samples.filter(within(restWindows));
    const during = loadResult.samples.filter(within(heavyWindows));
    const restMs = restWindows.reduce((n, [a, b]) => n + (b - a), 0);
    const restAnswers = answerTimes({ samples: rest, wallMs: 0 }, loadDrain.answers);
    const duringAnswers = answerTimes({ samples: during, wallMs: 0 }, loadDrain.answers);
    loop.disable();
    const answered = [...heavyHealth, ...heavyErrors].filter(Number.isFinite).length;
    return {
      loadConcurrency,
      rounds,
      idle: { health: summarize(idleHealth), errors: summarize(idleErrors) },
      underLoad: {
        health: summarize(heavyHealth.filter(Number.isFinite)),
        errors: summarize(heavyErrors.filter(Number.isFinite)),
        answered,
        expected: 2 * rounds,
      },
      atRest: {
        latency: summarize(rest.map((s) => s.end - s.start)),
        throughputPerSec: (rest.length / restMs) * 1000,
        failures: rest.filter((s) => s.status !== 200).length,
      },
      during: {
        latency: summarize(during.map((s) => s.end - s.start)),
        samples: during.length,
        failures: loadResult.samples.filter((s) => s.status !== 200).length,
      },
      steadyAnswers: { rest: summarize(restAnswers), during: summarize(duringAnswers) },
      loop: { maxMs: loop.max / 1e6, p99Ms: loop.percentile(99) / 1e6 },
    };
  } finally {
    loop.disable();
    await commander.close();
    await slack.stop();
    await closeDeps(deps);
    await fake.close();
    const { stopMetricsReaders } = await import('../checks/metrics-reader.js');
    await stopMetricsReaders();
  }
}
