import path from 'node:path';
import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import type { CommandDeps } from './commands/command-spec.js';
import type { Config } from './config.js';
import { openAtlasStores } from './db/atlas-database.js';
import { openStateDb } from './db/state-db.js';
import { nextDeadlineText } from './incidents/incident-service.js';
import { Outbox } from './slack/outbox.js';
import { alertMessage } from './templates/alert-message.js';
import { incidentCard } from './templates/incident-card.js';

export interface DepsOptions {
  clock?: Clock;
  /** null keeps the bot's state in memory (the terminal pointed at a directory that does not exist must not create one). */
  stateFile?: string | null;
  fetch?: typeof fetch;
}

/** The dependencies every front door shares. */
export function createDeps(config: Config, logger: Logger, opts: DepsOptions = {}): CommandDeps {
  const stateFile = opts.stateFile === undefined ? path.join(config.dataDir, 'chatops.db') : opts.stateFile;
  const clock = opts.clock ?? systemClock;
  const state = openStateDb(stateFile ?? ':memory:');
  return {
    config,
    atlas: openAtlasStores(config.dataDir),
    state,
    clock,
    logger,
    fetch: opts.fetch ?? ((...args) => globalThis.fetch(...args)),
    outbox: new Outbox({
      state,
      poster: null,
      render: {
        alertMessage,
        incidentCard: (incident, alert, now) => incidentCard(incident, alert, now, nextDeadlineText(state, incident.id, now)),
      },
      clock,
      logger,
      incidentsChannel: config.channels.incidents ?? null,
    }),
  };
}

export function closeDeps(deps: CommandDeps): void {
  deps.atlas.close();
  deps.state.close();
}
