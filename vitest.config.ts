import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

/** Tests against a real PostgreSQL: their project starts one server per run (test/helpers/postgres-global-setup.ts). */
const POSTGRES_TESTS = 'test/**/*.pg.test.ts';

export default defineConfig({
  test: {
    // Generous: a test fails on what it checks, never on a loaded machine being slow (`npm run test:busy`).
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Several test files start an HTTP receiver and open SQLite files; forks keep native
    // better-sqlite3 handles isolated per file.
    pool: 'forks',
    // Most files wait on child processes, HTTP and SQLite rather than compute: one fork more
    // than the cores keeps both busy (Vitest's default of one fewer ran the suite in 108 s on 2
    // cores; this, in 55 s).
    maxWorkers: availableParallelism() + 1,
    // Two projects so that a run without PostgreSQL tests starts no server: Vitest runs a
    // project's global set-up only when one of its files runs.
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, POSTGRES_TESTS] } },
      { extends: true, test: { name: 'postgresql', include: [POSTGRES_TESTS], globalSetup: ['test/helpers/postgres-global-setup.ts'] } },
    ],
  },
});
