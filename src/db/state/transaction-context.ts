import { AsyncLocalStorage } from 'node:async_hooks';
import { currentFence } from './fence-context.js';

/** A transaction open in the current asynchronous flow, and whether it still is. */
export interface OpenTransactionContext {
  open: boolean;
}

/**
 * The transaction open in the current asynchronous flow, if any. Node carries it into callbacks
 * scheduled from inside the transaction too (timers, setImmediate), which are not part of it.
 */
export const openTransaction = new AsyncLocalStorage<OpenTransactionContext>();

/**
 * Runs `fn` apart from the transaction of the calling flow: for work it only starts (a wake-up of
 * delivery scheduled while a change records its messages) that runs later on its own and uses
 * the outer store, waiting for the transaction to end like any other caller. Apart from the
 * caller's lease too: that work is not the scheduled job's.
 */
export function apartFromTransaction<T>(fn: () => T): T {
  return openTransaction.exit(() => currentFence.exit(fn));
}
