import type pg from 'pg';
import { kyselyState, type KyselyState } from '../kysely/kysely-state.js';
import { postgresKysely, statePostgresPool } from '../kysely/postgres-kysely.js';
import { POSTGRESQL_DIALECT } from '../kysely/state-dialect.js';
import { applyPostgresMigrations, POSTGRES_MIGRATIONS_TABLE } from './apply-postgres-migrations.js';
import { POSTGRES_STATE_MIGRATIONS } from './postgres-state-migrations.js';

/**
 * The state in PostgreSQL, brought to the newest schema first (replicas starting at once take
 * turns: apply-postgres-migrations.ts). Transactions run side by side on the pool's connections.
 */
export async function openPostgresStateStore(config: pg.PoolConfig, opts: { onConnectionLost?: (err: Error) => void } = {}): Promise<KyselyState> {
  const pool = statePostgresPool({
    // A server that stops answering (a failover) fails a query after this long instead of never.
    query_timeout: 30_000,
    keepAlive: true,
    ...config,
  });
  // An idle connection the server closed (a restart) is dropped by the pool, which opens a new
  // one on the next query; without a listener its error would end the process.
  pool.on('error', (err) => opts.onConnectionLost?.(err));
  // A connection checked out (a transaction between two statements) has no pool listener: its
  // error would be unhandled and end the process. The query waiting on it fails on its own.
  pool.on('connect', (client) => client.on('error', (err) => opts.onConnectionLost?.(err)));
  const client = await pool.connect();
  try {
    await applyPostgresMigrations(client);
  } finally {
    client.release();
  }
  const db = postgresKysely(pool);
  return kyselyState(db, {
    dialect: POSTGRESQL_DIALECT,
    serially: async (task) => await task(),
    async schemaVersion() {
      const { rows } = await pool.query<{ version: number | null }>(`SELECT MAX(version) AS version FROM ${POSTGRES_MIGRATIONS_TABLE}`);
      return { current: rows[0]?.version ?? 0, latest: POSTGRES_STATE_MIGRATIONS.length };
    },
    // Two hosts share no disk: the chain's anchors are the heads published in Slack and --head.
    auditHeadFile: null,
    close: async () => await db.destroy(),
  });
}
