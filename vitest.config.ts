import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Several test files start an HTTP receiver and open SQLite files; forks keep native
    // better-sqlite3 handles isolated per file.
    pool: 'forks',
  },
});
