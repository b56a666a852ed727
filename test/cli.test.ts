import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT_CONFIG, runCli } from '../src/cli.js';
import { ingestAlert } from '../src/alerts/alert-ingest.js';
import { declareIncident } from '../src/incidents/declare.js';
import { changeOwner } from '../src/incidents/incident-changes.js';
import { startDeliveryHarness } from './helpers/delivery-harness.js';
import { createAtlasFiles, tempDir, testDeps } from './helpers/test-deps.js';

describe('atlas (terminal)', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  async function atlas(argv: string[], env: NodeJS.ProcessEnv = {}, columns?: number) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, {
      env: { ATLAS_DATA_DIR: '.shadow-atlas', ...env },
      cwd: dir,
      stdout: (s) => (stdout += s),
      stderr: (s) => (stderr += s),
      columns,
    });
    return { code, stdout, stderr };
  }

  it('prints help with exit 0', async () => {
    const { code, stdout } = await atlas(['help']);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(/^\[INFO\] atlas <subcommand>/);
    expect(stdout).toContain('atlas doctor');
  });

  it('answers an unknown subcommand with a usage line and exit 64', async () => {
    const { code, stdout } = await atlas(['frobnicate']);
    expect(code).toBe(64);
    expect(stdout).toMatch(/Unknown subcommand `frobnicate`\. Try `atlas help`/);
  });

  it('names subcommands as the terminal types them: `atlas …`, never `/atlas …`', async () => {
    const files = createAtlasFiles(path.join(dir, '.shadow-atlas'));
    files.metrics.close();
    files.persistence.close();
    const ack = await atlas(['ack', 'nosuch']);
    expect(ack.stdout).toBe('[ERROR] No alert named "nosuch". `atlas alerts` lists the firing ones.\n');
    const incidents = await atlas(['incidents']);
    expect(incidents.stdout).toContain('`atlas declare <title>` opens one.');
    const json = await atlas(['ack', 'nosuch', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ headline: 'No alert named "nosuch". `atlas alerts` lists the firing ones.' });
    const tooLong = await atlas(['health', 'x'.repeat(1200)]);
    for (const out of [ack.stdout, incidents.stdout, json.stdout, tooLong.stdout]) expect(out).not.toContain('/atlas');
  });

  it('answers help for a subcommand that does not exist with exit 64 and the closest names, not the whole help', async () => {
    const typo = await atlas(['help', 'helth']);
    expect(typo.code).toBe(64);
    expect(typo.stdout).toBe('[ERROR] There is no subcommand `helth`. Closest: `health`. Try `atlas help` for the list.\n');
    const none = await atlas(['help', 'nosuch']);
    expect(none.code).toBe(64);
    expect(none.stdout).toMatch(/^\[ERROR\] There is no subcommand `nosuch`\. Closest: `[a-z -]+`, `[a-z -]+`, `[a-z -]+`\. Try `atlas help` for the list\.\n$/);
    const part = await atlas(['help', 'rollback']);
    expect(part.stdout).toContain('Closest: `snapshot rollback`.');
    // A real subcommand still has its page.
    const real = await atlas(['help', 'health']);
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/^\[INFO\] atlas health \[--window 1h\]: /);
  });

  it('shows a flag\'s refusal whole, in one sentence naming the value and what the flag takes', async () => {
    const negative = await atlas(['health', '--window', '-5m']);
    expect(negative.code).toBe(64);
    expect(negative.stdout).toBe('[ERROR] --window: takes a duration from 1m to 30d, like 10m, 1h or 2d (got "-5m"). Usage: `atlas health [--window 1h]`\n');
    const weeks = await atlas(['oncall', '--weeks', '-2']);
    expect(weeks.stdout).toBe('[ERROR] --weeks: takes a whole number of weeks from 1 to 26 (got "-2"). Usage: `atlas oncall [@user] [--weeks N]`\n');
    const flagAfter = await atlas(['health', '--window', '--bogus']);
    expect(flagAfter.stdout).toBe('[ERROR] `--window` needs a value. Usage: `atlas health [--window 1h]`\n');
    const valued = await atlas(['alerts', '--all=yes']);
    expect(valued.stdout).toBe('[ERROR] `--all` takes no value: write `--all` alone. Usage: `atlas alerts [--all] [--explain <alert>]`\n');
    for (const out of [negative, weeks, flagAfter, valued]) {
      expect(out.stdout).not.toContain('…');
      expect(out.stdout.trim().split('\n')).toHaveLength(1);
    }
  });

  it('wraps help\'s columns to the terminal\'s width, every usage line whole; a pipe gets one line per subcommand', async () => {
    const listed = JSON.parse((await atlas(['help', '--json'])).stdout) as { data: { name: string; usage?: string }[] };
    const usages = listed.data.map((c) => `atlas ${c.name}${c.usage ? ` ${c.usage}` : ''}`);
    expect(Math.max(...usages.map((u) => u.length))).toBeGreaterThan(60);

    const narrow = await atlas(['help'], {}, 60);
    expect(narrow.code).toBe(0);
    const lines = narrow.stdout.split('\n');
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(60);
    // The first column read back from the wrapped rows: each usage line, whole (a word too long
    // for the column is broken, so the comparison is without spaces).
    const dashes = lines.findIndex((l) => /^ {2}-+ {2}-+$/.test(l));
    const firstWidth = lines[dashes]!.indexOf('  ', 2) - 2;
    const column: string[] = [];
    for (const line of lines.slice(dashes + 1)) {
      if (line.trim() === '') break;
      const cell = line.slice(2, 2 + firstWidth).trim();
      if (cell.startsWith('atlas ')) column.push(cell);
      else if (cell) column[column.length - 1] += ` ${cell}`;
    }
    const squeezed = (lines: string[]) => lines.map((l) => l.replace(/\s+/g, ''));
    expect(squeezed(column)).toEqual(squeezed(usages));

    const piped = await atlas(['help']);
    for (const usage of usages) expect(piped.stdout).toContain(`  ${usage}  `);
  });

  it('does not create a data directory that is missing, and says so', async () => {
    const { code, stdout } = await atlas(['doctor']);
    expect(code).toBe(2);
    expect(stdout).toMatch(/does not exist; set ATLAS_DATA_DIR/);
    expect(existsSync(path.join(dir, '.shadow-atlas'))).toBe(false);
  });

  it('records terminal runs in chatops.db when the data directory exists', async () => {
    const files = createAtlasFiles(path.join(dir, '.shadow-atlas'));
    files.metrics.close();
    files.persistence.close();
    const { stdout } = await atlas(['doctor', '--json']);
    const parsed = JSON.parse(stdout) as { command: string; data: { key: string }[] };
    expect(parsed.command).toBe('doctor');
    expect(parsed.data.map((d) => d.key)).toContain('state-db');
    expect(existsSync(path.join(dir, '.shadow-atlas', 'chatops.db'))).toBe(true);
  });

  it('stops on a bad config with one line and exit 78', async () => {
    writeFileSync(path.join(dir, 'atlas.config.yml'), 'thresholds:\n  activeJobs: { target: five, alert: 10 }\n');
    const { code, stderr, stdout } = await atlas(['help']);
    expect(code).toBe(EXIT_CONFIG);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/thresholds\.activeJobs\.target/);
  });
});

