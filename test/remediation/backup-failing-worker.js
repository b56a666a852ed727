// A backup worker that writes part of its copy, then fails as SQLite does on a full disk.
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

writeFileSync(workerData.dest, Buffer.alloc(64 * 1024, 7));
parentPort?.postMessage({ kind: 'progress', phase: 'copy', done: 16, total: 2000 });
parentPort?.postMessage({ kind: 'error', code: 'SQLITE_FULL', message: 'database or disk is full' });
