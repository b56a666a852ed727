/**
 * The metrics reader's worker thread (see metrics-reader.ts): one request at a time, each
 * answered with one message. Runs compiled from dist/ in production, from source under tests.
 */
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { metricsReadAnswerer } from './metrics-reads.js';

/**
 * How much lower than the event loop this thread runs (a nice value). On Linux a thread's
 * priority is its own (setpriority on the calling thread), so on a busy 2-core machine the
 * event loop that acknowledges Slack wins the CPU and a long read takes what is left. Elsewhere
 * the call would lower the whole process, so it is made on Linux only.
 */
export const METRICS_READER_NICE = 10;

if (!parentPort) throw new Error('metrics-reader-worker must run in a worker thread');
if (process.platform === 'linux') {
  try {
    setPriority(0, METRICS_READER_NICE);
  } catch {
    // Not allowed here (a sandbox); the read still runs, at the event loop's priority.
  }
}
const port = parentPort;
const answer = metricsReadAnswerer();
port.on('message', (message: unknown) => port.postMessage(answer(message)));
