import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { errorTriage } from '../checks/error-triage.js';
import { AtlasDatabase } from '../db/atlas-database.js';
import { generateAtlasData } from '../demo/generate-atlas-data.js';
import { toSqlTime, windowRanges } from '../time/atlas-time.js';
import { benchAckLatency, type AckBenchResult, type AckScenario } from './ack-latency.js';
import { benchBackup, type BackupBenchResult } from './backup-bench.js';
import { ensureBigDatabase } from './big-database.js';
import { benchDelivery, type DeliveryBenchResult } from './delivery-bench.js';
import { benchEdgeFlood, type EdgeFloodResult } from './edge-flood.js';
import { benchHandoff, type HandoffBenchResult } from './handoff-bench.js';
import { benchPagerDuty, type PagerDutyBenchResult } from './pagerduty-bench.js';
import { benchErrorStorm, benchHeavyAcks, type ErrorStormResult, type HeavyAckResult } from './heavy-reads.js';
import { countErrorsExactly, ensureBigMetrics, GUIDE_ERROR_TYPES } from './big-metrics.js';
import { benchReplicas, type ReplicasBenchResult } from './replicas-bench.js';
import { benchRollups, ROLLUP_COMMANDS, type RollupsBenchResult } from './rollups-bench.js';
import { formatMs, formatRatio, summarize, type SampleSummary } from './stats.js';
import { exitWith, isMainModule } from '../is-main-module.js';

/**
 * `npm run bench`: each figure next to a baseline measured in the same run, with its target and
 * PASS/MISS. Data files are cached under bench-data/. A first run builds two 5M-row metrics.db
 * files and a 1 GB database (a few minutes on 2 cores); later runs reuse them (about 4 minutes,
 * most of it waiting for integrity_check and the long-window rounds).
 * `npm run bench -- --only heavy` runs only the long-window tables (d and e); `--only delivery` only
 * the delivery table (f: 500 alerts at Slack's pace, about 9 minutes; `--alerts N` for fewer);
 * `--only handoff` only the handoff table (g: `--handoff-runs N` builds on each side, default 20);
 * `--only backup` only the backup table (h: a 1 GB backup under a writer, about 2 minutes);
 * `--only pagerduty` only the PagerDuty table (i: `--iterations` cycles, min(`--alerts`, 200) delivered).
 * `--only edge` only the HTTP edge table (j: `--flood-posts` concurrent unauthenticated POSTs of `--flood-mb` MB, about a minute).
 * `--only rollups` only the 30-day windows from a cold terminal with the metrics rollups (k: `--rounds` cold runs of each command, about two minutes).
 * `--only replicas` only the replicas table (l: one bot on SQLite, one on PostgreSQL, two on one PostgreSQL database;
 * `--replica-requests` acks and `--replica-alerts` messages per configuration, about two minutes).
 * One file: the tables, their targets and the summary are printed together.
 */

interface Row {
  measure: string;
  ours: string;
  baseline: string;
  ratio: string;
  target: string;
  result: 'PASS' | 'MISS' | 'info' | 'n/a';
}

const WINDOW_MS = 10 * 60_000;

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

type Header = Pick<Row, 'measure' | 'ours' | 'baseline' | 'ratio' | 'target'>;
const DEFAULT_HEADER: Header = { measure: 'measure', ours: 'ours', baseline: 'baseline (same run)', ratio: 'ratio', target: 'target' };

function printTable(title: string, rows: Row[], out: (s: string) => void, labels: Header = DEFAULT_HEADER): void {
  const header: Row = { ...labels, result: 'n/a' };
  const all = [header, ...rows];
  const widths = (['measure', 'ours', 'baseline', 'ratio', 'target'] as const).map((k) => Math.max(...all.map((r) => r[k].length)));
  out(`\n${title}\n`);
  for (const [i, r] of all.entries()) {
    const cells = [r.measure, r.ours, r.baseline, r.ratio, r.target].map((c, k) => pad(c, widths[k]!));
    out(`  ${cells.join('  ')}  ${i === 0 ? 'result' : r.result}\n`);
    if (i === 0) out(`  ${'-'.repeat(widths.reduce((n, w) => n + w + 2, 0) + 6)}\n`);
  }
}

const verdict = (ok: boolean): 'PASS' | 'MISS' => (ok ? 'PASS' : 'MISS');

// --- a. errors --window 10m on 5M rows ------------------------------------------------------------

interface ErrorsWindowResult {
  rows: number;
  isoRows: number;
  cache: string;
  iterations: number;
  ours: SampleSummary;
  guide: SampleSummary;
  /** The guide's four counts done the exact way (windowRanges): the same work as the guide query. */
  rangesOnly: SampleSummary;
  at: string;
  truth: Record<string, number>;
  oursCounts: Record<string, number>;
  guideCounts: Record<string, number>;
  truthScanMs: number;
}

