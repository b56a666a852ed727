/**
 * Vitest global set-up of the `postgresql` project (vitest.config.ts): one PostgreSQL server for
 * the whole run, started only when a PostgreSQL test file runs, stopped when the run ends. With
 * PG_TEST_URL set (a superuser's URL to an existing server), that server is used and nothing is
 * started. Each test gets a database of its own from test/helpers/postgres.ts.
 */
import type { TestProject } from 'vitest/node';
import { startPostgresServer } from './postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser's URL to the `postgres` database of the run's server. */
    postgresAdminUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const given = process.env.PG_TEST_URL;
  if (given) {
    project.provide('postgresAdminUrl', given);
    return undefined;
  }
  const server = await startPostgresServer();
  project.provide('postgresAdminUrl', server.adminUrl);
  return () => server.stop();
}
