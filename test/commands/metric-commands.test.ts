import { allowEveryone } from '../helpers/authorizers.js';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/commands/command-spec.js';
import { metricCommands } from '../../src/commands/metric-commands.js';
import { CommandRegistry } from '../../src/commands/registry.js';
import type { ErrorTriage } from '../../src/checks/error-triage.js';
import type { MetricsSummary } from '../../src/checks/metrics-summary.js';
import { toSqlTime } from '../../src/time/atlas-time.js';
import { openMetricsFixture, type MetricsFixture } from '../helpers/metrics-fixture.js';
import { tempDir, testDeps, TEST_NOW } from '../helpers/test-deps.js';

const NOW = new Date(TEST_NOW);
const MIN = 60_000;
const ACTOR: Actor = { source: 'cli', userId: 't' };

let fx: MetricsFixture;
let writer: Database.Database;
let env: ReturnType<typeof testDeps>;
let registry: CommandRegistry;

function insert(type: string, labels: object, minutesAgo: number, times = 1): void {
  const d = new Date(NOW.getTime() - minutesAgo * MIN);
  const formats = [toSqlTime(d), d.toISOString(), `${d.toISOString().slice(0, 19)}Z`];
  const stmt = writer.prepare('INSERT INTO metrics (type, value, labels_json, recorded_at) VALUES (?, 1, ?, ?)');
  for (let i = 0; i < times; i += 1) stmt.run(type, JSON.stringify(labels), formats[i % 3]);
}

beforeEach(() => {
  fx = openMetricsFixture();
  writer = fx.writer;
  env = testDeps(fx.dir);
  registry = new CommandRegistry(metricCommands, allowEveryone);
});

afterEach(async () => {
  await env.close();
  fx.close();
});

describe('errors', () => {
  it('defaults to the last 10 minutes', async () => {
    insert('extraction_success', {}, 5, 90);
    insert('extraction_failure', { state: 'CA', layer: 'county' }, 5, 10);
    insert('extraction_failure', { state: 'CA', layer: 'county' }, 30, 50); // outside 10 min
    const { report, outcome } = await registry.run(['errors'], ACTOR, env.deps);
    expect(outcome).toBe('crit');
    expect(report.headline).toBe('error rate 10.0 % in the last 10 min (10 of 100 failed): above 5 %');
    expect((report.data as ErrorTriage).windowMs).toBe(10 * MIN);
  });

  it('takes --window and follows the clock', async () => {
    insert('extraction_success', {}, 5, 90);
    insert('extraction_failure', { state: 'CA', layer: 'county' }, 30, 10);
    const wide = await registry.run(['errors', '--window', '1h'], ACTOR, env.deps);
    expect(wide.report.headline).toBe('error rate 10.0 % in the last 1 h (10 of 100 failed): above 5 %');
    const narrow = await registry.run(['errors', '--window', '10m'], ACTOR, env.deps);
    expect(narrow).toMatchObject({ outcome: 'ok', report: { headline: 'error rate 0.00 % in the last 10 min (0 of 90 failed): ok' } });
    env.clock.advance(2 * 3600_000);
    expect((await registry.run(['errors'], ACTOR, env.deps)).outcome).toBe('unknown');
  });

  it('refuses bad windows, positionals and unknown flags with usage', async () => {
    for (const argv of [
      ['errors', '--window', '5s'],
      ['errors', '--window', 'abc'],
      ['errors', '--window', '31d'],
      ['errors', '--window', '-1h'],
      ['errors', '--window'],
      ['errors', 'now'],
      ['errors', '--since', '1h'],
    ]) {
      const { outcome, report } = await registry.run(argv, ACTOR, env.deps);
      expect(outcome, argv.join(' ')).toBe('usage');
      expect(report.headline).toContain('Usage: `atlas errors [--window 10m]`');
    }
    const { report } = await registry.run(['errors', '--window', 'abc'], ACTOR, env.deps);
    expect(report.headline).toMatch(/^--window: takes a duration from 1m to 30d/);
  });

  it('answers with the file problem when metrics.db is locked or missing', async () => {
    writer.exec('BEGIN EXCLUSIVE');
    const locked = await registry.run(['errors'], ACTOR, env.deps);
    writer.exec('COMMIT');
    expect(locked).toMatchObject({ outcome: 'error', report: { headline: 'metrics.db is locked by a writer; try again in a few seconds.' } });

    const empty = tempDir();
    const missing = testDeps(empty.dir);
    try {
      const result = await registry.run(['errors'], ACTOR, missing.deps);
      expect(result.outcome).toBe('error');
      expect(result.report.headline).toMatch(/^metrics\.db not found at .*; check ATLAS_DATA_DIR\.$/);
    } finally {
      await missing.close();
      empty.cleanup();
    }
  });
});

describe('metrics', () => {
  it('summarizes the last hour by default and takes --window', async () => {
    insert('health_check', { provider: 'UK' }, 5, 3);
    insert('cache_hit', {}, 90, 3);
    const hour = await registry.run(['metrics'], ACTOR, env.deps);
    expect(hour).toMatchObject({ outcome: 'info', report: { headline: '3 metric rows of 1 types in the last 1 h' } });
    const day = await registry.run(['metrics', '--window', '1d'], ACTOR, env.deps);
    expect(day.report.headline).toBe('6 metric rows of 2 types in the last 1 d');
    expect((day.report.data as MetricsSummary).types.map((t) => t.type)).toEqual(['health_check', 'cache_hit']);
  });

  it('refuses windows beyond 30 days and bad values with usage', async () => {
    for (const argv of [['metrics', '--window', '31d'], ['metrics', '--window', '0m'], ['metrics', 'extra']]) {
      const { outcome, report } = await registry.run(argv, ACTOR, env.deps);
      expect(outcome, argv.join(' ')).toBe('usage');
      expect(report.headline).toContain('Usage: `atlas metrics [--window 1h]`');
    }
    const { report } = await registry.run(['metrics', '--window', '31d'], ACTOR, env.deps);
    expect(report.headline).toMatch(/^--window: takes a duration from 1m to 30d/);
    expect((await registry.run(['metrics', '--window', '7d'], ACTOR, env.deps)).outcome).toBe('unknown');
  });

  it('is listed in help as a read command', async () => {
    const help = await registry.run(['help'], ACTOR, env.deps);
    expect((help.report.data as { name: string; tier: string }[]).map((c) => [c.name, c.tier])).toEqual([
      ['errors', 'read'],
      ['metrics', 'read'],
    ]);
  });
});
