/** Child processes for the backup tests: a writer that inserts rows in a loop, and a stand-in orchestrator. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

const WRITER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.pragma('busy_timeout = 5000');
const insert = db.prepare('INSERT INTO load (body) VALUES (randomblob(512))');
let n = 0;
process.stdout.write('ready\\n');
const tick = () => { for (let i = 0; i < 20; i++) { insert.run(); n++; } setImmediate(tick); };
tick();
process.on('SIGTERM', () => { db.close(); process.exit(0); });
`;

/** A process writing rows into `load` of `file` as fast as it can, until stopped. */
export async function startWriter(file: string): Promise<{ child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-e', WRITER, file], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`writer exited with ${code}`)));
  });
  return {
    child,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** A process holding `file`'s write lock (BEGIN EXCLUSIVE in rollback mode) until stopped. */
export async function startLocker(file: string): Promise<{ stop: () => Promise<void> }> {
  const script = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.exec('BEGIN EXCLUSIVE');
db.prepare('INSERT INTO load (body) VALUES (x\\'00\\')').run();
process.stdout.write('locked\\n');
setInterval(() => {}, 1000);
`;
  const child = spawn(process.execPath, ['-e', script, file], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`locker exited with ${code}`)));
  });
  return {
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

/** A process whose command line contains `marker` (a stand-in batch orchestrator), until stopped. */
export async function startFakeOrchestrator(marker: string): Promise<{ pid: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-e', 'process.stdout.write("up\\n"); setInterval(() => {}, 1000)', marker], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  return {
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}
