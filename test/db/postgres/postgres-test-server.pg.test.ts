import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../helpers/postgres.js';

describe('the PostgreSQL of the test run', () => {
  it('gives each test a database of its own, and drops it', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    expect(a.name).not.toBe(b.name);
    const client = new pg.Client({ connectionString: a.url });
    await client.connect();
    try {
      await client.query('CREATE TABLE t (x int)');
      expect((await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db).toBe(a.name);
    } finally {
      await client.end();
    }
    const other = new pg.Client({ connectionString: b.url });
    await other.connect();
    try {
      expect((await other.query("SELECT 1 FROM pg_tables WHERE tablename = 't'")).rowCount).toBe(0);
    } finally {
      await other.end();
    }
    await a.drop();
    await b.drop();
    const gone = new pg.Client({ connectionString: a.url });
    await expect(gone.connect()).rejects.toThrow(/does not exist/);
    await gone.end().catch(() => undefined);
  });
});
