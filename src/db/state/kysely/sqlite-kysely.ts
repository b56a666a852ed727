import type Database from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDatabase } from 'kysely';
import { statements } from '../statements.js';
import type { StateDb } from './state-db.js';

/**
 * Kysely's SQLite driver begins its transactions with a plain (deferred) BEGIN, which takes the
 * write lock only at the first write: two processes could then both read, and one fail with
 * SQLITE_BUSY at its write mid-way (the busy timeout cannot help a deferred transaction that must
 * upgrade its lock). The state's transactions take the lock at their start, as sqlite-state-store.ts does.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('BEGIN IMMEDIATE'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #database: SqliteDatabase;
  constructor(database: SqliteDatabase) {
    super({ database });
    this.#database = database;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver({ database: this.#database });
  }
}

/** Kysely over an open better-sqlite3 connection to chatops.db; closing the connection stays the opener's. */
export function sqliteKysely(database: Database.Database): Kysely<StateDb> {
  // Each SQL text prepared once, as the better-sqlite3 stores do (Kysely's driver prepares on
  // every query). Destroying the Kysely instance does not close the connection.
  const prepare = statements(database);
  return new Kysely<StateDb>({ dialect: new ImmediateSqliteDialect({ prepare, close: () => {} }) });
}
