/**
 * A store's interface with each method answering at once instead of through a Promise: what the
 * SQLite stores implement over better-sqlite3 (synchronous underneath). sqlite-state-store.ts
 * turns each into the asynchronous interface, serialized with the connection's transactions.
 */
export type Synchronous<S> = {
  [K in keyof S]: S[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : S[K];
};
