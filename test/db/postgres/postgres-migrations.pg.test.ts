import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPostgresMigrations, POSTGRES_MIGRATIONS_TABLE, PostgresSchemaTooNewError } from '../../../src/db/state/postgres/apply-postgres-migrations.js';
import { POSTGRES_STATE_MIGRATIONS } from '../../../src/db/state/postgres/postgres-state-migrations.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';

let db: TestDatabase;
const clients: pg.Client[] = [];

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  clients.push(client);
  return client;
}

const tables = async (c: pg.Client) =>
  (await c.query<{ t: string }>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")).rows.map((r) => r.t);
const versions = async (c: pg.Client) => (await c.query<{ version: number }>(`SELECT version FROM ${POSTGRES_MIGRATIONS_TABLE} ORDER BY version`)).rows.map((r) => r.version);
const latest = POSTGRES_STATE_MIGRATIONS.length;
const allVersions = Array.from({ length: latest }, (_, i) => i + 1);

beforeEach(async () => {
  db = await createTestDatabase();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
  await db.drop();
});

describe('PostgreSQL state migrations', () => {
  it('apply to an empty database and record each version', async () => {
    const c = await connect();
    expect(await applyPostgresMigrations(c)).toEqual({ from: 0, to: latest });
    expect(await versions(c)).toEqual(allVersions);
    expect(await tables(c)).toEqual(expect.arrayContaining(['incidents', 'alerts', 'outbox', 'audit_log', 'leases', POSTGRES_MIGRATIONS_TABLE]));
  });

  it('are idempotent: a second run finds nothing to do and changes nothing', async () => {
    const c = await connect();
    await applyPostgresMigrations(c);
    await c.query(`INSERT INTO people (user_id, name, fetched_at) VALUES ('U1', 'Ann', '2026-12-07T10:00:00.000Z')`);
    const before = await tables(c);
    expect(await applyPostgresMigrations(c)).toEqual({ from: latest, to: latest });
    expect(await tables(c)).toEqual(before);
    expect(await versions(c)).toEqual(allVersions);
    expect((await c.query('SELECT * FROM people')).rowCount).toBe(1);
  });

  it('from several replicas at once: one applies, the others wait and find it done, none fails', async () => {
    const appliers = await Promise.all(Array.from({ length: 5 }, () => connect()));
    const results = await Promise.all(appliers.map((c) => applyPostgresMigrations(c)));
    expect(results.filter((r) => r.from === 0)).toHaveLength(1);
    expect(results.filter((r) => r.from === latest)).toHaveLength(4);
    expect(await versions(appliers[0]!)).toEqual(allVersions);
  });

  it('leave the database at its version when a migration fails (one transaction)', async () => {
    const c = await connect();
    await applyPostgresMigrations(c);
    const broken = [...POSTGRES_STATE_MIGRATIONS, 'CREATE TABLE half_done (x INTEGER); SELECT 1 / 0;'];
    await expect(applyPostgresMigrations(c, broken)).rejects.toThrow(/division by zero/);
    expect(await tables(c)).not.toContain('half_done');
    expect(await versions(c)).toEqual(allVersions);
  });

  it('refuse a database a newer bot migrated, in one sentence', async () => {
    const c = await connect();
    await applyPostgresMigrations(c);
    await c.query(`INSERT INTO ${POSTGRES_MIGRATIONS_TABLE} (version) VALUES ($1)`, [latest + 1]);
    const err = await applyPostgresMigrations(c).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostgresSchemaTooNewError);
    expect((err as Error).message).toBe(`The PostgreSQL state is at schema version ${latest + 1}, newer than this bot knows (${latest}); run a newer bot.`);
  });
});