describe('atlas incident commands (terminal)', () => {
  it('records the incident and says its Slack messages wait for the bot', async () => {
    const t = tempDir();
    try {
      const files = createAtlasFiles(path.join(t.dir, '.shadow-atlas'));
      files.metrics.close();
      files.persistence.close();
      let stdout = '';
      const io = { env: { ATLAS_DATA_DIR: '.shadow-atlas' }, cwd: t.dir, stdout: (s: string) => (stdout += s), stderr: () => undefined };
      expect(await runCli(['declare', 'TIGER returning 503'], io)).toBe(0);
      expect(stdout).toMatch(/^\[OK\] Declared INC-\d{8}-1 \(P1/);
      expect(stdout).toMatch(/2 Slack messages queued in chatops\.db; the running bot posts them\./);
      stdout = '';
      expect(await runCli(['incidents', '--json'], io)).toBe(1);
      expect(JSON.parse(stdout)).toMatchObject({ command: 'incidents', queuedForSlack: 0 });
    } finally {
      t.cleanup();
    }
  });
});

describe('atlas alerts and ack (terminal): the same alert list as the bot', () => {
  it('lists metrics.db and webhook alerts alike, acknowledges either, and a bot started later posts the thread', async () => {
    const t = tempDir();
    try {
      const dataDir = path.join(t.dir, '.shadow-atlas');
      const files = createAtlasFiles(dataDir);
      const firedAt = new Date(Date.now() - 10 * 60_000).toISOString();
      files.metrics.prepare("INSERT INTO alerts (name, status, message, fired_at) VALUES ('provider_down', 'firing', 'Census TIGER unavailable', ?)").run(firedAt);
      files.metrics.close();
      files.persistence.close();
      writeFileSync(path.join(t.dir, 'atlas.config.yml'), 'channels:\n  incidents: C0INCIDENT\n');
      // What the running bot's webhook took lands in the same chatops.db.
      const bot = testDeps(dataDir, { file: { channels: { incidents: 'C0INCIDENT' } }, clock: () => new Date() });
      await ingestAlert(bot.deps, { name: 'ServiceDown', status: 'firing', message: 'from Alertmanager', source: 'alertmanager' });
      await bot.close();

      let stdout = '';
      const io = { env: { ATLAS_DATA_DIR: '.shadow-atlas' }, cwd: t.dir, stdout: (s: string) => (stdout += s), stderr: () => undefined };
      // The first thing typed: `ack` of the metrics.db alert finds it (the terminal brings metrics.db in before answering).
      for (const name of ['provider_down', 'ServiceDown']) {
        stdout = '';
        expect(await runCli(['ack', name], io)).toBe(0);
        expect(stdout).toMatch(/INC-\d{8}-\d/);
        expect(stdout).toMatch(/Slack messages? queued in chatops\.db; the running bot posts/);
      }
      stdout = '';
      await runCli(['alerts', '--json'], io);
      const listed = JSON.parse(stdout) as { data: { firing: { name: string; sources: string[]; acknowledged: boolean }[] } };
      expect(listed.data.firing.map((a) => [a.name, a.sources, a.acknowledged]).sort()).toEqual([
        ['ServiceDown', ['alertmanager'], true],
        ['provider_down', ['metrics-db'], true],
      ]);

      // A bot that starts now delivers what the terminal queued: the alerts' messages, now cards, and their threads.
      const later = testDeps(dataDir, { file: { channels: { incidents: 'C0INCIDENT' } }, clock: () => new Date() });
      const d = await startDeliveryHarness(later);
      try {
        await d.delivery.drain();
        const posts = d.slack.workspace.calls('chat.postMessage');
        const threadReplies = posts.filter((c) => typeof c.args.thread_ts === 'string');
        expect(posts.filter((c) => c.args.thread_ts === undefined)).toHaveLength(2);
        expect(threadReplies.length).toBeGreaterThanOrEqual(2);
        expect((await later.deps.state.alerts.firing()).every((a) => a.incident_id !== null)).toBe(true);
      } finally {
        await d.close();
        await later.close();
      }
    } finally {
      t.cleanup();
    }
  });
});

describe('atlas handoff (terminal)', () => {
  it('prints the handoff as it would be posted now, and with --markdown only the guide’s file, for a redirect', async () => {
    const t = tempDir();
    try {
      const files = createAtlasFiles(path.join(t.dir, '.shadow-atlas'));
      files.metrics.close();
      files.persistence.close();
      writeFileSync(
        path.join(t.dir, 'atlas.config.yml'),
        'channels: { handoff: C0HANDOFF }\nrotation:\n  handoff: "0 0 * * 1"\n  start: "2026-01-05"\n  primary: [U0ALICE, U0BOBBY]\n',
      );
      let stdout = '';
      const io = { env: { ATLAS_DATA_DIR: '.shadow-atlas' }, cwd: t.dir, stdout: (s: string) => (stdout += s), stderr: () => undefined };
      expect(await runCli(['handoff', '--markdown'], io)).toBe(0);
      expect(stdout).toMatch(/^# On-Call Handoff: @U0(ALICE|BOBBY) → @U0(ALICE|BOBBY)\n/);
      expect(stdout).toContain('## Active Incidents');
      expect(stdout).toContain('## Scheduled Maintenance');
      expect(stdout).not.toContain('[INFO]');
      stdout = '';
      expect(await runCli(['handoff'], io)).toBe(0);
      expect(stdout).toMatch(/^Handoff for the shift change at \d{4}-\d{2}-\d{2} 00:00 UTC, as it would be posted now\nSave it: atlas handoff --markdown > handoff-\d{8}\.md\n\n# On-Call Handoff/);
    } finally {
      t.cleanup();
    }
  });

  it('says what to set when no rotation is configured', async () => {
    const t = tempDir();
    try {
      const files = createAtlasFiles(path.join(t.dir, '.shadow-atlas'));
      files.metrics.close();
      files.persistence.close();
      let stdout = '';
      const io = { env: { ATLAS_DATA_DIR: '.shadow-atlas' }, cwd: t.dir, stdout: (s: string) => (stdout += s), stderr: () => undefined };
      expect(await runCli(['handoff'], io)).toBe(3);
      expect(stdout).toBe('[ERROR] No rotation is configured, so there is no shift change to hand off at: set `rotation.start` and `rotation.primary` in the config.\n');
    } finally {
      t.cleanup();
    }
  });
});

describe('atlas oncall with rotation.source: pagerduty (terminal)', () => {
  it('waits for PagerDuty\'s on-calls answer before saying who is on call', async () => {
    const t = tempDir();
    const api = 'https://pagerduty.cli.test';
    const day = 86_400_000;
    const iso = (ms: number) => new Date(ms).toISOString();
    const start = Date.now() - day;
    const span = (user: string, schedule: string, from: number, to: number) => ({
      user: { id: user, type: 'user_reference', summary: user },
      schedule: { id: schedule, type: 'schedule_reference' },
      escalation_level: schedule === 'PSCHEDPRI' ? 1 : 2,
      start: iso(from),
      end: iso(to),
    });
    const scope = nock(api)
      .get((uri) => uri.startsWith('/oncalls?'))
      .reply(200, { oncalls: [span('PUSRANN', 'PSCHEDPRI', start, start + 7 * day), span('PUSRBOB', 'PSCHEDPRI', start + 7 * day, start + 14 * day)], limit: 100, offset: 0, more: false });
    try {
      const files = createAtlasFiles(path.join(t.dir, '.shadow-atlas'));
      files.metrics.close();
      files.persistence.close();
      writeFileSync(path.join(t.dir, 'atlas.config.yml'), 'rotation:\n  source: pagerduty\npagerduty:\n  schedules: { primary: PSCHEDPRI }\n  users: { PUSRANN: U0ANN, PUSRBOB: U0BOB }\n');
      let stdout = '';
      const io = { env: { ATLAS_DATA_DIR: '.shadow-atlas', PAGERDUTY_TOKEN: 'u+abcdefghijklmnop', PAGERDUTY_API_URL: api }, cwd: t.dir, stdout: (s: string) => (stdout += s), stderr: (s: string) => (stdout += s) };
      expect(await runCli(['oncall'], io), stdout).toBe(0);
      expect(stdout).toMatch(/^\[INFO\] On call now: primary @U0ANN/);
      expect(scope.isDone()).toBe(true);
    } finally {
      nock.cleanAll();
      t.cleanup();
    }
  });
});

describe('atlas timeline and incidents (terminal): people by name, not <@U…>', () => {
  it('names the people the bot has kept a name for, and shows the ID of anyone it has not', async () => {
    const t = tempDir();
    try {
      const dataDir = path.join(t.dir, '.shadow-atlas');
      const files = createAtlasFiles(dataDir);
      files.metrics.close();
      files.persistence.close();
      const bot = testDeps(dataDir, { clock: () => new Date() });
      const { incident } = await declareIncident(bot.deps, { title: 'TIGER returning 503', actorId: 'U0ONCALL1' });
      await changeOwner(bot.deps, incident.id, 'U0ONCALL2', 'U0ONCALL1');
      // users.info answered for one of them while the bot ran; the other was never asked.
      await bot.deps.state.transaction(async (tx) => await tx.people.put('U0ONCALL1', 'Alice Example', new Date()));
      await bot.close();

      let stdout = '';
      const io = { env: { ATLAS_DATA_DIR: '.shadow-atlas' }, cwd: t.dir, stdout: (s: string) => (stdout += s), stderr: () => undefined };
      expect(await runCli(['timeline', incident.id], io)).toBe(0);
      expect(stdout).toContain('Alice Example');
      expect(stdout).not.toContain('<@');
      expect(stdout).not.toContain('U0ONCALL1');
      // Never asked: the ID is all there is.
      expect(stdout).toContain('U0ONCALL2');
      const lines = stdout.split('\n');
      expect(lines.some((l) => / · Alice Example · /.test(l))).toBe(true);

      stdout = '';
      await runCli(['incidents'], io);
      expect(stdout).not.toContain('<@');
      expect(stdout).toContain('U0ONCALL2');

      // --json is for programs: the data keeps the IDs.
      stdout = '';
      await runCli(['timeline', incident.id, '--json'], io);
      expect(JSON.stringify(JSON.parse(stdout).data)).toContain('U0ONCALL1');
    } finally {
      t.cleanup();
    }
  });
});
