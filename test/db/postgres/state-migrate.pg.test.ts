/**
 * `atlas state migrate --to postgresql://…` against a real PostgreSQL, from a chatops.db the
 * bot's own code filled (chatops-fixture.ts), run as the terminal runs it (runCli) and, where the
 * whole output matters, as a process.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../src/cli.js';
import { copyStateToPostgres } from '../../../src/db/state/postgres/copy-state-to-postgres.js';
import { openStateStore } from '../../../src/db/state/kysely/sqlite-state-store.js';
import { STATE_MIGRATIONS } from '../../../src/db/state/state-migrations.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { tempDir } from '../../helpers/test-deps.js';
import { realisticChatopsDb, type ChatopsFixture } from './chatops-fixture.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

let target: TestDatabase;
let fixture: ChatopsFixture | undefined;
let cwd: ReturnType<typeof tempDir>;

beforeEach(async () => {
  target = await createTestDatabase();
  cwd = tempDir();
});

afterEach(async () => {
  await fixture?.ie.close();
  fixture = undefined;
  cwd.cleanup();
  await target.drop();
});

async function atlas(argv: string[], dataDir: string) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { env: { ATLAS_DATA_DIR: dataDir }, cwd: cwd.dir, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

const publicTables = async () => (await query<{ t: string }>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")).map((r) => r.t);
const passwordOf = (url: string) => decodeURIComponent(new URL(url).password);

/** A cell as both engines can be compared: numbers and bigint text alike as text, bytes as hex. */
const norm = (v: unknown): unknown => (Buffer.isBuffer(v) ? `hex:${v.toString('hex')}` : typeof v === 'number' || typeof v === 'bigint' ? String(v) : v);
const rowsOf = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(Object.entries(r).map(([k, v]) => [k, norm(v)]))).sort();

/** Every table's rows in chatops.db, as the copy should hold them. */
function sqliteContents(file: string): Map<string, string[]> {
  const db = new Database(file, { readonly: true });
  try {
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
    return new Map(names.map((n) => [n, rowsOf(db.prepare(`SELECT * FROM "${n}"`).all() as Record<string, unknown>[])]));
  } finally {
    db.close();
  }
}

