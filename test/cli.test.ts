import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT_CONFIG, runCli } from '../src/cli.js';
import { ingestAlert } from '../src/alerts/alert-ingest.js';
import { startDeliveryHarness } from './helpers/delivery-harness.js';
import { createAtlasFiles, tempDir, testDeps } from './helpers/test-deps.js';

describe('atlas (terminal)', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  async function atlas(argv: string[], env: NodeJS.ProcessEnv = {}) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, {
      env: { ATLAS_DATA_DIR: '.shadow-atlas', ...env },
      cwd: dir,
      stdout: (s) => (stdout += s),
      stderr: (s) => (stderr += s),
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
      ingestAlert(bot.deps, { name: 'ServiceDown', status: 'firing', message: 'from Alertmanager', source: 'alertmanager' });
      bot.close();

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
        expect(later.deps.state.alerts.firing().every((a) => a.incident_id !== null)).toBe(true);
      } finally {
        await d.close();
        later.close();
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
