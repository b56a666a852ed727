import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { defineCommand, limitArg, noPositionals, windowArg, type Actor } from '../../src/commands/command-spec.js';
import { ALL_COMMANDS } from '../../src/commands/index.js';
import { CommandRegistry } from '../../src/commands/registry.js';
import { tokenize } from '../../src/commands/tokenize.js';
import { buildConfig } from '../../src/config.js';
import { DbProblemError } from '../../src/db/sqlite-problem.js';
import { allowEveryone } from '../helpers/authorizers.js';
import { tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';

const cli: Actor = { source: 'cli', userId: 'tester' };
const slackUser: Actor = { source: 'slack', userId: 'U0STRANGER', channelId: 'C0INCIDENT' };
const responder: Actor = { source: 'slack', userId: 'U0RESPOND', channelId: 'C0INCIDENT' };

let ran: unknown[] = [];

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
    run: async (args) => {
      ran.push(args);
      return { command: 'ack', level: 'ok', headline: 'acknowledged', sections: [] };
    },
  }),
  defineCommand({
    name: 'press',
    summary: 'stands behind a button',
    usage: '<id> [--minutes N]',
    tier: 'incident',
    hidden: true,
    args: z.object({ _: z.tuple([z.string().regex(/^\d+$/)]), minutes: z.string().regex(/^\d+$/).optional() }),
    run: async (args) => {
      ran.push(args);
      return { command: 'press', level: 'ok', headline: 'pressed', sections: [] };
    },
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
  let env: TestEnv;
  let cleanup: () => void;
  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    ran = [];
    env = testDeps(path.join(t.dir, '.shadow-atlas'), { file: { responders: { users: ['U0RESPOND'] } } });
  });
  afterEach(async () => {
    await env.close();
    cleanup();
  });
  const registry = () => new CommandRegistry(specs, createAuthorizer(env.deps.config));
  const runs = () => env.db.prepare('SELECT * FROM command_runs ORDER BY id').all() as Record<string, unknown>[];

  it('runs a command with validated arguments and audits it', async () => {
    const result = await registry().run(['echo', '--window', '10m', '--limit', '5'], slackUser, env.deps);
    expect(result.report.headline).toBe('window 600000 limit 5');
    expect(runs()).toMatchObject([
      { source: 'slack', via: 'command', user_id: 'U0STRANGER', channel_id: 'C0INCIDENT', command: 'echo', outcome: 'ok', args: '["--window","10m","--limit","5"]' },
    ]);
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
    expect(runs()).toHaveLength(1);
    expect(runs()[0]).toMatchObject({ outcome: 'usage' });
  });

  it('refuses very long input', async () => {
    const result = await registry().run(['echo', 'x'.repeat(5000)], slackUser, env.deps);
    expect(result.outcome).toBe('usage');
    expect(result.report.headline).toMatch(/at most 1000/);
    expect(runs()).toMatchObject([{ command: '(too long)', outcome: 'usage' }]);
  });

  it('enforces tiers: strangers may read, responders may act, the terminal is trusted', async () => {
    const denied = await registry().run(['ack'], slackUser, env.deps);
    expect(denied.outcome).toBe('denied');
    expect(denied.report.headline).toBe("`ack` is for responders; ask the on-call lead to add you in the bot's config.");
    expect(ran).toEqual([]);
    expect((await registry().run(['ack'], responder, env.deps)).outcome).toBe('ok');
    expect((await registry().run(['ack'], cli, env.deps)).outcome).toBe('ok');
    expect(runs().map((r) => [r.user_id, r.via, r.outcome])).toEqual([
      ['U0STRANGER', 'command', 'denied'],
      ['U0RESPOND', 'command', 'ok'],
      ['tester', 'terminal', 'ok'],
    ]);
  });

  it('help lists only what the caller may run, and never the hidden commands', async () => {
    const stranger = await registry().helpReport(slackUser, '/atlas');
    const names = (stranger.data as { name: string }[]).map((c) => c.name);
    expect(names).toEqual(['echo', 'boom', 'locked']);
    const theirs = await registry().helpReport(responder, '/atlas');
    expect((theirs.data as { name: string }[]).map((c) => c.name)).toEqual(['echo', 'ack', 'boom', 'locked']);
    const one = await registry().run(['help', 'echo'], slackUser, env.deps);
    expect(one.report.headline).toBe('/atlas echo [--window 1h] [--limit N]: repeats its window');
    // A hidden command has no help page of its own: the list again.
    const hidden = await registry().run(['help', 'press'], responder, env.deps);
    expect(hidden.report.headline).toBe('/atlas <subcommand>: 4 subcommands you can run');
    expect((await registry().run([], slackUser, env.deps)).report.command).toBe('help');
  });

  it('hides ack-details, attach, snooze and share from help, and lists resolve-alerts', async () => {
    const all = new CommandRegistry(ALL_COMMANDS, allowEveryone);
    expect(ALL_COMMANDS.filter((s) => s.hidden).map((s) => s.name).sort()).toEqual(['ack-details', 'attach', 'confirm', 'debrief-done', 'handoff-notes', 'handoff-post', 'share', 'snooze']);
    const listed = ((await all.helpReport(responder, '/atlas')).data as { name: string }[]).map((c) => c.name);
    expect(listed).toContain('resolve-alerts');
    for (const name of ['ack-details', 'attach', 'snooze', 'share', 'handoff-notes', 'handoff-post']) expect(listed).not.toContain(name);
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
    env.db.exec('DROP TABLE command_runs');
    const result = await registry().run(['echo'], cli, env.deps);
    expect(result.outcome).toBe('ok');
  });

  describe('invoke: a button or a form standing for a command', () => {
    const pressed = (via: 'button' | 'modal', userId = 'U0RESPOND', channelId = 'C0INCIDENT'): Actor => ({ source: 'slack', userId, channelId, via });

    it('validates with the same schema, authorizes with the same tier and writes one audit row with its surface', async () => {
      const ok = await registry().invoke('press', { _: ['42'], minutes: '30' }, pressed('button'), env.deps);
      expect(ok).toMatchObject({ outcome: 'ok', report: { headline: 'pressed' } });
      expect(ran).toEqual([{ _: ['42'], minutes: '30' }]);
      const denied = await registry().invoke('press', { _: ['42'] }, pressed('modal', 'U0STRANGER'), env.deps);
      expect(denied.outcome).toBe('denied');
      expect(denied.report.headline).toBe("`press` is for responders; ask the on-call lead to add you in the bot's config.");
      expect(ran).toHaveLength(1);
      expect(runs().map((r) => [r.command, r.via, r.user_id, r.outcome, r.args])).toEqual([
        ['press', 'button', 'U0RESPOND', 'ok', '["42","--minutes","30"]'],
        ['press', 'modal', 'U0STRANGER', 'denied', '["42"]'],
      ]);
    });

    it('refuses arguments its schema does not take, as a usage error, running nothing', async () => {
      const bad = await registry().invoke('press', { _: ['DROP TABLE timers'] }, pressed('button'), env.deps);
      expect(bad.outcome).toBe('usage');
      expect(bad.report.headline).toMatch(/^That could not be read \(/);
      expect(ran).toEqual([]);
      expect(runs()).toMatchObject([{ command: 'press', via: 'button', outcome: 'usage' }]);
    });

    it('throws for a command the registry does not have (a programming error, not input)', async () => {
      await expect(registry().invoke('nope', { _: [] }, pressed('button'), env.deps)).rejects.toThrow(/no subcommand nope/);
    });

    it('runs the hidden command typed as well, through the same tier', async () => {
      expect((await registry().run(['press', '7'], slackUser, env.deps)).outcome).toBe('denied');
      expect((await registry().run(['press', '7'], responder, env.deps)).outcome).toBe('ok');
    });
  });
});

