import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { defineCommand, limitArg, noPositionals, windowArg, type Actor } from '../../src/commands/command-spec.js';
import { CommandRegistry } from '../../src/commands/registry.js';
import { tokenize } from '../../src/commands/tokenize.js';
import { buildConfig } from '../../src/config.js';
import { DbProblemError } from '../../src/db/sqlite-problem.js';
import { tempDir, testDeps } from '../helpers/test-deps.js';

const cli: Actor = { source: 'cli', userId: 'tester' };
const slackUser: Actor = { source: 'slack', userId: 'U0STRANGER', channelId: 'C0INCIDENT' };
const responder: Actor = { source: 'slack', userId: 'U0RESPOND', channelId: 'C0INCIDENT' };

const specs = [
  defineCommand({
    name: 'echo',
    summary: 'repeats its window',
    usage: '[--window 1h] [--limit N]',
    tier: 'read',
    options: { window: { type: 'string' }, limit: { type: 'string' } },
    args: z.object({ _: noPositionals, window: windowArg('1h'), limit: limitArg(10, 100) }),
    run: async (args) => ({ command: 'echo', level: 'ok', headline: `window ${args.window} limit ${args.limit}`, sections: [] }),
  }),
  defineCommand({
    name: 'ack',
    summary: 'responders only',
    usage: '',
    tier: 'incident',
    args: z.object({ _: z.array(z.string()) }),
    run: async () => ({ command: 'ack', level: 'ok', headline: 'acknowledged', sections: [] }),
  }),
  defineCommand({
    name: 'boom',
    summary: 'fails',
    usage: '',
    tier: 'read',
    args: z.object({ _: noPositionals }),
    run: async () => {
      throw new Error('secret internals');
    },
  }),
  defineCommand({
    name: 'locked',
    summary: 'reads a locked db',
    usage: '',
    tier: 'read',
    args: z.object({ _: noPositionals }),
    run: async () => {
      throw new DbProblemError({ kind: 'locked', message: 'metrics.db is locked by a writer; try again in a few seconds.' });
    },
  }),
];

