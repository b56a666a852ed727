import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';

/** Which database a Kysely state runs on. */
export type StateEngine = 'sqlite' | 'postgresql';

/**
 * Everything a store written once has to know about the engine under it, in one place. The rest
 * is the same on both: Kysely writes upserts (`ON CONFLICT ... DO UPDATE`) and `RETURNING`
 * identically for SQLite and PostgreSQL, BIGINT arrives as a number (postgres-kysely.ts), and
 * BLOB/BYTEA as a Buffer.
 */
export interface StateDialect {
  engine: StateEngine;
  /**
   * Makes a claim's SELECT lock the rows it picks of `table`, skipping rows another replica's
   * open claim holds (PostgreSQL: `FOR UPDATE OF table SKIP LOCKED`). SQLite has no row locks and
   * needs none: the claim runs in an immediate transaction, one writer at a time, as before.
   */
  claimLock<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>, table: TB & string): SelectQueryBuilder<DB, TB, O>;
  /**
   * Makes a SELECT whose row the same transaction then changes (a check-and-set) wait for
   * another replica doing the same to the same row, and read the row as that one left it
   * (PostgreSQL: `FOR UPDATE`; its READ COMMITTED would otherwise let both act on the old row).
   * SQLite: unchanged, its immediate transaction already runs one writer at a time.
   */
  rowLock<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
  /**
   * Inside a transaction: waits until no other transaction holds `name`, and holds it to the end
   * of this one, for a check-and-insert with no row to lock yet (no two overlapping overrides).
   * PostgreSQL: a transaction-scoped advisory lock on the name's hash (a collision only makes two
   * names wait for each other). SQLite: nothing, its immediate transaction already runs alone.
   */
  serialize<DB>(tx: Kysely<DB>, name: string): Promise<void>;
}

export const SQLITE_DIALECT: StateDialect = {
  engine: 'sqlite',
  claimLock: (query) => query,
  rowLock: (query) => query,
  serialize: async () => {},
};

export const POSTGRESQL_DIALECT: StateDialect = {
  engine: 'postgresql',
  claimLock: (query, table) => query.forUpdate(table as never).skipLocked(),
  rowLock: (query) => query.forUpdate(),
  async serialize(tx, name) {
    if (!tx.isTransaction) throw new Error('serialize holds its lock to the end of a transaction: call it inside one');
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`atlas-state:${name}`}))`.execute(tx);
  },
};