function benchErrorsWindow(benchDir: string, iterations: number, log: (s: string) => void): ErrorsWindowResult {
  const big = ensureBigMetrics(benchDir, { now: new Date(), log });
  log(`metrics file ${big.action} in ${formatMs(big.ms)}: ${big.rows.toLocaleString('en-US')} rows, ${big.isoRows.toLocaleString('en-US')} ISO, ${big.from} .. ${big.to}`);
  const metrics = new AtlasDatabase(big.file);
  const guideDb = new Database(big.file, { readonly: true });
  const marks = GUIDE_ERROR_TYPES.map(() => '?').join(', ');
  // The on-call guide's style, verbatim: text comparison against datetime('now').
  const guide = guideDb.prepare(
    `SELECT type, COUNT(*) AS n FROM metrics WHERE type IN (${marks}) AND recorded_at >= datetime('now', '-10 minutes') GROUP BY type`,
  );
  // The same query at a chosen instant, to compare counts with the truth at that instant.
  const guideAt = guideDb.prepare(
    `SELECT type, COUNT(*) AS n FROM metrics WHERE type IN (${marks}) AND recorded_at >= datetime(?, '-10 minutes') GROUP BY type`,
  );
  const rangeCount = guideDb.prepare('SELECT COUNT(*) AS n FROM metrics WHERE type = ? AND recorded_at >= ? AND recorded_at < ?');
  const countByRanges = (now: Date) => {
    const ranges = windowRanges(new Date(now.getTime() - WINDOW_MS), now);
    return GUIDE_ERROR_TYPES.map((type) => ranges.reduce((n, r) => n + (rangeCount.get(type, r.from, r.to) as { n: number }).n, 0));
  };
  try {
    for (let i = 0; i < 20; i++) {
      errorTriage(metrics, new Date(), WINDOW_MS);
      guide.all(...GUIDE_ERROR_TYPES);
      countByRanges(new Date());
    }
    log(`timing errorTriage and the guide query, ${iterations} iterations each, interleaved`);
    const ours: number[] = [];
    const theirs: number[] = [];
    const ranges: number[] = [];
    for (let i = 0; i < iterations; i++) {
      let t = performance.now();
      errorTriage(metrics, new Date(), WINDOW_MS);
      ours.push(performance.now() - t);
      t = performance.now();
      guide.all(...GUIDE_ERROR_TYPES);
      theirs.push(performance.now() - t);
      t = performance.now();
      countByRanges(new Date());
      ranges.push(performance.now() - t);
    }

    // Counts at one whole second after the newest row, so every answer sees the same rows.
    const at = new Date(Math.ceil(Date.now() / 1000) * 1000);
    const triage = errorTriage(metrics, at, WINDOW_MS);
    const typeOf: Record<string, string> = {
      extraction: 'extraction_failure', validation: 'validation_fail', provider: 'provider_error',
      request: 'request_error', proof: 'proof_generation', merkle: 'merkle_proof',
    };
    const oursCounts = Object.fromEntries(triage.families.map((f) => [typeOf[f.key] ?? f.key, f.errors]));
    const guideCounts = Object.fromEntries(
      (guideAt.all(...GUIDE_ERROR_TYPES, toSqlTime(at)) as { type: string; n: number }[]).map((r) => [r.type, r.n]),
    );
    log('counting the exact truth with a full scan that parses every timestamp');
    const t = performance.now();
    const truth = countErrorsExactly(big.file, new Date(at.getTime() - WINDOW_MS), at);
    const truthScanMs = performance.now() - t;
    return {
      rows: big.rows, isoRows: big.isoRows, cache: big.action, iterations,
      ours: summarize(ours), guide: summarize(theirs), rangesOnly: summarize(ranges), at: at.toISOString(), truth, oursCounts, guideCounts, truthScanMs,
    };
  } finally {
    guideDb.close();
    metrics.close();
  }
}

function errorsRows(r: ErrorsWindowResult): Row[] {
  const sum = (counts: Record<string, number>) => GUIDE_ERROR_TYPES.reduce((n, t) => n + (counts[t] ?? 0), 0);
  const exact = [...GUIDE_ERROR_TYPES, 'proof_generation', 'merkle_proof'].every((t) => (r.oursCounts[t] ?? 0) === (r.truth[t] ?? 0));
  const perType = (counts: Record<string, number>) => GUIDE_ERROR_TYPES.map((t) => counts[t] ?? 0).join('/');
  return [
    {
      measure: `errorTriage() median, ${r.iterations} runs`, ours: formatMs(r.ours.median), baseline: `${formatMs(r.guide.median)} guide query`,
      ratio: formatRatio(r.ours.median, r.guide.median), target: '<= x 2.00 of guide', result: verdict(r.ours.median <= 2 * r.guide.median),
    },
    {
      measure: 'errorTriage() p99', ours: formatMs(r.ours.p99), baseline: `${formatMs(r.guide.p99)} guide query`,
      ratio: formatRatio(r.ours.p99, r.guide.p99), target: '(info)', result: 'info',
    },
    {
      measure: '  same 4 counts as the guide, exact (windowRanges)', ours: formatMs(r.rangesOnly.median), baseline: `${formatMs(r.guide.median)} guide query`,
      ratio: formatRatio(r.rangesOnly.median, r.guide.median), target: '(info: equal work)', result: 'info',
    },
    {
      measure: 'error rows in window (4 guide types)', ours: `${sum(r.oursCounts)}`, baseline: `guide ${sum(r.guideCounts)}, truth ${sum(r.truth)}`,
      ratio: '', target: '= truth', result: verdict(sum(r.oursCounts) === sum(r.truth)),
    },
    {
      measure: '  per type (extr/valid/provider/request)', ours: perType(r.oursCounts), baseline: `guide ${perType(r.guideCounts)}, truth ${perType(r.truth)}`,
      ratio: '', target: '(info)', result: 'info',
    },
    {
      measure: 'failed proofs in window (zk/merkle)', ours: `${r.oursCounts.proof_generation ?? 0}/${r.oursCounts.merkle_proof ?? 0}`,
      baseline: `guide has no query; truth ${r.truth.proof_generation ?? 0}/${r.truth.merkle_proof ?? 0}`, ratio: '', target: '= truth', result: verdict(exact),
    },
  ];
}

// --- b. and c. acknowledgement latency ------------------------------------------------------------

