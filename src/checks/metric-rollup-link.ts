/**
 * Which metrics.db connection may answer whole buckets from the rollups: the metrics reader
 * worker links its connection to the rollups it has just caught up, for the length of one
 * question, and metric-window.ts asks here. A connection with no link reads raw rows only, so
 * every other caller (tests, the benchmark's baselines, a rollup that could not catch up)
 * keeps today's exact reads.
 */
import type Database from 'better-sqlite3';
import type { RollupReader } from '../db/metrics-rollups/metrics-rollups.js';

const linked = new WeakMap<Database.Database, RollupReader>();

/** Runs `fn` with `metrics` answering whole buckets from `rollups`; the link ends with it. */
export function withRollups<T>(metrics: Database.Database, rollups: RollupReader, fn: () => T): T {
  linked.set(metrics, rollups);
  try {
    return fn();
  } finally {
    linked.delete(metrics);
  }
}

/** The rollups linked to a connection, if any. */
export function rollupsOf(metrics: Database.Database): RollupReader | undefined {
  return linked.get(metrics);
}
