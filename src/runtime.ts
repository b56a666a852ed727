import path from 'node:path';
import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import type { CommandDeps } from './commands/command-spec.js';
import type { Config } from './config.js';
import { openAtlasStores } from './db/atlas-database.js';
import { openStateDb } from './db/state-db.js';

/**
 * The dependencies every front door shares. `stateFile` null keeps the audit in memory
 * (the terminal pointed at a directory that does not exist must not create one).
 */
export function createDeps(config: Config, logger: Logger, opts: { clock?: Clock; stateFile?: string | null } = {}): CommandDeps {
  const stateFile = opts.stateFile === undefined ? path.join(config.dataDir, 'chatops.db') : opts.stateFile;
  return {
    config,
    atlas: openAtlasStores(config.dataDir),
    state: openStateDb(stateFile ?? ':memory:'),
    clock: opts.clock ?? systemClock,
    logger,
    fetch: (...args) => globalThis.fetch(...args),
  };
}

export function closeDeps(deps: CommandDeps): void {
  deps.atlas.close();
  deps.state.close();
}
