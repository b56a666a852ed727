/**
 * A process killed in the middle of an apply: the job file is the old one or the new one, never
 * half (temp file, fsync, rename); the jobs row is the old one (an uncommitted transaction).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { AtlasDatabase } from '../../src/db/atlas-database.js';
import { readJobRow, rewriteJobFileStatus, updateJobRowStatus } from '../../src/db/job-writes.js';
import { insertJobRow, isoAgo, jobFileObject, writeJobFile } from '../checks/data-fixtures.js';
import { createAtlasFiles, tempDir } from '../helpers/test-deps.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WRITES = path.join(ROOT, 'src/db/job-writes.ts');
const ATLAS_DB = path.join(ROOT, 'src/db/atlas-database.ts');

let dir: { dir: string; cleanup: () => void };
let dataDir: string;
let atlas: { metrics: Database.Database; persistence: Database.Database };

beforeEach(() => {
  dir = tempDir();
  dataDir = path.join(dir.dir, '.shadow-atlas');
  atlas = createAtlasFiles(dataDir);
});
afterEach(() => {
  atlas.metrics.close();
  atlas.persistence.close();
  dir.cleanup();
});

/** Runs `body` in a child under tsx; it writes `ready` to the marker when it reached the point to be killed there. */
async function killAtPoint(body: string): Promise<void> {
  const marker = path.join(dir.dir, 'ready');
  const script = path.join(dir.dir, 'child.mts');
  writeFileSync(script, `import * as writes from ${JSON.stringify(WRITES)};\nimport { AtlasDatabase } from ${JSON.stringify(ATLAS_DB)};\nimport { writeFileSync } from 'node:fs';\nconst ready = () => writeFileSync(${JSON.stringify(marker)}, 'x');\n${body}\n`);
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
  const started = Date.now();
  while (!existsSync(marker)) {
    if (Date.now() - started > 90_000 || child.exitCode !== null) throw new Error(`the child never got there: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
}

it('leaves the old job file whole when killed between the synced temp file and the rename; a retry then works', async () => {
  const id = 'job-kill-1';
  writeJobFile(dataDir, `${id}.json`, jobFileObject({ jobId: id }));
  const jobsDir = path.join(dataDir, 'jobs');
  const old = readFileSync(path.join(jobsDir, `${id}.json`), 'utf8');
  await killAtPoint(`
    const text = ${JSON.stringify(old)};
    await writes.rewriteJobFileStatus(${JSON.stringify(jobsDir)}, ${JSON.stringify(id)}, text, 'cancelled', '2026-11-26T12:00:00.000Z', {
      beforeRename: async () => { ready(); await new Promise(() => setInterval(() => {}, 1000)); },
    });`);
  expect(readFileSync(path.join(jobsDir, `${id}.json`), 'utf8')).toBe(old);
  // The leftover temp file is not a *.json, so no listing reads it as a job.
  expect(readdirSync(jobsDir).filter((n) => n.endsWith('.json'))).toEqual([`${id}.json`]);
  await rewriteJobFileStatus(jobsDir, id, old, 'cancelled', '2026-11-26T12:00:00.000Z');
  expect(JSON.parse(readFileSync(path.join(jobsDir, `${id}.json`), 'utf8'))).toEqual({ ...JSON.parse(old), status: 'cancelled', updatedAt: '2026-11-26T12:00:00.000Z' });
});

it('leaves the old jobs row when killed inside the transaction, after the UPDATE and before the commit', async () => {
  insertJobRow(atlas.persistence, { id: 'job-kill-2', status: 'running', created_at: isoAgo(2), updated_at: isoAgo(1) });
  const file = path.join(dataDir, 'persistence.db');
  const before = readJobRow(new AtlasDatabase(file), 'job-kill-2')!;
  await killAtPoint(`
    const db = new AtlasDatabase(${JSON.stringify(file)});
    const row = writes.readJobRow(db, 'job-kill-2');
    await writes.updateJobRowStatus(db, row, 'cancelled', '2026-11-26T12:00:00.000Z', {
      beforeCommit: () => { ready(); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000); },
    });`);
  const fresh = new AtlasDatabase(file);
  expect(readJobRow(fresh, 'job-kill-2')).toEqual(before);
  const after = await updateJobRowStatus(fresh, before, 'cancelled', '2026-11-26T12:00:00.000Z');
  expect(after).toMatchObject({ status: 'cancelled', updated_at: '2026-11-26T12:00:00.000Z' });
  fresh.close();
});