describe('atlas state migrate --to postgresql://…', () => {
  it('copies every table of a chatops.db row for row, verifies counts and the audit chain, and continues the ids', async () => {
    fixture = await realisticChatopsDb();
    const { code, stdout, stderr } = await atlas(['state', 'migrate', '--to', target.url], fixture.dataDir);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const expected = sqliteContents(fixture.stateFile);
    const total = [...expected.values()].reduce((n, rows) => n + rows.length, 0);
    expect(stdout).toContain(`Copied chatops.db into postgresql://postgres@127.0.0.1:${new URL(target.url).port}/${target.name}: ${expected.size} tables,`);
    expect(stdout).toContain('Audit chain: 4 rows, verified in PostgreSQL from #1 to #4');
    expect(stdout).toContain('the last row the bot wrote (its head file): row #4 holds and ends the log');
    expect(stdout).not.toContain(passwordOf(target.url));

    // Row for row: what the command ran itself (its command_runs row) came after the snapshot.
    const command = expected.get('command_runs')!;
    expect(command.filter((r) => r.includes('state migrate'))).toHaveLength(1);
    expected.set('command_runs', command.filter((r) => !r.includes('state migrate')));
    for (const [table, rows] of expected) {
      expect({ table, rows: rowsOf(await query(`SELECT * FROM "${table}"`)) }).toEqual({ table, rows });
    }
    expect(total).toBeGreaterThan(40);
    for (const t of ['incidents', 'incident_events', 'alerts', 'alert_firings', 'timers', 'outbox', 'outbox_files', 'slack_messages', 'audit_log', 'audit_heads_published']) {
      expect(expected.get(t)!.length, t).toBeGreaterThan(0);
    }

    // The next outbox id is past the one chatops.db handed out and deleted, not reused.
    const sqlite = new Database(fixture.stateFile, { readonly: true });
    const handedOut = sqlite.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").pluck().get() as number;
    const maxLeft = sqlite.prepare('SELECT MAX(id) FROM outbox').pluck().get() as number;
    sqlite.close();
    expect(handedOut).toBeGreaterThan(maxLeft);
    const [next] = await query<{ id: string }>("INSERT INTO outbox (created_at, lane, op, next_attempt_at) VALUES ('2026-12-07T00:00:00.000Z', 'x', 'post', '2026-12-07T00:00:00.000Z') RETURNING id");
    expect(Number(next!.id)).toBe(handedOut + 1);
  });

  it('refuses a target that already holds state, in one sentence, and changes nothing there', async () => {
    fixture = await realisticChatopsDb();
    expect((await atlas(['state', 'migrate', '--to', target.url], fixture.dataDir)).code).toBe(0);
    const before = await query<{ n: string }>('SELECT COUNT(*) AS n FROM incidents');
    await query("INSERT INTO people (user_id, name, fetched_at) VALUES ('U0MARKER', 'marker', '2026-12-07T00:00:00.000Z')");
    const again = await atlas(['state', 'migrate', '--to', target.url], fixture.dataDir);
    expect(again.code).toBe(3);
    expect(again.stdout.trim()).toMatch(/^\[ERROR\] postgresql:\/\/postgres@127\.0\.0\.1:\d+\/atlas_test_\w+ already holds the bot's state \(rows in [^)]*\); `state migrate` copies into an empty database only: nothing was written\.$/);
    expect(await query('SELECT COUNT(*) AS n FROM incidents')).toEqual(before);
    expect(await query("SELECT name FROM people WHERE user_id = 'U0MARKER'")).toEqual([{ name: 'marker' }]);
  });

  it('writes nothing at all, not even the schema, when PostgreSQL refuses one row late in the copy', async () => {
    fixture = await realisticChatopsDb();
    // SQLite keeps text in an INTEGER column; PostgreSQL refuses it. timers is copied after most tables.
    expect(fixture.ie.env.db.prepare("UPDATE timers SET attempts = 'many'").run().changes).toBeGreaterThan(0);
    const { code, stdout } = await atlas(['state', 'migrate', '--to', target.url], fixture.dataDir);
    expect(code).toBe(3);
    expect(stdout.trim()).toBe('[ERROR] PostgreSQL refused a row of timers (invalid input syntax for type integer: "many"): nothing was written.');
    expect(await publicTables()).toEqual([]);
  });

  it('refuses a chatops.db whose audit chain does not verify, before writing anything', async () => {
    fixture = await realisticChatopsDb();
    fixture.ie.env.db.prepare("UPDATE audit_log SET result = 'nothing happened' WHERE id = 2").run();
    const { code, stdout } = await atlas(['state', 'migrate', '--to', target.url], fixture.dataDir);
    expect(code).toBe(3);
    expect(stdout).toContain('The audit chain in');
    expect(stdout).toContain('does not verify at row #2 (its content was changed or forged');
    expect(await publicTables()).toEqual([]);
  });

  it('takes the password from PGPASSWORD when the URL has none', async () => {
    const t = tempDir();
    try {
      const file = path.join(t.dir, 'chatops.db');
      await openStateStore(file).close();
      const url = new URL(target.url);
      vi.stubEnv('PGPASSWORD', passwordOf(target.url));
      url.password = '';
      const result = await copyStateToPostgres({ stateFile: file, target: url.toString() });
      expect(result).toMatchObject({ ok: true, target: `postgresql://postgres@127.0.0.1:${url.port}/${target.name}` });
      expect(await publicTables()).toContain('incidents');
    } finally {
      vi.unstubAllEnvs();
      t.cleanup();
    }
  });

  it('refuses a chatops.db at an older schema version than the bot copies', async () => {
    const t = tempDir();
    try {
      const file = path.join(t.dir, 'chatops.db');
      await openStateStore(file, STATE_MIGRATIONS.slice(0, 5)).close();
      const result = await copyStateToPostgres({ stateFile: file, target: target.url });
      expect(result).toEqual({ ok: false, problem: expect.stringContaining(`is at schema version 5 and this bot copies version ${STATE_MIGRATIONS.length}`) });
      expect(await publicTables()).toEqual([]);
    } finally {
      t.cleanup();
    }
  });
});

describe('a PostgreSQL that cannot be used', () => {
  async function closedPort(): Promise<number> {
    return new Promise((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
  }

  it('a wrong password, an unreachable server, a missing database: one sentence each, exit 3, nothing written, no password', async () => {
    fixture = await realisticChatopsDb();
    const wrong = new URL(target.url);
    wrong.password = 'not-the-password-x9';
    const unreachable = `postgresql://atlas:secret-pw-unreach@127.0.0.1:${await closedPort()}/atlas`;
    const missing = new URL(target.url);
    missing.pathname = '/no_such_database';
    const cases: [string, string, string][] = [
      [wrong.toString(), 'not-the-password-x9', `PostgreSQL at postgresql://postgres@127.0.0.1:${wrong.port}/${target.name} refused the user name or password. Nothing was written.`],
      [unreachable, 'secret-pw-unreach', `Nothing answers at postgresql://atlas@127.0.0.1:${new URL(unreachable).port}/atlas (connection refused): is PostgreSQL running there, on that port? Nothing was written.`],
      [missing.toString(), passwordOf(target.url), `The database in postgresql://postgres@127.0.0.1:${missing.port}/no_such_database does not exist; create it first (CREATE DATABASE …). Nothing was written.`],
    ];
    for (const [url, password, sentence] of cases) {
      const { code, stdout, stderr } = await atlas(['state', 'migrate', '--to', url], fixture.dataDir);
      expect({ code, stdout: stdout.trim(), stderr }).toEqual({ code: 3, stdout: `[ERROR] ${sentence}`, stderr: '' });
      expect(stdout).not.toContain(password);
    }
    expect(await publicTables()).toEqual([]);
    const recorded = fixture.ie.env.db.prepare("SELECT args, summary FROM command_runs WHERE command = 'state migrate'").all();
    expect(recorded).toHaveLength(3);
    for (const [, password] of cases) expect(JSON.stringify(recorded)).not.toContain(password);
  });

  it('as a process with every log line on: the password is in no output', async () => {
    fixture = await realisticChatopsDb();
    const wrong = new URL(target.url);
    wrong.password = 'process-wrong-pw-7q';
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli.ts'), 'state', 'migrate', '--to', wrong.toString()], {
      cwd: ROOT,
      env: { ...process.env, ATLAS_DATA_DIR: fixture.dataDir, LOG_LEVEL: 'trace' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(out).toContain('refused the user name or password');
    expect(code).toBe(3);
    expect(out).not.toContain('process-wrong-pw-7q');
    expect(out).not.toContain(passwordOf(target.url));
  });
});
