import type { Logger } from 'pino';
import type { Config } from './config.js';
import { connectionProblem, parsePostgresUrl } from './db/state/postgres/postgres-url.js';
import { openPostgresStateStore } from './db/state/postgres/postgres-state-store.js';
import { openStateStore } from './db/state/kysely/sqlite-state-store.js';
import { stateFileOf } from './db/state/state-file.js';
import type { KyselyState } from './db/state/kysely/kysely-state.js';

/** The state could not be opened; `message` is one sentence for the person starting the bot, never a password. */
export class StateOpenError extends Error {}

/**
 * The bot's state: in PostgreSQL when STATE_DATABASE_URL names one (brought to the newest schema
 * first), chatops.db in the data directory otherwise; `file: null` keeps a SQLite state in memory
 * (the terminal pointed at a data directory that does not exist must not create one).
 */
export async function openState(config: Pick<Config, 'dataDir' | 'env'>, opts: { file?: string | null; logger?: Logger } = {}): Promise<KyselyState> {
  const url = config.env.STATE_DATABASE_URL;
  if (!url) return openStateStore(opts.file === undefined ? stateFileOf(config) : (opts.file ?? ':memory:'));
  const parsed = parsePostgresUrl(url);
  if (!parsed.ok) throw new StateOpenError(`STATE_DATABASE_URL: ${parsed.problem}`);
  try {
    return await openPostgresStateStore(
      { connectionString: parsed.url, connectionTimeoutMillis: 10_000 },
      { onConnectionLost: (err) => opts.logger?.warn({ problem: connectionProblem(err, parsed) }, 'a connection to the state store was lost; the next query opens a new one') },
    );
  } catch (err) {
    throw new StateOpenError(`The bot's state could not be opened: ${connectionProblem(err, parsed)}`);
  }
}
