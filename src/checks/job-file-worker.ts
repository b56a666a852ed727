/**
 * The job file reader's worker thread (see job-file-reader.ts): reads and parses the files of
 * one question, one file at a time, and answers each with its summary or why it was skipped.
 * A 8 MB job file costs tens of megabytes and a few hundred milliseconds to parse; here, that
 * is neither the event loop's time nor its heap. Runs compiled from dist/ in production, from
 * source under tests.
 */
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { MAX_JOB_FILE_BYTES, parseJobFile, summarizeJobFile } from '../db/job-file.js';
import type { JobFileOutcome, JobFileRequest } from './job-file-messages.js';

/** Below the event loop's CPU priority (as the metrics readers): the acknowledgements win. */
const JOB_FILE_READER_NICE = 10;

if (!parentPort) throw new Error('job-file-worker must run in a worker thread');
if (process.platform === 'linux') {
  try {
    setPriority(0, JOB_FILE_READER_NICE);
  } catch {
    // Not allowed here (a sandbox); the reads still run, at the event loop's priority.
  }
}
const port = parentPort;

function errorCode(err: unknown): string {
  return typeof err === 'object' && err && 'code' in err ? String((err as { code: unknown }).code) : 'error';
}

function outcomeOf(file: { path: string; name: string }): JobFileOutcome['outcome'] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file.path);
  } catch (err) {
    const code = errorCode(err);
    return code === 'ENOENT' ? { kind: 'gone' } : { kind: 'skipped', reason: `unreadable (${code})` };
  }
  // It may have grown since the listing looked at its size.
  if (bytes.length > MAX_JOB_FILE_BYTES) return { kind: 'skipped', reason: `larger than ${MAX_JOB_FILE_BYTES / 1024 / 1024} MB` };
  const parsed = parseJobFile(bytes.toString('utf8'), file.name);
  return parsed.ok ? { kind: 'job', summary: summarizeJobFile(parsed.job) } : { kind: 'skipped', reason: parsed.reason };
}

port.on('message', (message: JobFileRequest) => {
  for (const file of message.files) {
    port.postMessage({ id: message.id, name: file.name, outcome: outcomeOf(file) } satisfies JobFileOutcome);
  }
  port.postMessage({ id: message.id, done: true });
});
