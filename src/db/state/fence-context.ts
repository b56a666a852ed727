import { AsyncLocalStorage } from 'node:async_hooks';
import type { Fence } from './lease-store.js';

/** The lease the current flow's writes are made under, and the clock its holder keeps. */
export interface FenceContext extends Fence {
  now: () => Date;
}

/**
 * The lease the current asynchronous flow runs under (a scheduled job on the replica holding it):
 * every state transaction begun in it first checks that the lease is still this holder's at this
 * token, and changes nothing otherwise (kysely-state.ts).
 */
export const currentFence = new AsyncLocalStorage<FenceContext>();

/** A write under a lease that was taken over meanwhile: nothing was changed. */
export class LeaseLostError extends Error {
  constructor(readonly fence: Fence) {
    super(`the lease ${fence.name} (token ${fence.token}) is no longer held by ${fence.holder}; nothing was written`);
  }
}
