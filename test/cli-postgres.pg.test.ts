/** The terminal on a state in PostgreSQL: the same answers as the bot's replicas, and one sentence when it cannot reach it. */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.js';
import { createAtlasFiles, tempDir } from './helpers/test-deps.js';

describe('atlas (terminal) with STATE_DATABASE_URL', () => {
  let dir: ReturnType<typeof tempDir>;
  let database: TestDatabase;
  beforeEach(async () => {
    dir = tempDir();
    database = await createTestDatabase();
    const files = createAtlasFiles(path.join(dir.dir, '.shadow-atlas'));
    files.metrics.close();
    files.persistence.close();
  });
  afterEach(async () => {
    await database.drop();
    dir.cleanup();
  });

  async function atlas(argv: string[], url: string) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, { env: { ATLAS_DATA_DIR: '.shadow-atlas', STATE_DATABASE_URL: url }, cwd: dir.dir, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
    return { code, stdout, stderr };
  }

  it('declares an incident into PostgreSQL and lists it from a second terminal; no chatops.db is written', async () => {
    expect((await atlas(['declare', 'TIGER returning 503'], database.url)).code).toBe(0);
    const listed = await atlas(['incidents', '--json'], database.url);
    expect(JSON.parse(listed.stdout)).toMatchObject({ command: 'incidents', headline: expect.stringMatching(/^1 open incident/) });
    expect(listed.stdout).toContain('TIGER returning 503');
    const { existsSync } = await import('node:fs');
    expect(existsSync(path.join(dir.dir, '.shadow-atlas', 'chatops.db'))).toBe(false);
  });

  it('says in one sentence, without the password, that the state cannot be reached, and exits 3', async () => {
    const u = new URL(database.url);
    u.password = 'not-the-password-s3cret';
    u.port = '1';
    const { code, stdout, stderr } = await atlas(['incidents'], u.toString());
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^atlas: The bot's state could not be opened: Nothing answers at postgresql:\/\/[^ ]+ \(connection refused\): is PostgreSQL running there, on that port\?\n$/);
    expect(stderr).not.toContain('s3cret');
  });
});