function ackRows(r: AckBenchResult): { atRest: Row[]; underCheck: Row[] } {
  const rows: Row[] = [];
  const underCheck: Row[] = [];
  const base = r.bare.latency;
  rows.push({
    measure: `bare Bolt app (${r.bare.requests} req, ${r.bare.concurrency} concurrent)`,
    ours: `p50 ${formatMs(base.median)}, p99 ${formatMs(base.p99)}`,
    baseline: `${r.bare.throughputPerSec.toFixed(0)} req/s; loop blocked max ${formatMs(r.bare.eventLoopDelay.maxMs)}`,
    ratio: '', target: '(baseline)', result: 'info',
  });
  for (const s of r.ours) {
    const unregistered = r.unregistered.includes(s.text);
    rows.push({
      measure: `${s.name} p99${unregistered ? ' (NOT REGISTERED: times a usage error)' : ''}`,
      ours: `${formatMs(s.latency.p99)} (p50 ${formatMs(s.latency.median)}, ${s.throughputPerSec.toFixed(0)} req/s${s.failures ? `, ${s.failures} non-200` : ''})`,
      baseline: `${formatMs(base.p99)} bare`, ratio: formatRatio(s.latency.p99, base.p99), target: '<= x 1.20 of bare',
      result: verdict(s.latency.p99 <= 1.2 * base.p99 && s.failures === 0),
    });
    if (s.answer) rows.push(answerRow(s));
  }
  for (const s of r.underIntegrity) {
    const rest = r.ours.find((o) => o.text === s.text);
    const during = s.duringCheck!;
    const restP99 = rest?.latency.p99 ?? Number.NaN;
    underCheck.push({
      measure: `${s.name} p99 (${during.samples} acks during a ${formatMs(during.checkMs)} check)`,
      ours: `${formatMs(during.latency.p99)} (p50 ${formatMs(during.latency.median)})`,
      baseline: `${formatMs(restP99)} at rest`, ratio: formatRatio(during.latency.p99, restP99), target: '<= x 2.00 of at rest',
      result: during.samples === 0 ? 'n/a' : verdict(during.latency.p99 <= 2 * restP99 && s.failures === 0),
    });
    underCheck.push({
      measure: `  slowest ack during the check`, ours: formatMs(during.latency.max), baseline: `${formatMs(rest?.latency.max ?? Number.NaN)} at rest`,
      ratio: '', target: '<= 1 s', result: during.samples === 0 ? 'n/a' : verdict(during.latency.max <= 1000),
    });
    if (s.answer) underCheck.push(answerRow(s));
  }
  return { atRest: rows, underCheck };
}

/** The answer itself (posted to response_url after the ack): context for the ack figures. */
function answerRow(s: AckScenario): Row {
  const a = s.answer!;
  return {
    measure: `  answer posted to response_url; event loop`,
    ours: `p50 ${formatMs(a.latency.median)}, p99 ${formatMs(a.latency.p99)}`,
    baseline: `${a.answered}/${s.requests} answered; loop blocked max ${formatMs(s.eventLoopDelay.maxMs)}`,
    ratio: '',
    target: '(info)',
    result: 'info',
  };
}

// --- d. and e. long windows ------------------------------------------------------------------------

function errorStormRows(r: ErrorStormResult): Row[] {
  const same = r.ours.errors === r.baseline.errors && r.ours.attempts === r.baseline.attempts;
  return [
    {
      measure: `errors --window 30d through the metrics reader: median of ${r.iterations}`, ours: formatMs(r.throughReader.median),
      baseline: `${formatMs(r.perRow.median)} per-row path`, ratio: formatRatio(r.throughReader.median, r.perRow.median),
      target: '< x 1.00 of per-row', result: verdict(r.throughReader.median < r.perRow.median && r.ours.complete),
    },
    {
      measure: '  the same read in one thread, no bound (its SQL cost)', ours: formatMs(r.inThread.median),
      baseline: `${formatMs(r.perRow.median)} per-row path`, ratio: formatRatio(r.inThread.median, r.perRow.median), target: '(info)', result: 'info',
    },
    {
      measure: 'errors / attempts counted in 30 d', ours: `${r.ours.errors.toLocaleString('en-US')} / ${r.ours.attempts.toLocaleString('en-US')}`,
      baseline: `per-row ${r.baseline.errors.toLocaleString('en-US')} / ${r.baseline.attempts.toLocaleString('en-US')}`, ratio: '',
      target: '= per-row', result: verdict(same),
    },
    {
      measure: 'errors --window 10m through the reader (round trip): median', ours: formatMs(r.shortThroughReader.median),
      baseline: `${formatMs(r.shortInThread.median)} in this thread`, ratio: formatRatio(r.shortThroughReader.median, r.shortInThread.median),
      target: '(info)', result: 'info',
    },
  ];
}

function heavyAckRows(r: HeavyAckResult, otherLoopsMaxMs: number | null): Row[] {
  const rest = r.atRest.latency;
  const during = r.during.latency;
  const loopMax = Math.max(r.loop.maxMs, otherLoopsMaxMs ?? 0);
  // Each answer counts: the slowest of the rounds against the idle median.
  const answerRow = (name: string, idle: SampleSummary, loaded: SampleSummary): Row => ({
    measure: `${name} --window 30d answer under the load: slowest (median) of ${r.rounds}`, ours: `${formatMs(loaded.max)} (${formatMs(loaded.median)})`,
    baseline: `${formatMs(idle.median)} on an idle bot`, ratio: formatRatio(loaded.max, idle.median), target: '<= x 2.00 of idle',
    result: verdict(loaded.n === r.rounds && loaded.max <= 2 * idle.median),
  });
  return [
    {
      measure: `ack p99, /atlas help ${r.loadConcurrency} at a time, during ${r.rounds} rounds of both (${r.during.samples} acks)`,
      ours: `${formatMs(during.p99)} (p50 ${formatMs(during.median)})`, baseline: `${formatMs(rest.p99)} at rest (${r.atRest.throughputPerSec.toFixed(0)} req/s)`,
      ratio: formatRatio(during.p99, rest.p99), target: '<= x 2.00 of at rest',
      result: during.n === 0 ? 'n/a' : verdict(during.p99 <= 2 * rest.p99 && r.during.failures === 0),
    },
    {
      measure: '  slowest ack during the heavy reads', ours: formatMs(during.max), baseline: `${formatMs(rest.max)} at rest`, ratio: '',
      target: '< 250 ms', result: during.n === 0 ? 'n/a' : verdict(during.max < 250),
    },
    answerRow('health', r.idle.health, r.underLoad.health),
    answerRow('errors', r.idle.errors, r.underLoad.errors),
    {
      measure: '  answers of the steady load: p50 / p99', ours: `${formatMs(r.steadyAnswers.during.median)} / ${formatMs(r.steadyAnswers.during.p99)} during`,
      baseline: `${formatMs(r.steadyAnswers.rest.median)} / ${formatMs(r.steadyAnswers.rest.p99)} at rest`, ratio: '', target: '(info)', result: 'info',
    },
    {
      measure: `event loop's longest stall, ${otherLoopsMaxMs === null ? 'this scenario' : 'every bot scenario (b, c, e)'}`,
      ours: formatMs(loopMax), baseline: `p99 ${formatMs(r.loop.p99Ms)} here`, ratio: '', target: '< 50 ms', result: verdict(loopMax < 50),
    },
  ];
}