describe('CommandRegistry: subcommands of more than one word', () => {
  let env: TestEnv;
  let cleanup: () => void;
  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    ran = [];
    env = testDeps(path.join(t.dir, '.shadow-atlas'), { file: { responders: { users: ['U0RESPOND'] } } });
  });
  afterEach(async () => {
    await env.close();
    cleanup();
  });

  const family = [
    defineCommand({
      name: 'shift',
      summary: 'who is on shift',
      usage: '[who]',
      tier: 'read',
      args: z.object({ _: z.array(z.string()).max(1) }),
      run: async (args) => {
        ran.push(['shift', args]);
        return { command: 'shift', level: 'info', headline: 'on shift', sections: [] };
      },
    }),
    defineCommand({
      name: 'shift cover',
      summary: 'someone covers a shift',
      usage: '<who> --until <when>',
      tier: 'incident',
      options: { until: { type: 'string' } },
      args: z.object({ _: z.array(z.string()).length(1, { message: 'takes one person' }), until: z.string({ error: 'needed' }) }),
      run: async (args) => {
        ran.push(['shift cover', args]);
        return { command: 'shift cover', level: 'ok', headline: 'covered', sections: [] };
      },
    }),
    defineCommand({
      name: 'shift uncover',
      summary: 'undo a cover',
      usage: '<id>',
      tier: 'incident',
      args: z.object({ _: z.tuple([z.string()]) }),
      run: async (args) => {
        ran.push(['shift uncover', args]);
        return { command: 'shift uncover', level: 'ok', headline: 'uncovered', sections: [] };
      },
    }),
  ];
  const registry = () => new CommandRegistry([...specs, ...family], createAuthorizer(env.deps.config));
  const runs = () => env.db.prepare('SELECT command, args, outcome FROM command_runs ORDER BY id').all() as Record<string, unknown>[];

  it('picks the longest name the first words match, case-insensitive, and passes on only the words after it', async () => {
    const r = registry();
    expect(r.parse(['shift', 'cover', 'ann', '--until', '2h'])).toMatchObject({ kind: 'ok', spec: { name: 'shift cover' }, args: { _: ['ann'], until: '2h' }, rest: ['ann', '--until', '2h'] });
    expect(r.parse(['SHIFT', 'Cover', 'ann', '--until', '2h'])).toMatchObject({ kind: 'ok', spec: { name: 'shift cover' } });
    expect(r.parse(['shift', 'ann'])).toMatchObject({ kind: 'ok', spec: { name: 'shift' }, args: { _: ['ann'] } });
    expect(r.parse(['shift'])).toMatchObject({ kind: 'ok', spec: { name: 'shift' }, args: { _: [] } });
    // A second word that names no subcommand is the shorter command's argument.
    expect(r.parse(['shift', 'coverage'])).toMatchObject({ kind: 'ok', spec: { name: 'shift' }, args: { _: ['coverage'] } });
    expect(r.parse(['shifts', 'cover'])).toEqual({ kind: 'unknown', name: 'shifts' });
    expect(r.get('shift cover')?.tier).toBe('incident');
  });

  it('runs, authorizes and audits each by its whole name, with its own tier', async () => {
    expect((await registry().run(['shift', 'cover', 'ann', '--until', '2h'], responder, env.deps)).report.headline).toBe('covered');
    const denied = await registry().run(['shift', 'cover', 'ann', '--until', '2h'], slackUser, env.deps);
    expect(denied).toMatchObject({ outcome: 'denied', report: { command: 'shift cover', headline: "`shift cover` is for responders; ask the on-call lead to add you in the bot's config." } });
    expect((await registry().run(['shift', 'ann'], slackUser, env.deps)).outcome).toBe('info');
    expect(ran).toEqual([
      ['shift cover', { _: ['ann'], until: '2h' }],
      ['shift', { _: ['ann'] }],
    ]);
    expect(runs()).toEqual([
      { command: 'shift cover', args: '["ann","--until","2h"]', outcome: 'ok' },
      { command: 'shift cover', args: '["ann","--until","2h"]', outcome: 'denied' },
      { command: 'shift', args: '["ann"]', outcome: 'info' },
    ]);
  });

  it('answers bad input with the usage line of the subcommand that was meant', async () => {
    const missing = await registry().run(['shift', 'cover', 'ann'], responder, env.deps);
    expect(missing.outcome).toBe('usage');
    expect(missing.report.headline).toBe('--until: needed. Usage: `/atlas shift cover <who> --until <when>`');
    const flag = await registry().run(['shift', 'uncover', '7', '--until', '2h'], responder, env.deps);
    expect(flag.report.headline).toBe('unknown flag `--until`. Usage: `/atlas shift uncover <id>`');
    expect(runs()).toEqual([
      { command: 'shift cover', args: '["ann"]', outcome: 'usage' },
      { command: 'shift uncover', args: '["7","--until","2h"]', outcome: 'usage' },
    ]);
    expect(ran).toEqual([]);
  });

  it('gives each its own help page, lists the family under the first word for those who may run it, and takes --help after the whole name', async () => {
    const r = registry();
    expect((await r.run(['help', 'shift', 'cover'], slackUser, env.deps)).report).toMatchObject({
      headline: '/atlas shift cover <who> --until <when>: someone covers a shift',
      data: { name: 'shift cover', tier: 'incident' },
    });
    expect((await r.run(['shift', 'uncover', '--help'], slackUser, env.deps)).report.headline).toBe('/atlas shift uncover <id>: undo a cover');
    const forResponder = await r.run(['help', 'SHIFT'], responder, env.deps);
    expect(forResponder.report.headline).toBe('/atlas shift [who]: who is on shift');
    expect(forResponder.report.sections).toEqual([
      { title: 'Also', lines: ['/atlas shift cover <who> --until <when>: someone covers a shift', '/atlas shift uncover <id>: undo a cover'] },
    ]);
    expect((await r.run(['help', 'shift'], slackUser, env.deps)).report.sections).toEqual([]);
    const list = await r.helpReport(responder, 'atlas');
    expect((list.data as { name: string }[]).map((c) => c.name)).toEqual(['echo', 'ack', 'boom', 'locked', 'shift', 'shift cover', 'shift uncover']);
    expect(((await r.helpReport(slackUser, 'atlas')).data as { name: string }[]).map((c) => c.name)).not.toContain('shift cover');
    expect(runs().map((row) => [row.command, row.args])).toEqual([
      ['help', '["shift","cover"]'],
      ['help', '["--help"]'],
      ['help', '["SHIFT"]'],
      ['help', '["shift"]'],
    ]);
  });

  it('invokes a subcommand of several words by its name, as a button or form would', async () => {
    const pressed: Actor = { source: 'slack', userId: 'U0RESPOND', channelId: 'C0INCIDENT', via: 'button' };
    expect((await registry().invoke('shift uncover', { _: ['7'] }, pressed, env.deps)).report.headline).toBe('uncovered');
    expect(runs()).toEqual([{ command: 'shift uncover', args: '["7"]', outcome: 'ok' }]);
  });

  it('refuses names that are not lowercase words with one space between them', () => {
    for (const name of ['Shift cover', 'shift  cover', ' shift', 'shift cover ', 'shift\tcover']) {
      expect(() => new CommandRegistry([{ ...family[1]!, name }], allowEveryone)).toThrow(/lowercase words/);
    }
  });

  it('finds the real oncall family: `oncall` reads, `oncall cover` and `oncall uncover` act', () => {
    const all = new CommandRegistry(ALL_COMMANDS, allowEveryone);
    expect(all.parse(['oncall', 'cover', '<@U0ANN|ann>', '--role', 'primary', '--until', '2h'])).toMatchObject({ kind: 'ok', spec: { name: 'oncall cover', tier: 'incident' } });
    expect(all.parse(['oncall', 'uncover', '12'])).toMatchObject({ kind: 'ok', spec: { name: 'oncall uncover', tier: 'incident' }, args: { id: 12 } });
    expect(all.parse(['oncall', '<@U0ANN>'])).toMatchObject({ kind: 'ok', spec: { name: 'oncall', tier: 'read' }, args: { user: 'U0ANN' } });
  });
});