describe('CommandRegistry', () => {
  let env: ReturnType<typeof testDeps>;
  let cleanup: () => void;
  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    env = testDeps(path.join(t.dir, '.shadow-atlas'), { file: { responders: { users: ['U0RESPOND'] } } });
  });
  afterEach(() => {
    env.close();
    cleanup();
  });
  const registry = () => new CommandRegistry(specs, createAuthorizer(env.deps.config));
  const runs = () => env.deps.state.prepare('SELECT * FROM command_runs ORDER BY id').all() as Record<string, unknown>[];

  it('runs a command with validated arguments and audits it', async () => {
    const result = await registry().run(['echo', '--window', '10m', '--limit', '5'], slackUser, env.deps);
    expect(result.report.headline).toBe('window 600000 limit 5');
    expect(runs()).toMatchObject([{ source: 'slack', user_id: 'U0STRANGER', channel_id: 'C0INCIDENT', command: 'echo', outcome: 'ok' }]);
  });

  it.each([
    [['nope'], /^Unknown subcommand `nope`\. Try `\/atlas help`/],
    [['echo', '--window', 'forever'], /--window: takes a duration.*Usage: `\/atlas echo \[--window 1h\]/],
    [['echo', '--limit', '0'], /^--limit: takes a whole number from 1 to 100/],
    [['echo', '--frobnicate'], /unknown flag `--frobnicate`/],
    [['echo', '--window'], /`--window` needs a value/],
    [['echo', 'extra'], /takes no arguments besides its flags/],
    [['echo', "'; DROP TABLE command_runs;--"], /takes no arguments|unknown flag/],
    [['ünïcødé💥'], /Unknown subcommand `ünïcødé💥`/],
  ])('answers bad input %j with one usage line and runs nothing', async (argv, message) => {
    const result = await registry().run(argv, slackUser, env.deps);
    expect(result.outcome).toBe('usage');
    expect(result.report.headline).toMatch(message);
    expect(result.report.headline).not.toContain('\n');
    expect(runs().at(-1)).toMatchObject({ outcome: 'usage' });
  });

  it('refuses very long input', async () => {
    const result = await registry().run(['echo', 'x'.repeat(5000)], slackUser, env.deps);
    expect(result.outcome).toBe('usage');
    expect(result.report.headline).toMatch(/at most 1000/);
  });

  it('enforces tiers: strangers may read, responders may act, the terminal is trusted', async () => {
    expect((await registry().run(['ack'], slackUser, env.deps)).outcome).toBe('denied');
    expect((await registry().run(['ack'], responder, env.deps)).outcome).toBe('ok');
    expect((await registry().run(['ack'], cli, env.deps)).outcome).toBe('ok');
  });

  it('help lists only what the caller may run', async () => {
    const stranger = await registry().helpReport(slackUser, '/atlas');
    const names = (stranger.data as { name: string }[]).map((c) => c.name);
    expect(names).toEqual(['echo', 'boom', 'locked']);
    const theirs = await registry().helpReport(responder, '/atlas');
    expect((theirs.data as { name: string }[]).map((c) => c.name)).toContain('ack');
    const one = await registry().run(['help', 'echo'], slackUser, env.deps);
    expect(one.report.headline).toBe('/atlas echo [--window 1h] [--limit N]: repeats its window');
    expect((await registry().run([], slackUser, env.deps)).report.command).toBe('help');
  });

  it('turns an unexpected error into an error id, keeping internals out of the answer', async () => {
    const result = await registry().run(['boom'], cli, env.deps);
    expect(result.outcome).toBe('error');
    expect(result.errorId).toMatch(/^[0-9a-f]{8}$/);
    expect(result.report.headline).toContain(result.errorId!);
    expect(result.report.headline).not.toContain('secret internals');
    expect(runs().at(-1)).toMatchObject({ outcome: 'error', error_id: result.errorId });
  });

  it('answers a database problem with its one sentence', async () => {
    const result = await registry().run(['locked'], cli, env.deps);
    expect(result.report.headline).toBe('metrics.db is locked by a writer; try again in a few seconds.');
  });

  it('still answers when the audit table cannot be written', async () => {
    env.deps.state.exec('DROP TABLE command_runs');
    const result = await registry().run(['echo'], cli, env.deps);
    expect(result.outcome).toBe('ok');
  });
});

describe('createAuthorizer', () => {
  it('counts members of configured user groups as responders, and survives a failing lookup', async () => {
    const config = buildConfig('/nowhere', { responders: { usergroups: ['S0ONCALL'] } });
    let calls = 0;
    let failing = false;
    const authorize = createAuthorizer(config, async (group) => {
      calls++;
      if (failing) throw new Error('slack down');
      return group === 'S0ONCALL' ? ['U0MEMBER'] : [];
    });
    expect(await authorize({ source: 'slack', userId: 'U0MEMBER' }, 'incident')).toBe(true);
    expect(await authorize({ source: 'slack', userId: 'U0OTHER' }, 'remediate')).toBe(false);
    expect(calls).toBe(1); // cached
    failing = true;
    expect(await authorize({ source: 'slack', userId: 'U0MEMBER' }, 'incident')).toBe(true);
  });
});

describe('tokenize', () => {
  it('splits words and keeps quoted phrases together', () => {
    expect(tokenize('runbook "provider outage"  --window 1h')).toEqual(['runbook', 'provider outage', '--window', '1h']);
    expect(tokenize('runbook \u201Ctiger down\u201D')).toEqual(['runbook', 'tiger down']);
    expect(tokenize('errors \u2014window 10m')).toEqual(['errors', '--window', '10m']);
    expect(tokenize('   ')).toEqual([]);
  });
});
