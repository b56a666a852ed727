/**
 * k. 30-day `errors`, `health`, `metrics` and `chart errors --out` from a cold terminal process (`node dist/atlas.js`, the `atlas` bin)
 * on the 5-million-row metrics.db, with the metrics rollups (metrics-rollups.db): the very
 * first question with no rollup file, then each command after the rollups are built, next to
 * one full scan of the table by SQLite (`NOT INDEXED`, grouped by type) measured in the same run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { rollupFileOf } from '../checks/metrics-reads.js';
import { buildLockFile } from '../db/metrics-rollups/build-lock.js';
import { generateAtlasData } from '../demo/generate-atlas-data.js';
import { ensureBigMetrics } from './big-metrics.js';
import { summarize, type SampleSummary } from './stats.js';

export const ROLLUP_COMMANDS = ['errors', 'health', 'metrics', 'chart'] as const;

/** What each command is asked: the 30-day window; `chart` draws the errors PNG (the whole drawing, not only its read). */
function rollupCommandArgs(command: (typeof ROLLUP_COMMANDS)[number], dataDir: string): string[] {
  if (command === 'chart') return ['chart', 'errors', '--window', '30d', '--out', path.join(path.dirname(dataDir), 'errors-30d.png')];
  return [command, '--window', '30d'];
}

export interface RollupsBenchResult {
  rows: number;
  /** One `SELECT type, COUNT(*) FROM metrics NOT INDEXED GROUP BY type`, the faster of two (start and end of the run). */
  fullScanMs: number;
  fullScans: number[];
  /** `errors --window 30d` with no rollup file: answered from the raw rows, a background build started. */
  firstQuestion: { ms: number };
  /** `errors --window 30d` asked while that background build runs (answered from the raw rows); null when the build was already done. */
  duringBuildMs: number | null;
  /** From the first question's answer until the background build had read every row. */
  backgroundBuildMs: number;
  rollupBytes: number;
  /** Each command with the rollups built: one cold process per run. */
  cold: Record<(typeof ROLLUP_COMMANDS)[number], SampleSummary>;
  /** `atlas help` from a cold process: what starting the terminal costs on this machine. */
  startup: SampleSummary;
  /** `health --window 10m` cold: health's checks besides the window (disk, integrity, files). */
  healthShort: SampleSummary;
  /** `health --window 30d` cold with no quick_check to reuse in chatops.db: it reads both databases whole. */
  healthFreshCheckMs: number;
}

const CLI = fileURLToPath(new URL('../atlas.js', import.meta.url));

/** One cold terminal process answering `args`; its wall time in ms (exit 0-2: ok, warn, crit). */
function coldRun(dataDir: string, args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: path.dirname(dataDir),
    env: { ...process.env, ATLAS_DATA_DIR: dataDir },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const ms = performance.now() - t;
  if (r.status === null || r.status > 2) throw new Error(`atlas ${args.join(' ')} exited ${r.status}: ${r.stderr || r.stdout}`);
  return ms;
}

function fullScan(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    const t = performance.now();
    db.prepare('SELECT type, COUNT(*) AS n FROM metrics NOT INDEXED GROUP BY type').all();
    return performance.now() - t;
  } finally {
    db.close();
  }
}

/** Empties chatops.db's kept quick_check results (the table exists once a terminal has migrated the file). */
function forgetQuickChecks(stateFile: string): void {
  const db = new Database(stateFile);
  try {
    db.prepare('DELETE FROM integrity_checks').run();
  } finally {
    db.close();
  }
}

function maxId(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return Number((db.prepare('SELECT MAX(id) AS id FROM metrics').get() as { id: number | null }).id ?? 0);
  } finally {
    db.close();
  }
}

/** Waits (polling, bounded) until the background builder holds its lock; false when the build was over first. */
function buildStarted(rollupFile: string, metricsFile: string, boundMs: number): boolean {
  const until = performance.now() + boundMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (!existsSync(buildLockFile(rollupFile))) {
    if (highWater(rollupFile) >= maxId(metricsFile)) return false;
    if (performance.now() > until) throw new Error(`the background rollup build did not start within ${boundMs / 1000} s`);
    Atomics.wait(pause, 0, 0, 20);
  }
  return true;
}

