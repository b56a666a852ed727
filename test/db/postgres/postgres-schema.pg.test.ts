/**
 * chatops.db's newest schema and the PostgreSQL one must hold the same tables, columns and named
 * indexes: one set of queries is to serve both, and `atlas state migrate` copies column for
 * column. A SQLite migration appended without its PostgreSQL counterpart fails here.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPostgresMigrations, POSTGRES_MIGRATIONS_TABLE } from '../../../src/db/state/postgres/apply-postgres-migrations.js';
import { STATE_MIGRATIONS } from '../../../src/db/state/state-migrations.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';

/** PostgreSQL tables chatops.db does not have (yet): compared as soon as SQLite gains one. */
const POSTGRES_ONLY = new Set([POSTGRES_MIGRATIONS_TABLE]);

interface Column {
  /** integer, text or blob */
  type: string;
  notNull: boolean;
  primaryKey: boolean;
}
type Schema = Record<string, Record<string, Column>>;

function sqliteSchema(): { tables: Schema; indexes: string[] } {
  const db = new Database(':memory:');
  try {
    for (const migration of STATE_MIGRATIONS) db.exec(migration);
    const tables: Schema = {};
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
    for (const name of names) {
      const columns = db.prepare(`PRAGMA table_info("${name}")`).all() as { name: string; type: string; notnull: number; pk: number }[];
      // A primary key is NOT NULL in PostgreSQL whatever it says (SQLite lets a TEXT key be null).
      tables[name] = Object.fromEntries(columns.map((c) => [c.name, { type: c.type.toLowerCase(), notNull: c.notnull === 1 || c.pk > 0, primaryKey: c.pk > 0 }]));
    }
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").pluck().all() as string[];
    return { tables, indexes };
  } finally {
    db.close();
  }
}

const FAMILY: Record<string, string> = { bigint: 'integer', integer: 'integer', text: 'text', bytea: 'blob' };

async function postgresSchema(client: pg.Client): Promise<{ tables: Schema; indexes: string[] }> {
  const { rows } = await client.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string; pk: boolean }>(
    `SELECT c.table_name, c.column_name, c.data_type, c.is_nullable,
            EXISTS (SELECT 1 FROM information_schema.table_constraints tc
                    JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name AND k.table_name = tc.table_name
                    WHERE tc.table_name = c.table_name AND tc.constraint_type = 'PRIMARY KEY' AND k.column_name = c.column_name) AS pk
       FROM information_schema.columns c WHERE c.table_schema = 'public' ORDER BY c.table_name, c.ordinal_position`,
  );
  const tables: Schema = {};
  for (const r of rows) {
    if (POSTGRES_ONLY.has(r.table_name)) continue;
    tables[r.table_name] ??= {};
    tables[r.table_name]![r.column_name] = { type: FAMILY[r.data_type] ?? r.data_type, notNull: r.is_nullable === 'NO', primaryKey: r.pk };
  }
  const indexes = (await client.query<{ name: string }>("SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE 'idx\\_%' ORDER BY 1")).rows.map((r) => r.name);
  return { tables, indexes };
}

let db: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await applyPostgresMigrations(client);
});

afterAll(async () => {
  await client.end();
  await db.drop();
});

describe('the PostgreSQL state schema', () => {
  it('has the tables, columns (type, NOT NULL, primary key) and indexes of chatops.db at its newest version', async () => {
    const sqlite = sqliteSchema();
    const postgres = await postgresSchema(client);
    expect(Object.keys(postgres.tables).sort()).toEqual(Object.keys(sqlite.tables).sort());
    for (const table of Object.keys(sqlite.tables)) {
      expect({ table, columns: postgres.tables[table] }).toEqual({ table, columns: sqlite.tables[table] });
    }
    expect(postgres.indexes).toEqual(sqlite.indexes);
  });

  it('compares text bytewise, as SQLite does, whatever the server locale', async () => {
    const { rows } = await client.query<{ c: string }>(
      `SELECT collation_name AS c FROM information_schema.columns WHERE table_schema = 'public' AND data_type = 'text' AND table_name <> $1 GROUP BY 1`,
      [POSTGRES_MIGRATIONS_TABLE],
    );
    expect(rows.map((r) => r.c)).toEqual(['C']);
  });
});