// --- k. 30-day windows from a cold terminal, with the metrics rollups ------------------------------

const rollupsTitle = (r: RollupsBenchResult) =>
  `k. 30-day windows from a cold terminal process (node dist/atlas.js) on ${r.rows.toLocaleString('en-US')} metrics rows, with the rollups (metrics-rollups.db, ${(r.rollupBytes / 1e6).toFixed(0)} MB) vs one full scan of the table by SQLite (NOT INDEXED, grouped by type; the faster of ${r.fullScans.map((ms) => formatMs(ms)).join(' and ')})`;

function rollupsRows(r: RollupsBenchResult): Row[] {
  const scan = formatMs(r.fullScanMs);
  return [
    ...ROLLUP_COMMANDS.map((c): Row => {
      const ms = r.cold[c].median;
      return {
        measure: `${c === 'chart' ? 'chart errors --window 30d --out errors.png' : `${c} --window 30d`}, rollups built${c === 'health' ? ', the quick_check kept in chatops.db by the run before reused' : ''} (median of ${r.cold[c].n}, max ${formatMs(r.cold[c].max)})`, ours: formatMs(ms), baseline: `full scan ${scan}`,
        ratio: formatRatio(ms, r.fullScanMs), target: '< 2 s and <= full scan', result: verdict(ms < 2000 && ms <= r.fullScanMs),
      };
    }),
    {
      measure: 'errors --window 30d, the very first question (no rollup file: answered from the raw rows, a background build started)',
      ours: formatMs(r.firstQuestion.ms), baseline: `full scan ${scan}`, ratio: formatRatio(r.firstQuestion.ms, r.fullScanMs), target: '<= full scan',
      result: verdict(r.firstQuestion.ms <= r.fullScanMs),
    },
    ...(r.duringBuildMs === null
      ? []
      : [{
          measure: 'errors --window 30d while that build runs (answered from the raw rows, not waiting for it)',
          ours: formatMs(r.duringBuildMs), baseline: `full scan ${scan}`, ratio: formatRatio(r.duringBuildMs, r.fullScanMs), target: '<= full scan',
          result: verdict(r.duringBuildMs <= r.fullScanMs),
        }]),
    { measure: 'the background build of the whole file (detached process, nice 10), from the first answer', ours: formatMs(r.backgroundBuildMs), baseline: '', ratio: '', target: 'once per file', result: 'info' },
    { measure: `atlas help from a cold process (start-up alone, median of ${r.startup.n})`, ours: formatMs(r.startup.median), baseline: '', ratio: '', target: '', result: 'info' },
    {
      measure: `health --window 10m from a cold process (its checks besides the window, median of ${r.healthShort.n})`, ours: formatMs(r.healthShort.median),
      baseline: '', ratio: '', target: '', result: 'info',
    },
    {
      measure: 'health --window 30d from a cold process with no quick_check to reuse (it reads both databases whole)',
      ours: formatMs(r.healthFreshCheckMs), baseline: `full scan ${scan}`, ratio: formatRatio(r.healthFreshCheckMs, r.fullScanMs), target: '<= full scan',
      result: verdict(r.healthFreshCheckMs <= r.fullScanMs),
    },
  ];
}

// --- f. delivery -----------------------------------------------------------------------------------

const deliveryTitle = (r: DeliveryBenchResult) =>
  `f. ${r.alerts} alerts through the webhook into delivery, the Slack stand-in answering 429 (Retry-After: 1) to every tenth chat.postMessage`;

function deliveryRows(r: DeliveryBenchResult): Row[] {
  return [
    {
      measure: 'alerts posted / posted twice / out of order', ours: `${r.delivered} / ${r.doubled} / ${r.outOfOrder}`,
      baseline: `${r.alerts} sent, ${r.rateLimited} rate-limited calls`, ratio: '', target: `all, 0, 0`,
      result: verdict(r.delivered === r.alerts && r.doubled === 0 && r.outOfOrder === 0),
    },
    {
      measure: 'time from the first alert to the last post', ours: `${r.seconds.toFixed(1)} s`,
      baseline: `${r.idealSeconds.toFixed(0)} s ideal at 1 message/s per channel`, ratio: formatRatio(r.seconds, r.idealSeconds),
      target: '<= x 1.20 of ideal', result: verdict(r.seconds <= 1.2 * r.idealSeconds),
    },
  ];
}

// --- g. handoff -------------------------------------------------------------------------------------

const handoffTitle = (r: HandoffBenchResult) =>
  `g. building the shift handoff (gatherHandoff + handoffMessage, health included) beside the ${r.rows.toLocaleString('en-US')}-row metrics.db (cache ${r.cache}) vs the demo's own`;

function handoffRows(r: HandoffBenchResult): Row[] {
  const target = '<= x 1.50 of demo, < 500 ms';
  const pass = (p: HandoffBenchResult['warm']) => verdict(p.big.median <= 1.5 * p.demo.median && p.big.median < 500);
  return [
    {
      measure: `handoff built, the watchdog's quick_check reused: median of ${r.iterations}`, ours: formatMs(r.warm.big.median),
      baseline: `${formatMs(r.warm.demo.median)} demo data`, ratio: formatRatio(r.warm.big.median, r.warm.demo.median), target, result: pass(r.warm),
    },
    {
      measure: `handoff built, a fresh quick_check each time: median of ${r.iterations}`, ours: formatMs(r.cold.big.median),
      baseline: `${formatMs(r.cold.demo.median)} demo data`, ratio: formatRatio(r.cold.big.median, r.cold.demo.median), target, result: pass(r.cold),
    },
    {
      measure: '  of which quick_check of metrics.db alone: median', ours: formatMs(r.quickCheck.big.median),
      baseline: `${formatMs(r.quickCheck.demo.median)} demo data`, ratio: formatRatio(r.quickCheck.big.median, r.quickCheck.demo.median),
      target: '(info: grows with the file)', result: 'info',
    },
    {
      measure: '  slowest build (reused / fresh)', ours: `${formatMs(r.warm.big.max)} / ${formatMs(r.cold.big.max)}`,
      baseline: `${formatMs(r.warm.demo.max)} / ${formatMs(r.cold.demo.max)} demo data`, ratio: '', target: '(info)', result: 'info',
    },
    {
      measure: '  what both said (status, watch items)', ours: `${r.bigStatus}, ${r.bigWatchItems}`, baseline: `${r.demoStatus}, ${r.demoWatchItems} demo data`,
      ratio: '', target: '(info)', result: 'info',
    },
  ];
}