describe('createAuthorizer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const stranger = (channelId?: string): Actor => ({ source: 'slack', userId: 'U0OTHER', ...(channelId ? { channelId } : {}) });
  const member = (channelId?: string): Actor => ({ source: 'slack', userId: 'U0MEMBER', ...(channelId ? { channelId } : {}) });

  it('counts members of configured user groups as responders, caches for five minutes, and keeps a stale answer when Slack fails', async () => {
    const config = buildConfig('/nowhere', { responders: { usergroups: ['S0ONCALL'] } });
    let calls = 0;
    let failing = false;
    let now = 1_000_000;
    const authorizer = createAuthorizer(
      config,
      async (group) => {
        calls++;
        if (failing) throw new Error('slack down');
        return group === 'S0ONCALL' ? ['U0MEMBER'] : [];
      },
      () => now,
    );
    expect(await authorizer.decide(member(), 'incident', 'ack')).toEqual({ allowed: true });
    // Remediators default to the responders (their user groups too), and say who may and where.
    expect(await authorizer.decide(stranger(), 'remediate', 'backup')).toEqual({
      allowed: false,
      reason: '`backup` changes Shadow Atlas data: it may be run by <!subteam^S0ONCALL>, in a DM with the bot.',
    });
    expect(await authorizer.decide(member(), 'remediate', 'backup')).toEqual({ allowed: true });
    expect(calls).toBe(1); // cached
    now += 5 * 60_000 + 1;
    failing = true;
    expect(await authorizer.decide(member(), 'incident', 'ack')).toEqual({ allowed: true });
    expect(calls).toBe(2);
    // Anyone may read; the terminal is trusted; neither asks Slack.
    expect(await authorizer.decide(stranger(), 'read', 'health')).toEqual({ allowed: true });
    expect(await authorizer.decide({ source: 'cli', userId: 'alice' }, 'incident', 'ack')).toEqual({ allowed: true });
    expect(calls).toBe(2);
  });

  it('warm() loads the user groups ahead of the first request', async () => {
    const config = buildConfig('/nowhere', { responders: { usergroups: ['S0ONCALL', 'S0LEADS'] } });
    const asked: string[] = [];
    const authorizer = createAuthorizer(config, async (group) => {
      asked.push(group);
      return group === 'S0LEADS' ? ['U0MEMBER'] : [];
    });
    authorizer.warm();
    expect(asked).toEqual(['S0ONCALL', 'S0LEADS']);
    expect(await authorizer.decide(member(), 'incident', 'ack')).toEqual({ allowed: true });
    expect(asked).toHaveLength(2);
  });

  it('limits the incident tier to responders.channels and DMs, and says where', async () => {
    const config = buildConfig('/nowhere', { responders: { users: ['U0MEMBER'], channels: ['C0INCIDENT', 'C0WAROOM'] } });
    // As Slack answers through conversations.open: U0MEMBER's IM with the bot is D0DIRECT1.
    const authorizer = createAuthorizer(config, undefined, undefined, undefined, async (user, channel) => user === 'U0MEMBER' && channel === 'D0DIRECT1');
    expect(await authorizer.decide(member('C0INCIDENT'), 'incident', 'ack')).toEqual({ allowed: true });
    expect(await authorizer.decide(member('D0DIRECT1'), 'incident', 'ack')).toEqual({ allowed: true });
    // A DM between two people is a D… channel too, but not the bot's.
    expect(await authorizer.decide(member('D0BETWEEN2'), 'incident', 'ack')).toMatchObject({ allowed: false, reason: expect.stringContaining('runs in <#C0INCIDENT>, <#C0WAROOM> or a DM with the bot') });
    // Without a way to ask Slack, a D… channel is no DM with the bot; when Slack does not say, refused in one sentence.
    expect((await createAuthorizer(config).decide(member('D0DIRECT1'), 'incident', 'ack')).allowed).toBe(false);
    expect(await createAuthorizer(config, undefined, undefined, undefined, async () => null).decide(member('D0DIRECT1'), 'incident', 'ack')).toEqual({
      allowed: false,
      reason: 'Slack did not confirm in time that this is your DM with the bot; try `ack` again in a moment, or in <#C0INCIDENT> or <#C0WAROOM>.',
    });
    const elsewhere = { allowed: false, reason: '`resolve` runs in <#C0INCIDENT>, <#C0WAROOM> or a DM with the bot, where the team sees it.' };
    expect(await authorizer.decide(member('C0RANDOM'), 'incident', 'resolve')).toEqual(elsewhere);
    // No channel at all (a form that lost it) is not one of the channels either.
    expect(await authorizer.decide(member(), 'incident', 'resolve')).toEqual(elsewhere);
    // Reading is anywhere; the channel rule is checked before membership, so a stranger learns where, not who.
    expect(await authorizer.decide(stranger('C0RANDOM'), 'read', 'health')).toEqual({ allowed: true });
    expect((await authorizer.decide(stranger('C0RANDOM'), 'incident', 'ack')).allowed).toBe(false);
    expect(await authorizer.decide(stranger('C0INCIDENT'), 'incident', 'ack')).toMatchObject({ reason: expect.stringContaining('is for responders') });
    // Without responders.channels, any channel will do.
    const anywhere = createAuthorizer(buildConfig('/nowhere', { responders: { users: ['U0MEMBER'] } }));
    expect(await anywhere.decide(member('C0RANDOM'), 'incident', 'ack')).toEqual({ allowed: true });
  });

  it('waits at most 1.5 s for a user group lookup, then says to try again (nothing cached), and uses the late answer next time', async () => {
    vi.useFakeTimers();
    const config = buildConfig('/nowhere', { responders: { usergroups: ['S0ONCALL'] } });
    let answer: (users: string[]) => void = () => {};
    const authorizer = createAuthorizer(config, () => new Promise<string[]>((resolve) => (answer = resolve)));
    let decided: unknown;
    const pending = authorizer.decide(member('C0INCIDENT'), 'incident', 'update').then((d) => (decided = d));
    await vi.advanceTimersByTimeAsync(1499);
    expect(decided).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await pending;
    expect(decided).toEqual({
      allowed: false,
      reason: "Slack did not say in time whether you are in the responders' user group; try `update` again in a moment.",
    });
    answer(['U0MEMBER']);
    await vi.advanceTimersByTimeAsync(0);
    expect(await authorizer.decide(member('C0INCIDENT'), 'incident', 'update')).toEqual({ allowed: true });
  });

  it('keeps a cached answer when a refresh is slow', async () => {
    vi.useFakeTimers();
    const config = buildConfig('/nowhere', { responders: { usergroups: ['S0ONCALL'] } });
    let now = 0;
    let slow = false;
    const authorizer = createAuthorizer(config, () => (slow ? new Promise<string[]>(() => {}) : Promise.resolve(['U0MEMBER'])), () => now);
    expect(await authorizer.decide(member(), 'incident', 'ack')).toEqual({ allowed: true });
    now += 6 * 60_000;
    slow = true;
    const decided = authorizer.decide(member(), 'incident', 'ack');
    await vi.advanceTimersByTimeAsync(1500);
    expect(await decided).toEqual({ allowed: true });
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
