import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { manualClock } from '../../src/clock.js';
import type { CommandDeps } from '../../src/commands/command-spec.js';
import { buildConfig, type Env } from '../../src/config.js';
import { openStateStore, type SqliteStateStore } from '../../src/db/state/kysely/sqlite-state-store.js';
import { closeDeps, createDeps } from '../../src/runtime.js';
import { METRICS_DDL, PERSISTENCE_DDL } from '../../src/demo/atlas-schema.js';

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'atlas-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Creates empty metrics.db and persistence.db with the service's schema in `dataDir`. */
export function createAtlasFiles(dataDir: string): { metrics: Database.Database; persistence: Database.Database } {
  mkdirSync(dataDir, { recursive: true });
  const metrics = new Database(path.join(dataDir, 'metrics.db'));
  metrics.exec(METRICS_DDL);
  const persistence = new Database(path.join(dataDir, 'persistence.db'));
  persistence.pragma('journal_mode = WAL');
  persistence.exec(PERSISTENCE_DDL);
  return { metrics, persistence };
}

export const TEST_NOW = '2026-11-26T12:00:00.000Z';

/**
 * CommandDeps over a real data directory, a real chatops.db in it, a manual clock and a
 * silent logger, built the way the bot builds them. `fetch` defaults to the global one
 * (intercept it with nock). `db` is chatops.db itself, for fixtures and assertions;
 * `onEvent` connects a delivery loop's wake-up.
 */
export function testDeps(dataDir: string, overrides: Partial<CommandDeps> & { file?: unknown; env?: Partial<Env> } = {}) {
  const { file, env, ...rest } = overrides;
  const clock = manualClock(TEST_NOW);
  const state: SqliteStateStore = openStateStore(path.join(dataDir, 'chatops.db'));
  let wake = () => {};
  const base = createDeps(buildConfig(dataDir, file ?? {}, env), pino({ level: 'silent' }), {
    clock: rest.clock ?? clock,
    state,
    wakeDelivery: () => wake(),
  });
  const deps: CommandDeps = { ...base, ...rest };
  return {
    deps,
    clock,
    db: state.db,
    onEvent(fn: () => void) {
      wake = fn;
    },
    close: async () => await closeDeps(deps),
  };
}

export type TestEnv = ReturnType<typeof testDeps>;