// --- h. backup ---------------------------------------------------------------------------------------

const backupTitle = (r: BackupBenchResult) =>
  `h. backup (backupInWorker) of a ${(r.bytes / 1e9).toFixed(2)} GB WAL database while another process inserts rows into it, vs a plain copy of the same file`;

function backupRows(r: BackupBenchResult): Row[] {
  const q = r.quiet;
  const rest = r.ack.ours.find((s) => s.text === 'help');
  const under = r.ack.underIntegrity.find((s) => s.text === 'help');
  const during = under?.duringCheck;
  const restP99 = rest?.latency.p99 ?? Number.NaN;
  const none = !during || during.samples === 0;
  const b = r.underAcks;
  const loopMax = Math.max(under?.eventLoopDelay.maxMs ?? Number.NaN, b?.loopMaxMs ?? Number.NaN);
  return [
    {
      measure: `backup copy (backup API, ${q.pages.toLocaleString('en-US')} pages; writer committed ${q.writerRows.toLocaleString('en-US')} rows)`,
      ours: formatMs(q.copyMs), baseline: `${formatMs(r.copyFileMs)} fs.copyFile`, ratio: formatRatio(q.copyMs, r.copyFileMs),
      target: '<= x 1.30 of copy', result: verdict(q.copyMs <= 1.3 * r.copyFileMs),
    },
    {
      measure: '  the copy: integrity_check ok, rows = the snapshot\'s', ours: `${q.integrityOk ? 'ok' : 'FAILED'}, ${q.countsEqual ? 'equal' : 'DIFFER'}`,
      baseline: '', ratio: '', target: 'ok, equal', result: verdict(q.integrityOk && q.countsEqual),
    },
    {
      measure: '  verification of the copy (integrity_check, counts, sha256)', ours: formatMs(q.verifyMs),
      baseline: `${formatMs(r.copyFileMs)} fs.copyFile`, ratio: formatRatio(q.verifyMs, r.copyFileMs), target: '(info)', result: 'info',
    },
    {
      measure: '  whole backupInWorker (snapshot counts, copy, verification)', ours: formatMs(q.wallMs),
      baseline: `${formatMs(r.copyFileSyncedMs)} copyFile + fsync`, ratio: formatRatio(q.wallMs, r.copyFileSyncedMs), target: '(info)', result: 'info',
    },
    {
      measure: `ack p99, /atlas help ${r.ack.ours[0]?.concurrency ?? ''} concurrent, during a backup (${during?.samples ?? 0} acks in ${formatMs(during?.checkMs ?? Number.NaN)})`,
      ours: during ? `${formatMs(during.latency.p99)} (p50 ${formatMs(during.latency.median)})` : 'n/a',
      baseline: `${formatMs(restP99)} at rest`, ratio: during ? formatRatio(during.latency.p99, restP99) : '', target: '<= x 2.00 of at rest',
      result: none ? 'n/a' : verdict(during.latency.p99 <= 2 * restP99 && (under?.failures ?? 1) === 0 && during.checkOk === true),
    },
    {
      measure: '  slowest ack during the backup', ours: none ? 'n/a' : formatMs(during.latency.max), baseline: `${formatMs(rest?.latency.max ?? Number.NaN)} at rest`,
      ratio: '', target: '<= 250 ms', result: none ? 'n/a' : verdict(during.latency.max <= 250),
    },
    {
      measure: "  event loop's longest stall during the backup (p99)", ours: `${formatMs(loopMax)} (${formatMs(under?.eventLoopDelay.p99Ms ?? Number.NaN)})`,
      baseline: `${formatMs(rest?.eventLoopDelay.maxMs ?? Number.NaN)} at rest; ${formatMs(q.loopMaxMs)} backup without acks`, ratio: '', target: '(info)', result: 'info',
    },
    {
      measure: '  that backup under the acks: copy / verification', ours: b ? `${formatMs(b.copyMs)} / ${formatMs(b.verifyMs)}` : 'n/a',
      baseline: `${formatMs(r.copyFileMs)} fs.copyFile`, ratio: b ? formatRatio(b.copyMs, r.copyFileMs) : '', target: '(info)', result: 'info',
    },
  ];
}

// --- i. PagerDuty ---------------------------------------------------------------------------------

const pagerdutyTitle = (r: PagerDutyBenchResult) =>
  `i. keeping PagerDuty in step (Events API pages queued with each change, sent through the outbox to a stand-in answering in ${r.pdDelayMs} ms) vs the same without PagerDuty`;

