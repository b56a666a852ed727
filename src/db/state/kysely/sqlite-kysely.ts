import type Database from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver } from 'kysely';
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
  readonly #database: Database.Database;
  constructor(database: Database.Database) {
    // The connection belongs to whoever opened it: destroying the Kysely instance leaves it open.
    super({ database: { prepare: (sql: string) => database.prepare(sql), close: () => {} } });
    this.#database = database;
  }
  override createDriver(): Driver {
    const database = this.#database;
    return new ImmediateSqliteDriver({ database: { prepare: (sql: string) => database.prepare(sql), close: () => {} } });
  }
}

/** Kysely over an open better-sqlite3 connection to chatops.db; closing the connection stays the opener's. */
export function sqliteKysely(database: Database.Database): Kysely<StateDb> {
  return new Kysely<StateDb>({ dialect: new ImmediateSqliteDialect(database) });
}
