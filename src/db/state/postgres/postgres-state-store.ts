import type pg from 'pg';
import { kyselyState, type KyselyState, type UnportedStores } from '../kysely/kysely-state.js';
import { postgresKysely, statePostgresPool } from '../kysely/postgres-kysely.js';
import { POSTGRESQL_DIALECT } from '../kysely/state-dialect.js';
import { applyPostgresMigrations, POSTGRES_MIGRATIONS_TABLE } from './apply-postgres-migrations.js';
import { POSTGRES_STATE_MIGRATIONS } from './postgres-state-migrations.js';

// Removed when the last stores are written in Kysely (helpers porta/portb, this session).
const UNPORTED = new Proxy({}, {
  get: (_, store) => new Proxy({}, { get: () => async () => await Promise.reject(new Error(`the ${String(store)} store is not written for PostgreSQL yet`)) }),
}) as UnportedStores;

/**
 * The state in PostgreSQL, brought to the newest schema first (replicas starting at once take
 * turns: apply-postgres-migrations.ts). Transactions run side by side on the pool's connections.
 */
export async function openPostgresStateStore(config: pg.PoolConfig): Promise<KyselyState> {
  const pool = statePostgresPool(config);
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
    unported: UNPORTED,
    // Two hosts share no disk: the chain's anchors are the heads published in Slack and --head.
    auditHeadFile: null,
    close: async () => await db.destroy(),
  });
}
