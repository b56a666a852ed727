/**
 * A fresh PostgreSQL database per test, on the run's server (postgres-global-setup.ts): created
 * with a random name, dropped afterwards (WITH (FORCE): a connection a failed test left open does
 * not keep it). Only in files of the `postgresql` project (`*.pg.test.ts`).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export interface TestDatabase {
  /** A superuser's URL to this database. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** The run's server as a superuser (the `postgres` database). */
export function postgresAdminUrl(): string {
  return inject('postgresAdminUrl');
}

/** `url` with its database replaced by `database`. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

async function asAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresAdminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `atlas_test_${randomBytes(6).toString('hex')}`;
  await asAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: withDatabase(postgresAdminUrl(), name),
    drop: () => asAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