/** Waits (polling, bounded) until no build holds the lock and the rollups cover every row of metrics.db. */
function waitForBackgroundBuild(rollupFile: string, metricsFile: string, boundMs: number): void {
  const until = performance.now() + boundMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (existsSync(buildLockFile(rollupFile)) || highWater(rollupFile) < maxId(metricsFile)) {
    if (performance.now() > until) throw new Error(`the background rollup build did not finish within ${boundMs / 1000} s`);
    Atomics.wait(pause, 0, 0, 200);
  }
}

function highWater(file: string): number {
  try {
    const db = new Database(file, { readonly: true });
    try {
      return Number((db.prepare("SELECT value FROM meta WHERE key = 'high_water_id'").get() as { value: number } | undefined)?.value ?? 0);
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}

export function benchRollups(benchDir: string, runs: number, log: (line: string) => void): RollupsBenchResult {
  const big = ensureBigMetrics(benchDir, { now: new Date(), log });
  const dataDir = path.join(benchDir, 'rollups', '.shadow-atlas');
  rmSync(path.dirname(dataDir), { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  generateAtlasData(dataDir, { now: new Date(), scenario: 'demo', seed: 7 });
  rmSync(path.join(dataDir, 'metrics.db'), { force: true });
  symlinkSync(path.resolve(big.file), path.join(dataDir, 'metrics.db'));
  const rollupFile = rollupFileOf(path.join(dataDir, 'metrics.db'));

  log('rollups: one full scan of the table by SQLite');
  const fullScans = [fullScan(big.file)];
  log('rollups: atlas help from a cold process (start-up cost)');
  const startup = Array.from({ length: runs }, () => coldRun(dataDir, ['help']));

  log('rollups: errors --window 30d with no rollup file (answered from the raw rows; it starts a background build)');
  const first = coldRun(dataDir, ['errors', '--window', '30d']);
  const answeredAt = performance.now();
  log('rollups: errors --window 30d again while the background build runs');
  const duringBuildMs = buildStarted(rollupFile, big.file, 30_000) ? coldRun(dataDir, ['errors', '--window', '30d']) : null;
  log('rollups: waiting for the background build');
  waitForBackgroundBuild(rollupFile, big.file, 600_000);
  const backgroundBuildMs = performance.now() - answeredAt;

  // The cold runs below reuse the quick_check the previous one kept in chatops.db (within a minute,
  // as a terminal beside the running bot reuses the watchdog's); this one has none to reuse.
  coldRun(dataDir, ['help']);
  forgetQuickChecks(path.join(dataDir, 'chatops.db'));
  log('rollups: health --window 30d with no quick_check to reuse');
  const healthFreshCheckMs = coldRun(dataDir, ['health', '--window', '30d']);

  const samples = Object.fromEntries(ROLLUP_COMMANDS.map((c) => [c, [] as number[]])) as Record<(typeof ROLLUP_COMMANDS)[number], number[]>;
  log(`rollups: ${runs} cold runs of each command, --window 30d, interleaved`);
  const healthShort: number[] = [];
  for (let i = 0; i < runs; i++) {
    for (const c of ROLLUP_COMMANDS) samples[c].push(coldRun(dataDir, rollupCommandArgs(c, dataDir)));
    healthShort.push(coldRun(dataDir, ['health', '--window', '10m']));
  }
  fullScans.push(fullScan(big.file));
  return {
    rows: big.rows,
    fullScanMs: Math.min(...fullScans),
    fullScans,
    firstQuestion: { ms: first },
    duringBuildMs,
    backgroundBuildMs,
    rollupBytes: statSync(rollupFile).size,
    cold: Object.fromEntries(ROLLUP_COMMANDS.map((c) => [c, summarize(samples[c])])) as RollupsBenchResult['cold'],
    startup: summarize(startup),
    healthShort: summarize(healthShort),
    healthFreshCheckMs,
  };
}