function pagerdutyRows(r: PagerDutyBenchResult): Row[] {
  return [
    {
      measure: `alert raised, acknowledged, resolved: median of ${r.cycles}`, ours: formatMs(r.cycle.ours.median), baseline: `${formatMs(r.cycle.baseline.median)} without`,
      ratio: formatRatio(r.cycle.ours.median, r.cycle.baseline.median), target: '< +0.5 ms', result: verdict(r.cycle.ours.median - r.cycle.baseline.median < 0.5),
    },
    {
      // Commits wait on the disk: the tail moves with whatever else the machine writes.
      measure: '  p99', ours: formatMs(r.cycle.ours.p99), baseline: `${formatMs(r.cycle.baseline.p99)} without`,
      ratio: formatRatio(r.cycle.ours.p99, r.cycle.baseline.p99), target: '(info: disk-bound)', result: 'info',
    },
    {
      measure: `${r.alerts} alerts at once: every message in Slack, PagerDuty answering in ${r.pdDelayMs} ms`, ours: `${r.slackSeconds.slowPagerDuty.toFixed(2)} s`,
      baseline: `${r.slackSeconds.quickPagerDuty.toFixed(2)} s answering at once`, ratio: formatRatio(r.slackSeconds.slowPagerDuty, r.slackSeconds.quickPagerDuty),
      target: '<= x 1.50 (PagerDuty never holds Slack up)', result: verdict(r.slackSeconds.slowPagerDuty <= 1.5 * r.slackSeconds.quickPagerDuty),
    },
    {
      measure: '  the same without PagerDuty (no page, no refresh after it)', ours: `${r.slackSeconds.without.toFixed(2)} s`, baseline: '', ratio: '', target: '(info)', result: 'info',
    },
    {
      measure: `  every page in PagerDuty (${r.pages} of ${r.alerts} triggers)`, ours: `${r.pagerdutySeconds.toFixed(2)} s`, baseline: '', ratio: '',
      target: '(info: paced by PagerDuty)', result: r.pages === r.alerts ? 'info' : 'MISS',
    },
  ];
}

// --- j. the HTTP edge under unauthenticated load ---------------------------------------------------

/** The acknowledgement target of Slack (3 s) and the memory a flood may cost (issue 18). */
const EDGE_ACK_TARGET_MS = 3000;
const EDGE_RSS_TARGET_MB = 50;

function edgeTitle(r: EdgeFloodResult): string {
  const p = r.phases[0];
  return `j. the HTTP edge: ${p?.posts ?? 0} concurrent ${Math.round((p?.bodyBytes ?? 0) / 1024 / 1024)} MB POSTs to /slack/events (from a child process), and the body cap (${(r.capBytes / 1024).toLocaleString('en-US')} KB) against Slack's biggest payloads`;
}

function edgeRows(r: EdgeFloodResult): Row[] {
  const biggest = Math.max(...r.payloads.map((p) => p.bytes));
  const rows: Row[] = r.payloads.map((p) => ({
    measure: p.name,
    ours: `${(p.bytes / 1024).toFixed(1)} KB`,
    baseline: `cap ${(r.capBytes / 1024).toLocaleString('en-US')} KB`,
    ratio: formatRatio(r.capBytes, p.bytes),
    target: 'under the cap',
    result: verdict(p.bytes <= r.capBytes),
  }));
  rows.push({ measure: 'cap / biggest payload', ours: `${(r.capBytes / 1024).toLocaleString('en-US')} KB`, baseline: `${(biggest / 1024).toFixed(1)} KB`, ratio: formatRatio(r.capBytes, biggest), target: '≥ 2x margin, < 4 MB', result: verdict(r.capBytes >= 2 * biggest && r.capBytes < 4 * 1024 * 1024) });
  for (const ph of r.phases) {
    const answered = Object.entries(ph.statuses).map(([k, v]) => `${v}×${k}`).join(' ');
    rows.push({ measure: `${ph.kind} flood: RSS growth (answers ${answered})`, ours: `${ph.rssGrowthMb} MB`, baseline: `${ph.rssBeforeMb} MB before`, ratio: '', target: `< ${EDGE_RSS_TARGET_MB} MB`, result: verdict(ph.rssGrowthMb < EDGE_RSS_TARGET_MB) });
    rows.push({ measure: `${ph.kind} flood: /atlas help ack p99 (n=${ph.ack.n}, ${ph.ackFailures} not 200)`, ours: formatMs(ph.ack.p99), baseline: formatMs(r.baseline.p99), ratio: formatRatio(ph.ack.p99, r.baseline.p99), target: `< ${EDGE_ACK_TARGET_MS / 1000} s`, result: verdict(ph.ack.p99 < EDGE_ACK_TARGET_MS && ph.ackFailures === 0) });
    rows.push({ measure: `${ph.kind} flood: /atlas help ack max`, ours: formatMs(ph.ack.max), baseline: formatMs(r.baseline.max), ratio: formatRatio(ph.ack.max, r.baseline.max), target: `< ${EDGE_ACK_TARGET_MS / 1000} s`, result: verdict(ph.ack.max < EDGE_ACK_TARGET_MS) });
  }
  return rows;
}

// --- l. replicas: SQLite, PostgreSQL, two bots on one PostgreSQL ----------------------------------

const replicasTitle = (r: ReplicasBenchResult) =>
  `l. one bot on SQLite, one on PostgreSQL, two on one PostgreSQL database (two states, Slack apps and delivery loops in this process, requests split between them): ` +
  `ack p50/p99 of ${r.requests} signed /atlas help (${r.concurrency} concurrent), outbox throughput of ${r.alerts} alerts (4 webhook calls at a time, no pacing, the Slack stand-in answering at once)` +
  (r.postgresStartMs === null ? '' : `; PostgreSQL started in ${formatMs(r.postgresStartMs)}`);

const REPLICAS_HEADER: Header = { measure: 'configuration', ours: 'ack p50 / p99', baseline: 'outbox msgs/s (delivered in s; webhook intake s)', ratio: 'vs SQLite (p99, msgs/s)', target: 'duplicates' };

function replicasRows(r: ReplicasBenchResult): Row[] {
  const base = r.rows.find((row) => row.configuration.engine === 'sqlite');
  return r.rows.map((row) => {
    const { ack, delivery } = row;
    const isBase = row === base;
    const whole = delivery.delivered === delivery.alerts && delivery.doubled === 0 && ack.failures === 0;
    return {
      measure: `${row.configuration.name}${isBase ? ' (baseline)' : ''}`,
      ours: `${formatMs(ack.latency.median)} / ${formatMs(ack.latency.p99)}${ack.failures ? ` (${ack.failures} not 200)` : ''}`,
      baseline: `${row.msgsPerSec.toFixed(1)} (${delivery.delivered}/${delivery.alerts} in ${delivery.seconds.toFixed(1)} s, intake ${delivery.intakeSeconds.toFixed(1)} s)`,
      ratio: isBase || !base ? '' : `${formatRatio(ack.latency.p99, base.ack.latency.p99)}, ${formatRatio(row.msgsPerSec, base.msgsPerSec)}`,
      target: `${delivery.doubled} (target 0)`,
      // The figures are information; what must hold is every message once and every ack a 200.
      result: verdict(whole),
    };
  });
}

