import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALL_COMMANDS } from '../../src/commands/index.js';
import { CommandRegistry } from '../../src/commands/registry.js';
import { connectionProblem, parsePostgresUrl } from '../../src/db/state/postgres/postgres-url.js';
import { withoutUrlPasswords } from '../../src/text/url-credentials.js';
import { allowEveryone } from '../helpers/authorizers.js';
import { startHarness, TEST_USER, type Harness } from '../helpers/slack-harness.js';
import { tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';

let t: ReturnType<typeof tempDir>;
let env: TestEnv;
let h: Harness | undefined;
const registry = new CommandRegistry([...ALL_COMMANDS], allowEveryone);

beforeEach(() => {
  t = tempDir();
  env = testDeps(`${t.dir}/.shadow-atlas`);
});

afterEach(async () => {
  await h?.close();
  h = undefined;
  await env.close();
  t.cleanup();
});

const recordedArgs = () => env.db.prepare("SELECT args FROM command_runs WHERE command = 'state migrate' ORDER BY id").pluck().all() as string[];

describe('`state migrate` is offered in the terminal only', () => {
  it('is listed in the terminal\u2019s help and not in Slack\u2019s', async () => {
    const names = async (source: 'slack' | 'cli') => (await registry.visibleTo({ source, userId: TEST_USER })).map((s) => s.name);
    expect(await names('cli')).toContain('state migrate');
    expect(await names('slack')).not.toContain('state migrate');
  });

  it('typed in Slack, through a signed request: one sentence naming the terminal command, nothing run', async () => {
    h = await startHarness({ deps: env.deps, registry });
    const secret = 'hunter2-do-not-keep';
    const typed = await h.command(`state migrate --to postgresql://atlas:${secret}@db.internal:5432/atlas_state`);
    const answer = await typed.answer();
    expect(answer.text).toContain("`state migrate` runs only in a terminal on the bot's host");
    expect(answer.text).toContain('atlas state migrate --to postgresql://user@host:5432/database');
    const help = await (await h.command('help state migrate')).answer();
    expect(JSON.stringify(help)).toContain('runs only in a terminal');
    const all = await (await h.command('help')).answer();
    expect(JSON.stringify(all)).not.toContain('state migrate');
    // The password typed into Slack is not kept in chatops.db.
    expect(recordedArgs().join()).not.toContain(secret);
    expect(recordedArgs().join()).toContain('atlas:***@db.internal');
  });

  it('says so in one sentence when there is no chatops.db to copy', async () => {
    const deps = { ...env.deps, config: { ...env.deps.config, dataDir: `${t.dir}/nowhere` } };
    const { outcome, report } = await registry.run(['state', 'migrate', '--to', 'postgresql://atlas@127.0.0.1:1/atlas'], { source: 'cli', userId: 'ann' }, deps);
    expect(outcome).toBe('error');
    expect(report.headline).toBe(`There is no chatops.db at ${t.dir}/nowhere/chatops.db: nothing to migrate.`);
  });

  it('keeps a password typed in the terminal out of the command record', async () => {
    const { outcome, report } = await registry.run(['state', 'migrate', '--to', 'postgresql://atlas:s3cr3t-pw@localhost:1/'], { source: 'cli', userId: 'ann' }, env.deps);
    expect(outcome).toBe('error');
    expect(report.headline).toBe('The URL names no database; give one like postgresql://user@host:5432/database.');
    expect(recordedArgs()).toEqual([JSON.stringify(['--to', 'postgresql://atlas:***@localhost:1/'])]);
  });
});

describe('PostgreSQL URLs', () => {
  it('are checked before anything connects, and shown without the password', () => {
    expect(parsePostgresUrl('postgresql://atlas:pw@db:5432/atlas_state?sslmode=require')).toEqual({
      ok: true,
      url: 'postgresql://atlas:pw@db:5432/atlas_state?sslmode=require',
      shown: 'postgresql://atlas@db:5432/atlas_state',
      password: 'pw',
    });
    expect(parsePostgresUrl('postgres://db/atlas')).toMatchObject({ ok: true, shown: 'postgresql://db/atlas', password: null });
    for (const [text, problem] of [
      ['db.internal:5432', 'The URL must start with postgresql://'],
      ['not a url', 'That is not a PostgreSQL URL'],
      ['mysql://u:pw@db/atlas', 'The URL must start with postgresql:// (got mysql://)'],
      ['postgresql://u:pw@db:5432', 'The URL names no database'],
    ] as const) {
      const parsed = parsePostgresUrl(text);
      expect(parsed.ok).toBe(false);
      expect(parsed.ok ? '' : parsed.problem).toContain(problem);
      expect(parsed.ok ? '' : parsed.problem).not.toContain('pw');
    }
  });

  it('failures are one sentence without the password, even when the driver\u2019s message has it', () => {
    const target = { shown: 'postgresql://atlas@db/atlas', password: 'pa55' };
    expect(connectionProblem({ code: '28P01', message: 'password authentication failed' }, target)).toBe('PostgreSQL at postgresql://atlas@db/atlas refused the user name or password.');
    expect(connectionProblem({ code: 'ECONNREFUSED' }, target)).toContain('Nothing answers at postgresql://atlas@db/atlas');
    expect(connectionProblem(new Error('odd failure near pa55 here'), target)).toBe('PostgreSQL at postgresql://atlas@db/atlas failed: odd failure near *** here.');
  });

  it('typed input loses any password written into a URL', () => {
    expect(withoutUrlPasswords('--to=postgresql://atlas:p@ss:w0rd@db/x')).toBe('--to=postgresql://atlas:***@db/x');
    expect(withoutUrlPasswords('postgresql://atlas@db/x')).toBe('postgresql://atlas@db/x');
    expect(withoutUrlPasswords('https://example.com/a:b')).toBe('https://example.com/a:b');
  });
});
