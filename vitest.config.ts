import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
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
  },
});
