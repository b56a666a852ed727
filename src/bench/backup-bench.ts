import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, fsyncSync, openSync, statSync } from 'node:fs';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { generateAtlasData } from '../demo/generate-atlas-data.js';
import { backupInWorker, type BackedUp, type WorkerFailure } from '../remediation/backup-runner.js';
import { benchAckLatency, type AckBenchResult } from './ack-latency.js';
import { ensureBigDatabase } from './big-database.js';

/**
 * h. The online backup (backupInWorker: SQLite's backup API, then integrity_check, row counts and
 * sha256, all in a worker thread) of the 1 GB database while another process inserts rows into
 * it, against a plain file copy (fs.copyFile) of the same file in the same run; then the bot's
 * acknowledgements while such a backup runs, against the same load at rest, and the event loop's
 * longest stall. The source is a copy of the cached integrity file in WAL mode (the service's
 * mode: the writer is not blocked by the backup's read transaction), with a small `load` table for
 * the writer; the cached file itself is not changed. Everything under bench-data/backup/ is removed
 * at the end.
 */

export interface BackupRun {
  /** backupInWorker from start to answer (copy, then verification). */
  wallMs: number;
  /** The backup API's steps alone, as the worker timed them. */
  copyMs: number;
  /** Row counts in the backup's snapshot (before the copy). */
  countMs: number;
  /** integrity_check, row counts and sha256 of the copy. */
  verifyMs: number;
  pages: number;
  integrityOk: boolean;
  /** The copy holds exactly the rows the backup's snapshot held. */
  countsEqual: boolean;
  /** Rows the writer committed while the backup ran (it did write). */
  writerRows: number;
  /** The main thread's event loop meanwhile (ms). */
  loopMaxMs: number;
  loopP99Ms: number;
}

export interface BackupBenchResult {
  file: string;
  bytes: number;
  cache: string;
  /** fs.copyFile of the source: the baseline. */
  copyFileMs: number;
  /** The same plus an fsync of the copy (the backup's SQLite syncs its file). */
  copyFileSyncedMs: number;
  /** The backup with only the writer beside it. */
  quiet: BackupRun;
  /** The acknowledgements at rest and during a second backup (the writer writing too). */
  ack: AckBenchResult;
  /** That second backup. */
  underAcks: BackupRun | null;
}

/** One row per transaction into `load`, as fast as SQLite takes them; prints its count when told to stop. */
const WRITER = `
const Database = require(process.argv[2]);
const db = new Database(process.argv[1]);
db.pragma('busy_timeout = 5000');
const insert = db.prepare('INSERT INTO load (body) VALUES (randomblob(512))');
let n = 0;
let stopping = false;
process.stdout.write('ready\\n');
const tick = () => { if (stopping) return; for (let i = 0; i < 20; i++) { insert.run(); n++; } setImmediate(tick); };
tick();
process.on('message', () => { stopping = true; db.close(); process.send(n, () => process.exit(0)); });
`;

interface Writer {
  child: ChildProcess;
  /** Stops the writer; resolves with the rows it committed. */
  stop: () => Promise<number>;
}

async function startWriter(file: string): Promise<Writer> {
  const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  const child = spawn(process.execPath, ['-e', WRITER, file, sqlite], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the bench's writer exited with ${code}`)));
  });
  return {
    child,
    stop: async () => {
      if (child.exitCode !== null) return 0;
      const rows = once(child, 'message').then(([n]) => Number(n));
      child.send('stop');
      const [n] = await Promise.all([rows, once(child, 'exit')]);
      return n;
    },
  };
}

const countsEqual = (a: Record<string, number>, b: Record<string, number>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

async function removeDb(file: string): Promise<void> {
  await Promise.all(['', '-journal', '-wal', '-shm'].map((s) => rm(`${file}${s}`, { force: true })));
}

/** One backup of `source` into a fresh `dest` while a writer inserts into `source`, then `dest` removed. */
async function timedBackup(source: string, dest: string): Promise<BackupRun> {
  await removeDb(dest);
  const writer = await startWriter(source);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  let r: BackedUp | WorkerFailure;
  let wallMs: number;
  let writerRows: number;
  try {
    await new Promise((resolve) => setTimeout(resolve, 200));
    loop.enable();
    const started = performance.now();
    r = await backupInWorker(source, dest);
    wallMs = performance.now() - started;
    loop.disable();
  } finally {
    writerRows = await writer.stop();
    await removeDb(dest);
  }
  if (r.kind === 'error') throw new Error(`bench backup failed: ${r.code} ${r.message}`);
  return {
    wallMs,
    copyMs: r.copyMs,
    countMs: r.countMs,
    verifyMs: r.verification.ms,
    pages: r.pages,
    integrityOk: r.verification.ok,
    countsEqual: countsEqual(r.verification.counts, r.sourceCounts),
    writerRows,
    loopMaxMs: loop.max / 1e6,
    loopP99Ms: loop.percentile(99) / 1e6,
  };
}

export async function benchBackup(benchDir: string, opts: { requests: number; concurrency: number; log: (line: string) => void }): Promise<BackupBenchResult> {
  const { log } = opts;
  const big = ensureBigDatabase(benchDir, { log });
  log(`integrity file ${big.action} in ${Math.round(big.ms)} ms: ${(big.bytes / 1e9).toFixed(2)} GB`);
  const dir = path.join(benchDir, 'backup');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const source = path.join(dir, 'source.db');
  const plain = path.join(dir, 'plain-copy.db');
  const dest = path.join(dir, 'backup.db');
  try {
    // The source: the cached file copied, in WAL mode, with the writer's table.
    await copyFile(big.file, source);
    const db = new Database(source);
    try {
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE IF NOT EXISTS load (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
    } finally {
      db.close();
    }
    const bytes = statSync(source).size;

    // 1. The baseline: a plain copy of the same file (read once before, as the backup's is).
    log(`plain copy of ${path.basename(source)} (${(bytes / 1e9).toFixed(2)} GB)`);
    const started = performance.now();
    await copyFile(source, plain);
    const copyFileMs = performance.now() - started;
    const fd = openSync(plain, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const copyFileSyncedMs = performance.now() - started;
    await rm(plain, { force: true });

    // 2. The backup while another process writes.
    log('backupInWorker of the same file while another process inserts rows into it');
    const quiet = await timedBackup(source, dest);

    // 3. Acknowledgements at rest, then while the same backup runs (the writer writing too).
    const dataDir = path.join(dir, 'demo', '.shadow-atlas');
    generateAtlasData(dataDir, { now: new Date(), scenario: 'demo', seed: 7 });
    let underAcks: BackupRun | null = null;
    const ack = await benchAckLatency({
      dataDir,
      requests: opts.requests,
      concurrency: opts.concurrency,
      texts: ['help'],
      log,
      background: {
        name: 'backup',
        start: async () => {
          underAcks = await timedBackup(source, dest);
          return { ok: underAcks.integrityOk && underAcks.countsEqual };
        },
      },
    });
    return { file: big.file, bytes, cache: big.action, copyFileMs, copyFileSyncedMs, quiet, ack, underAcks };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
