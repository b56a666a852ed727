import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { StateDb } from './state-db.js';

/** PostgreSQL's type id of BIGINT (int8): ids, and COUNT(*). */
const INT8_OID = 20;

/**
 * BIGINT as a number, the one place the engines' values differ: `pg` answers BIGINT as text (it
 * may exceed 2^53), SQLite as a number. The state's BIGINTs are ids and counts, far below 2^53;
 * one beyond it fails loudly instead of being rounded.
 */
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`PostgreSQL answered the BIGINT ${text}, beyond what the bot counts exactly`);
  return n;
}

/** A pool to the state database whose BIGINTs arrive as numbers (not set globally: other `pg` users keep text). */
export function statePostgresPool(config: pg.PoolConfig): pg.Pool {
  return new pg.Pool({
    ...config,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
}

/** Kysely over the pool; destroying it ends the pool. */
export function postgresKysely(pool: pg.Pool): Kysely<StateDb> {
  return new Kysely<StateDb>({ dialect: new PostgresDialect({ pool }) });
}
