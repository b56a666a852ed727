import path from 'node:path';
import { serialQueue, type SerialQueue } from './serial-queue.js';

/**
 * One queue per chatops.db file in this process: two stores opened on the same file (a second
 * "process" in a test, the terminal beside the bot) would otherwise begin a transaction while the
 * other's is open across an await, and wait for it synchronously, freezing the event loop that
 * would end it, until the busy timeout fails one.
 */
const fileQueues = new Map<string, { queue: SerialQueue; stores: number }>();

/** The file's queue, and the function that lets it go when this store closes. */
export function queueOf(file: string): { queue: SerialQueue; release: () => void } {
  if (file === ':memory:') return { queue: serialQueue(), release: () => {} };
  const key = path.resolve(file);
  let shared = fileQueues.get(key);
  if (!shared) fileQueues.set(key, (shared = { queue: serialQueue(), stores: 0 }));
  shared.stores += 1;
  const entry = shared;
  return {
    queue: entry.queue,
    release: () => {
      entry.stores -= 1;
      if (entry.stores === 0 && fileQueues.get(key) === entry) fileQueues.delete(key);
    },
  };
}
