import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import type { CommandDeps } from './commands/command-spec.js';
import type { Config } from './config.js';
import { openAtlasStores } from './db/atlas-database.js';
import { openStateStore } from './db/state/sqlite-state-store.js';
import { stateFileOf } from './db/state/state-file.js';
import type { StateStore } from './db/state/state-store.js';
import { rotationOf } from './oncall/config-rotation.js';
import { eventRecorder } from './presenter/event-recorder.js';

export interface DepsOptions {
  clock?: Clock;
  /** The state store, when the caller opened it already (the bot opens it before delivery). */
  state?: StateStore;
  /** null keeps the bot's state in memory (the terminal pointed at a directory that does not exist must not create one). */
  stateFile?: string | null;
  fetch?: typeof fetch;
  /** Wakes delivery after a change queued messages; the terminal has none (the running bot delivers). */
  wakeDelivery?: () => void;
}


/** The dependencies every front door shares. */
export function createDeps(config: Config, logger: Logger, opts: DepsOptions = {}): CommandDeps {
  const state = opts.state ?? openStateStore(opts.stateFile === undefined ? stateFileOf(config) : (opts.stateFile ?? ':memory:'));
  return {
    config,
    atlas: openAtlasStores(config.dataDir),
    state,
    clock: opts.clock ?? systemClock,
    logger,
    fetch: opts.fetch ?? ((...args) => globalThis.fetch(...args)),
    events: eventRecorder(state, config, opts.wakeDelivery),
    rotation: rotationOf(config, state),
  };
}

export function closeDeps(deps: CommandDeps): void {
  deps.atlas.close();
  deps.state.close();
}
