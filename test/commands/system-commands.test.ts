import { allowEveryone } from '../helpers/authorizers.js';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/commands/command-spec.js';
import { CommandRegistry } from '../../src/commands/registry.js';
import { systemCommands } from '../../src/commands/system-commands.js';
import { renderPlainText } from '../../src/templates/plain-text.js';
import { buildDatabase, corruptPages } from '../db/integrity-fixtures.js';
import { createAtlasFiles, tempDir, testDeps } from '../helpers/test-deps.js';

const cli: Actor = { source: 'cli', userId: 't' };
const slack: Actor = { source: 'slack', userId: 'U123', channelId: 'C123' };
const registry = new CommandRegistry(systemCommands, allowEveryone);

const file = {
  providers: [
    { name: 'Census TIGER', url: 'https://tiger.test/MapServer/17?f=json' },
    { name: 'ArcGIS Hub', url: 'https://hub.test/api/v3/datasets' },
  ],
  runbooks: { 'upstream-failure': 'https://wiki.example/upstream' },
};

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterAll(() => {
  nock.enableNetConnect();
});

describe('system commands', () => {
  let tmp: ReturnType<typeof tempDir>;
  let ctx: ReturnType<typeof testDeps>;

  beforeEach(() => {
    tmp = tempDir();
    const files = createAtlasFiles(tmp.dir);
    const insert = files.metrics.prepare("INSERT INTO metrics (type, value, labels_json, recorded_at) VALUES ('health_check', ?, ?, ?)");
    insert.run(0, '{"provider":"Census TIGER"}', '2026-11-26 11:40:00');
    insert.run(1, '{"provider":"ArcGIS Hub"}', '2026-11-26T11:41:00.000Z');
    files.metrics.close();
    files.persistence.close();
    ctx = testDeps(tmp.dir, { file });
  });
  afterEach(async () => {
    nock.cleanAll();
    await ctx.close();
    tmp.cleanup();
  });

  const run = (argv: string[], actor: Actor = cli) => registry.run(argv, actor, ctx.deps);

  it('declares the commands as read-only, with integrity and providers marked slow', () => {
    expect(systemCommands.map((c) => [c.name, c.tier, Boolean(c.slow)])).toEqual([
      ['integrity', 'read', true],
      ['disk', 'read', false],
      ['providers', 'read', true],
      ['runbook', 'read', false],
      ['severity', 'read', false],
    ]);
  });

  describe('integrity', () => {
    it('checks both databases by default', async () => {
      const { report, outcome } = await run(['integrity']);
      expect(outcome).toBe('ok');
      expect(report.headline).toMatch(/^persistence\.db: ok \(integrity_check \d+ ms\); metrics\.db: ok \(integrity_check \d+ ms\)$/);
      expect(renderPlainText(report)).toContain('persistence.db  integrity_check  ok');
    });

    it('checks one file, quick when asked', async () => {
      const { report } = await run(['integrity', 'METRICS', '--quick']);
      expect(report.headline).toMatch(/^metrics\.db: ok \(quick_check \d+ ms\)$/);
      expect(report.footer).toContain('`atlas integrity` runs the full check');
    });

    it('reports a corrupt file: problem count and the first problem, and the runbook', async () => {
      rmSync(path.join(tmp.dir, 'metrics.db'));
      buildDatabase(path.join(tmp.dir, 'metrics.db'));
      corruptPages(path.join(tmp.dir, 'metrics.db'), [5, 10, 20]);
      const { report, outcome } = await run(['integrity', 'metrics'], slack);
      expect(outcome).toBe('crit');
      expect(report.headline).toMatch(/^metrics\.db: \d+\+? problems, first: Tree \d+ page \d+/);
      expect(report.sections[1]?.lines?.length).toBeGreaterThan(1);
      expect(report.footer).toContain('`/atlas runbook data-corruption`');
    });

    it('reports a file that is not a database, and a missing one, without crashing', async () => {
      writeFileSync(path.join(tmp.dir, 'metrics.db'), 'not sqlite at all');
      rmSync(path.join(tmp.dir, 'persistence.db'));
      rmSync(path.join(tmp.dir, 'persistence.db-wal'), { force: true });
      rmSync(path.join(tmp.dir, 'persistence.db-shm'), { force: true });
      const { report, outcome } = await run(['integrity']);
      expect(outcome).toBe('crit');
      expect(report.headline).toMatch(/^persistence\.db not found at .*; metrics\.db is not a readable SQLite database/);
      // The bot still answers the next command.
      expect((await run(['severity'])).outcome).toBe('info');
    });

    it('refuses other targets with a usage message', async () => {
      for (const argv of [['integrity', 'chatops'], ['integrity', "'; DROP TABLE jobs;--"], ['integrity', 'metrics', 'persistence'], ['integrity', '--full']]) {
        const { report, outcome } = await run(argv);
        expect(outcome, argv.join(' ')).toBe('usage');
        expect(report.headline).toContain('Usage: `atlas integrity [persistence|metrics|all] [--quick]`');
      }
    });
  });

  describe('disk', () => {
    it('answers with the usage %, its level and the free space', async () => {
      const { report } = await run(['disk']);
      expect(report.headline).toMatch(/^disk \d+(\.\d)? % used: (ok|warn|crit) \(\d+(\.\d)? [KMGTP]?B free\)/);
      expect(renderPlainText(report)).toContain('persistence.db');
    });

    it('takes no arguments', async () => {
      expect((await run(['disk', 'now'])).outcome).toBe('usage');
    });
  });

  describe('providers', () => {
    it('puts the failing provider first, the working ones after, with availability', async () => {
      nock('https://tiger.test').get('/MapServer/17').query({ f: 'json' }).reply(503);
      nock('https://hub.test').get('/api/v3/datasets').reply(200, '[]');
      const { report, outcome } = await run(['providers'], slack);
      expect(outcome).toBe('crit');
      expect(report.headline).toMatch(/^Census TIGER down \(HTTP 503\), ArcGIS Hub ok \(\d+ ms\)$/);
      const text = renderPlainText(report);
      expect(text).toContain('0 % (1)');
      expect(text).toContain('100 % (1)');
      expect(text).toMatch(/Census TIGER: 503: .*wait and retry/);
      expect(report.footer).toContain('`/atlas runbook provider outage`');
    });

    it('is ok when every provider answers', async () => {
      nock('https://tiger.test').get('/MapServer/17').query(true).reply(200, '{}');
      nock('https://hub.test').get('/api/v3/datasets').reply(200, '[]');
      const { report, outcome } = await run(['providers']);
      // TIGER answers but had 0 % availability in the last hour: a warning, not ok.
      expect(outcome).toBe('warn');
      expect(report.headline).toMatch(/^Census TIGER ok \(\d+ ms\), only 0 % available in the last 1 h, ArcGIS Hub ok \(\d+ ms\)$/);
    });
  });

  describe('runbook and severity', () => {
    it('gives the runbook as bot subcommands with the configured link', async () => {
      const { report } = await run(['runbook', 'tiger', 'down'], slack);
      expect(report.headline).toBe('provider outage → P1, respond within 1 h: Upstream provider failure runbook');
      expect(report.sections[0]?.lines?.[0]).toMatch(/^1\. `\/atlas providers`: /);
      expect(report.footer).toBe('Full runbook: https://wiki.example/upstream');
    });

    it('uses the terminal prefix in the terminal', async () => {
      const { report } = await run(['runbook', 'corrupt', 'db']);
      expect(report.headline).toMatch(/^database corruption → P0, respond within 15 min/);
      expect(report.sections[0]?.lines?.join('\n')).toContain('`atlas integrity all`');
      expect(report.sections[0]?.lines?.join('\n')).not.toContain('/atlas');
    });

    it('needs a symptom, and lists the known ones for an unknown one', async () => {
      const empty = await run(['runbook']);
      expect(empty.outcome).toBe('usage');
      expect(empty.report.headline).toContain('name a symptom');
      const unknown = await run(['runbook', 'coffee', '`<!channel>`']);
      expect(unknown.outcome).toBe('info');
      expect(unknown.report.headline).toMatch(/^No known symptom matches "coffee '<!channel>'"/);
      expect(unknown.report.sections[0]?.table?.rows.length).toBeGreaterThan(10);
    });

    it('answers the severity of a symptom in one line', async () => {
      const { report } = await run(['severity', 'provider', 'outage']);
      expect(report.headline).toBe('provider outage → P1, respond within 1 h');
      expect(report.sections[1]?.lines).toEqual([
        'secondary on-call if not acknowledged after 2 h',
        'tech lead if unresolved after 2 h',
        'hand the incident over if it runs past 4 h',
      ]);
      const breach = await run(['severity', 'security', 'breach']);
      expect(breach.report.sections[1]?.lines?.[0]).toBe('CTO and security: at once');
    });

    it('shows the whole matrix without a symptom', async () => {
      const { report, outcome } = await run(['severity']);
      expect(outcome).toBe('info');
      expect(report.headline).toBe('severity matrix: respond within P0 15 min, P1 1 h, P2 4 h, P3 next business day');
      const text = renderPlainText(report);
      expect(text).toContain('all proofs failing');
      expect(text).toMatch(/P0\s+outage or data loss in progress\s+15 min\s+every 30–60 min\s+tech lead 30 min, CTO 1 h/);
    });

    it('records each run in the audit table', async () => {
      await run(['severity', 'tiger', 'down']);
      const row = ctx.db.prepare("SELECT command, outcome, summary FROM command_runs WHERE command = 'severity'").get();
      expect(row).toEqual({ command: 'severity', outcome: 'info', summary: 'provider outage → P1, respond within 1 h' });
    });
  });
});
