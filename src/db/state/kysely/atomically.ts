import { sql, type Kysely } from 'kysely';
import type { StateDb } from './state-db.js';

let savepoints = 0;

/**
 * Runs a store method's several statements as one: in a transaction of their own when called on
 * the state outside any (SQLite: an immediate one), or as a savepoint of the caller's open
 * transaction, so that a failure undoes this method's writes only (as better-sqlite3's nested
 * `db.transaction` did).
 */
export async function atomically<T>(db: Kysely<StateDb>, fn: (db: Kysely<StateDb>) => Promise<T>): Promise<T> {
  if (!db.isTransaction) return await db.transaction().execute(fn);
  const name = sql.id(`atomic_${++savepoints}`);
  await sql`SAVEPOINT ${name}`.execute(db);
  try {
    const result = await fn(db);
    await sql`RELEASE SAVEPOINT ${name}`.execute(db);
    return result;
  } catch (err) {
    await sql`ROLLBACK TO SAVEPOINT ${name}`.execute(db);
    await sql`RELEASE SAVEPOINT ${name}`.execute(db);
    throw err;
  }
}
