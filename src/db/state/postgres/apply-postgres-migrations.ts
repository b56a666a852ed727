/**
 * Brings a PostgreSQL state database to the newest schema (postgres-state-migrations.ts).
 *
 * Replicas start at once: each takes a transaction-scoped advisory lock first, so one applies
 * the missing versions while the others wait, then find nothing left to do. DDL is transactional
 * in PostgreSQL: a failing migration leaves the database at the version it had.
 */
import type pg from 'pg';
import { POSTGRES_STATE_MIGRATIONS } from './postgres-state-migrations.js';

/** Which versions ran, and when; not part of the state chatops.db has. */
export const POSTGRES_MIGRATIONS_TABLE = 'schema_migrations';

/**
 * The advisory lock the appliers take (one bigint key per database). A fixed number, chosen once
 * for this bot: nothing else in the database should use it.
 */
export const POSTGRES_MIGRATION_LOCK = '7203614042';

/** The database was migrated by a newer bot than this one. */
export class PostgresSchemaTooNewError extends Error {}

export interface PostgresMigrationResult {
  /** The version before (0: an empty database). */
  from: number;
  /** The version after: the newest this bot knows. */
  to: number;
}

/**
 * Applies the missing versions inside the transaction the caller has begun (so a copy can put the
 * schema and the rows into one commit). Waits for the migration lock, which is held until that
 * transaction ends.
 */
export async function applyPendingPostgresMigrations(client: pg.ClientBase, migrations: readonly string[] = POSTGRES_STATE_MIGRATIONS): Promise<PostgresMigrationResult> {
  await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [POSTGRES_MIGRATION_LOCK]);
  await client.query(`CREATE TABLE IF NOT EXISTS ${POSTGRES_MIGRATIONS_TABLE} (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
  const { rows } = await client.query<{ version: number | null }>(`SELECT MAX(version) AS version FROM ${POSTGRES_MIGRATIONS_TABLE}`);
  const from = rows[0]?.version ?? 0;
  if (from > migrations.length) {
    throw new PostgresSchemaTooNewError(`The PostgreSQL state is at schema version ${from}, newer than this bot knows (${migrations.length}); run a newer bot.`);
  }
  for (let version = from + 1; version <= migrations.length; version++) {
    await client.query(migrations[version - 1]!);
    await client.query(`INSERT INTO ${POSTGRES_MIGRATIONS_TABLE} (version) VALUES ($1)`, [version]);
  }
  return { from, to: migrations.length };
}

/** Applies the missing versions in a transaction of their own. */
export async function applyPostgresMigrations(client: pg.ClientBase, migrations: readonly string[] = POSTGRES_STATE_MIGRATIONS): Promise<PostgresMigrationResult> {
  await client.query('BEGIN');
  try {
    const result = await applyPendingPostgresMigrations(client, migrations);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