// --- main ---------------------------------------------------------------------------------------

export async function runBench(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      requests: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '20' },
      iterations: { type: 'string', default: '300' },
      'skip-ack': { type: 'boolean', default: false },
      only: { type: 'string', default: 'all' },
      rounds: { type: 'string', default: '3' },
      'load-concurrency': { type: 'string', default: '5' },
      'rest-seconds': { type: 'string', default: '6' },
      alerts: { type: 'string', default: '500' },
      'handoff-runs': { type: 'string', default: '20' },
      'flood-posts': { type: 'string', default: '450' },
      'flood-mb': { type: 'string', default: '4' },
      'replica-requests': { type: 'string', default: '2000' },
      'replica-alerts': { type: 'string', default: '500' },
    },
  });
  if (!['all', 'heavy', 'delivery', 'handoff', 'backup', 'pagerduty', 'edge', 'rollups', 'replicas'].includes(values.only)) {
    throw new Error('--only takes all, heavy, delivery, handoff, backup, pagerduty, edge, rollups or replicas');
  }
  const heavyOnly = values.only === 'heavy';
  const deliveryOnly = values.only === 'delivery';
  const handoffOnly = values.only === 'handoff';
  const backupOnly = values.only === 'backup';
  const pagerdutyOnly = values.only === 'pagerduty';
  const handoffRuns = Number(values['handoff-runs']);
  const alerts = Number(values.alerts);
  const rounds = Number(values.rounds);
  const loadConcurrency = Number(values['load-concurrency']);
  const restSeconds = Number(values['rest-seconds']);
  const requests = Number(values.requests);
  const concurrency = Number(values.concurrency);
  const iterations = Number(values.iterations);
  for (const [name, n, max] of [
    ['requests', requests, 20_000], ['concurrency', concurrency, 200], ['iterations', iterations, 10_000],
    ['rounds', rounds, 20], ['load-concurrency', loadConcurrency, 50], ['rest-seconds', restSeconds, 120], ['alerts', alerts, 5000],
    ['handoff-runs', handoffRuns, 1000], ['flood-posts', Number(values['flood-posts']), 2000], ['flood-mb', Number(values['flood-mb']), 16],
    ['replica-requests', Number(values['replica-requests']), 20_000], ['replica-alerts', Number(values['replica-alerts']), 5000],
  ] as const) {
    if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} takes a whole number from 1 to ${max}`);
  }
  const benchDir = path.resolve('bench-data');
  mkdirSync(benchDir, { recursive: true });
  const started = performance.now();
  const log = (line: string) => out(`· ${line}\n`);
  // Other processes on the machine move every figure; the load average says how busy it was.
  const load = () => loadavg().map((n) => n.toFixed(2)).join(' ');
  out(`Shadow Atlas bot benchmark: node ${process.version}, ${cpus().length} CPU(s), load average ${load()}, data in ${path.relative(process.cwd(), benchDir) || '.'}/\n`);

  /** One table alone: printed, its figures kept in bench-data/last-run-<name>.json. */
  const alone = async <T>(name: string, run: () => Promise<T>, title: (r: T) => string, rowsOf: (r: T) => Row[], header?: Header): Promise<number> => {
    const figures = await run();
    const rows = rowsOf(figures);
    printTable(title(figures), rows, out, header);
    writeFileSync(path.join(benchDir, `last-run-${name}.json`), `${JSON.stringify({ startedAt: new Date().toISOString(), node: process.version, [name]: figures }, null, 2)}\n`);
    const misses = rows.filter((r) => r.result === 'MISS').length;
    out(`\n${rows.filter((r) => r.result === 'PASS').length} PASS, ${misses} MISS in ${formatMs(performance.now() - started)} (load average at the end ${load()}); figures in bench-data/last-run-${name}.json\n`);
    return misses > 0 ? 1 : 0;
  };
  const pagerdutyOpts = { cycles: iterations, alerts: Math.min(alerts, 200), pdDelayMs: 200 };
  if (deliveryOnly) return alone('delivery', () => benchDelivery(benchDir, alerts, log), deliveryTitle, deliveryRows);
  if (handoffOnly) return alone('handoff', () => benchHandoff(benchDir, handoffRuns, log), handoffTitle, handoffRows);
  if (backupOnly) return alone('backup', () => benchBackup(benchDir, { requests, concurrency, log }), backupTitle, backupRows);
  if (pagerdutyOnly) return alone('pagerduty', () => benchPagerDuty(benchDir, pagerdutyOpts, log), pagerdutyTitle, pagerdutyRows);
  const edgeOpts = { posts: Number(values['flood-posts']), bodyBytes: Number(values['flood-mb']) * 1024 * 1024 };
  if (values.only === 'edge') return alone('edge', () => benchEdgeFlood(benchDir, edgeOpts, log), edgeTitle, edgeRows);
  if (values.only === 'rollups') return alone('rollups', () => Promise.resolve(benchRollups(benchDir, rounds, log)), rollupsTitle, rollupsRows);
  const replicasOpts = { requests: Number(values['replica-requests']), concurrency, alerts: Number(values['replica-alerts']), log };
  if (values.only === 'replicas') return alone('replicas', () => benchReplicas(benchDir, replicasOpts), replicasTitle, replicasRows, REPLICAS_HEADER);

  const errors = heavyOnly ? null : benchErrorsWindow(benchDir, iterations, log);

  let ack: AckBenchResult | null = null;
  let integrity: { file: string; bytes: number; action: string; ms: number } | null = null;
  if (!values['skip-ack'] && !heavyOnly) {
    const big = ensureBigDatabase(benchDir, { log });
    integrity = { file: big.file, bytes: big.bytes, action: big.action, ms: big.ms };
    log(`integrity file ${big.action} in ${formatMs(big.ms)}: ${(big.bytes / 1e9).toFixed(2)} GB`);
    // A fresh demo directory, "now" = now, so health has live-looking data.
    const dataDir = path.join(benchDir, 'demo', '.shadow-atlas');
    rmSync(dataDir, { recursive: true, force: true });
    generateAtlasData(dataDir, { now: new Date(), scenario: 'demo', seed: 7 });
    ack = await benchAckLatency({ dataDir, requests, concurrency, integrityFile: big.file, log });
  }

  const storm = await benchErrorStorm(benchDir, Math.min(iterations, 5), log);
  let heavy: HeavyAckResult | null = null;
  if (!values['skip-ack']) {
    const big = ensureBigMetrics(benchDir, { now: new Date(), log });
    heavy = await benchHeavyAcks({ benchDir, metricsFile: big.file, rounds, loadConcurrency, restMs: restSeconds * 1000, log });
  }
  const handoff = heavyOnly ? null : await benchHandoff(benchDir, handoffRuns, log);
  const backup = heavyOnly || values['skip-ack'] ? null : await benchBackup(benchDir, { requests, concurrency, log });
  const pagerduty = heavyOnly ? null : await benchPagerDuty(benchDir, pagerdutyOpts, log);
  const edge = heavyOnly || values['skip-ack'] ? null : await benchEdgeFlood(benchDir, edgeOpts, log);
  const rollups = benchRollups(benchDir, rounds, log);
  const replicas = heavyOnly ? null : await benchReplicas(benchDir, replicasOpts);
  const otherLoops = ack ? Math.max(...[ack.bare, ...ack.ours, ...ack.underIntegrity].filter((s) => s !== ack.bare).map((s) => s.eventLoopDelay.maxMs)) : null;

  if (errors) {
    printTable(
      `a. errors --window 10m on ${errors.rows.toLocaleString('en-US')} metrics rows (${errors.isoRows.toLocaleString('en-US')} ISO): errorTriage() vs the guide's text-compared query (cache ${errors.cache}; exact truth by full scan in ${formatMs(errors.truthScanMs)})`,
      errorsRows(errors),
      out,
    );
  }
  if (ack) {
    const rows = ackRows(ack);
    printTable('b. slash-command acknowledgement through the HTTP receiver (signed requests over loopback)', rows.atRest, out);
    printTable(
      `c. the same while PRAGMA integrity_check runs on a ${((integrity?.bytes ?? 0) / 1e9).toFixed(2)} GB database (runIntegrityCheck, worker thread)`,
      rows.underCheck,
      out,
    );
  } else {
    out(`\nb./c. skipped (${heavyOnly ? '--only heavy' : '--skip-ack'})\n`);
  }
  printTable(
    `d. errors --window 30d on ${storm.rows.toLocaleString('en-US')} rows of which ${storm.errorRows.toLocaleString('en-US')} are errors (cache ${storm.cache}): SQL aggregates by day vs the per-row path`,
    errorStormRows(storm),
    out,
  );
  if (heavy) {
    printTable(
      `e. acknowledgements while health and errors --window 30d read the 5,000,000-row metrics.db, under a steady load of other commands`,
      heavyAckRows(heavy, otherLoops),
      out,
    );
  } else {
    out('\ne. skipped (--skip-ack)\n');
  }
  const delivery = heavyOnly ? null : await benchDelivery(benchDir, alerts, log);
  if (delivery) printTable(deliveryTitle(delivery), deliveryRows(delivery), out);
  if (handoff) printTable(handoffTitle(handoff), handoffRows(handoff), out);
  if (backup) printTable(backupTitle(backup), backupRows(backup), out);
  if (pagerduty) printTable(pagerdutyTitle(pagerduty), pagerdutyRows(pagerduty), out);
  if (edge) printTable(edgeTitle(edge), edgeRows(edge), out);
  printTable(rollupsTitle(rollups), rollupsRows(rollups), out);
  if (replicas) printTable(replicasTitle(replicas), replicasRows(replicas), out, REPLICAS_HEADER);

  const totalMs = performance.now() - started;
  const figures = {
    startedAt: new Date(Date.now() - totalMs).toISOString(), node: process.version, cpus: cpus().length, totalMs,
    errorsWindow: errors, ack, integrity, errorStorm: storm, heavyReads: heavy, delivery, handoff, backup, pagerduty, edge, rollups, replicas,
  };
  writeFileSync(path.join(benchDir, heavyOnly ? 'last-run-heavy.json' : 'last-run.json'), `${JSON.stringify(figures, null, 2)}\n`);
  const ackTable = ack ? ackRows(ack) : { atRest: [], underCheck: [] };
  const all = [
    ...(errors ? errorsRows(errors) : []), ...ackTable.atRest, ...ackTable.underCheck,
    ...errorStormRows(storm), ...(heavy ? heavyAckRows(heavy, otherLoops) : []), ...(delivery ? deliveryRows(delivery) : []),
    ...(handoff ? handoffRows(handoff) : []), ...(backup ? backupRows(backup) : []), ...(pagerduty ? pagerdutyRows(pagerduty) : []),
    ...(edge ? edgeRows(edge) : []), ...rollupsRows(rollups), ...(replicas ? replicasRows(replicas) : []),
  ];
  const misses = all.filter((r) => r.result === 'MISS').length;
  const passes = all.filter((r) => r.result === 'PASS').length;
  out(`\n${passes} PASS, ${misses} MISS in ${formatMs(totalMs)} (load average at the end ${load()}); figures in ${path.join(path.relative(process.cwd(), benchDir), heavyOnly ? 'last-run-heavy.json' : 'last-run.json')}\n`);
  return misses > 0 ? 1 : 0;
}

if (isMainModule(import.meta.url)) exitWith(runBench(process.argv.slice(2), (s) => process.stdout.write(s)), 'bench', 1);
