import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stopChartRenderer } from '../../src/charts/chart-renderer.js';
import { stopMetricsReaders } from '../../src/checks/metrics-reader.js';
import { runCli, type CliIo } from '../../src/cli.js';
import { chartOutputPath } from '../../src/commands/chart-commands.js';
import { filesOf } from '../../src/sandbox/file-methods.js';
import { toSqlTime } from '../../src/time/atlas-time.js';
import { readPng } from '../helpers/png-pixels.js';
import { eventually, TEST_CHANNEL } from '../helpers/slack-harness.js';
import { startSlackEnv, type SlackEnv } from '../helpers/slack-env.js';
import { createAtlasFiles, tempDir, TEST_NOW } from '../helpers/test-deps.js';

const NOW = new Date(TEST_NOW);
const ALT = 'Census TIGER availability fell from 100% to 0% at 10:00, below the 95% alert line.';

/** Six hours of health checks every 5 minutes before `now`; Census TIGER failing 2 h before it, for 20 minutes. */
function seedProviders(metrics: Database.Database, now = NOW): void {
  const insert = metrics.prepare('INSERT INTO metrics (type, value, labels_json, recorded_at) VALUES (?, ?, ?, ?)');
  for (let m = 2; m < 360; m += 5) {
    const at = new Date(now.getTime() - m * 60_000);
    const down = m > 100 && m <= 120;
    insert.run('health_check', down ? 0 : 1, JSON.stringify({ provider: 'Census TIGER' }), toSqlTime(at));
    insert.run('health_check', 1, JSON.stringify({ provider: 'ArcGIS Hub' }), toSqlTime(at));
  }
}

afterAll(async () => {
  await stopChartRenderer();
  await stopMetricsReaders();
});

describe('/atlas chart in Slack', () => {
  let s: SlackEnv | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it('answers at once, then uploads the PNG into the channel with the three calls and its alt text, once', async () => {
    s = await startSlackEnv({ file: { channels: { incidents: TEST_CHANNEL } }, seed: (atlas) => seedProviders(atlas.metrics) });
    const i = await s.h.command('chart providers --window 6h');
    expect(i.res.status).toBe(200);
    expect(JSON.stringify(await i.res.json())).toContain('Drawing the providers chart for the last 6 h…');
    const answer = await i.answer(1);
    expect(answer.text).toContain(ALT);
    const ws = s.d.slack.workspace;
    const shared = await eventually(() => filesOf(ws).find((f) => f.shares.length > 0), 'the chart shared in the channel');
    expect(ws.calls('files.getUploadURLExternal')).toHaveLength(1);
    expect(ws.calls('file_upload')).toHaveLength(1);
    expect(ws.calls('files.completeUploadExternal')).toHaveLength(1);
    expect(ws.calls('files.completeUploadExternal')[0]!.args.channel_id).toBe(TEST_CHANNEL);
    expect(shared.name).toBe('providers-chart.png');
    expect(shared.altText).toBe(ALT);
    const png = readPng(shared.content!);
    expect(png.width).toBeGreaterThanOrEqual(800);
    expect(png.height).toBeGreaterThanOrEqual(400);
    const message = ws.messages(TEST_CHANNEL).find((m) => ((m as { files?: unknown[] }).files ?? []).length > 0);
    expect(message?.text).toContain(ALT);
  });

  it('answers an unknown chart with the list of what can be charted, and uploads nothing', async () => {
    s = await startSlackEnv({ file: { channels: { incidents: TEST_CHANNEL } } });
    const i = await s.h.command('chart weather');
    const answer = await i.answer(1);
    expect(answer.text).toContain('can chart errors (');
    for (const what of ['providers', 'latency', 'jobs', 'proofs']) expect(answer.text).toContain(`${what} (`);
    expect(s.d.slack.workspace.calls('files.getUploadURLExternal')).toHaveLength(0);
    expect(s.env.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE op = 'upload'").get()).toEqual({ n: 0 });
  });

  it('refuses a window out of range in one sentence', async () => {
    s = await startSlackEnv({ file: { channels: { incidents: TEST_CHANNEL } } });
    const answer = await (await s.h.command('chart errors --window 90d')).answer(1);
    expect(answer.text).toContain('takes a duration from 1m to 30d');
    expect(s.d.slack.workspace.calls('files.getUploadURLExternal')).toHaveLength(0);
  });
});

describe('atlas chart in a terminal', () => {
  let dir: { dir: string; cleanup: () => void };
  afterEach(() => dir.cleanup());

  function terminal(): { io: CliIo; out: string[]; err: string[] } {
    dir = tempDir();
    const dataDir = path.join(dir.dir, '.shadow-atlas');
    const atlas = createAtlasFiles(dataDir);
    // The terminal runs on the system clock.
    seedProviders(atlas.metrics, new Date());
    atlas.metrics.close();
    atlas.persistence.close();
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      env: { ATLAS_DATA_DIR: dataDir },
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      cwd: dir.dir,
    };
    return { io, out, err };
  }

  it('prints one sparkline per series with its minimum and when', async () => {
    const t = terminal();
    const code = await runCli(['chart', 'providers', '--window', '6h'], t.io);
    const text = t.out.join('');
    expect(code, t.err.join('')).toBe(0);
    expect(text).toMatch(/ArcGIS Hub {4}[▁-█ ]+ {2}%, min 100% at \d\d:\d\d/);
    expect(text).toMatch(/Census TIGER {2}[▁-█ ]+ {2}%, min 0% at \d\d:\d\d/);
  });

  it('writes the PNG with --out and says where; refuses a folder and a missing folder', async () => {
    const t = terminal();
    const file = path.join(dir.dir, 'providers.png');
    expect(await runCli(['chart', 'providers', '--window', '6h', '--out', file], t.io)).toBe(0);
    expect(t.out.join('')).toContain(`Wrote ${file} (`);
    const png = readPng(readFileSync(file));
    expect(png.width).toBeGreaterThanOrEqual(800);
    mkdirSync(path.join(dir.dir, 'folder.png'));
    expect(chartOutputPath(path.join(dir.dir, 'folder.png'))).toEqual({ refusal: expect.stringContaining('is a folder') });
    expect(await runCli(['chart', 'providers', '--out', path.join(dir.dir, 'folder.png')], t.io)).toBe(3);
    expect(t.out.join('')).toContain('is a folder');
    expect(chartOutputPath(path.join(dir.dir, 'no', 'such', 'x.png'))).toEqual({ refusal: expect.stringContaining('There is no folder') });
    expect(chartOutputPath(path.join(dir.dir, 'x.txt'))).toEqual({ refusal: expect.stringContaining('.png') });
    // A picture is redrawn: an existing file is replaced.
    writeFileSync(file, 'old');
    expect(await runCli(['chart', 'providers', '--out', file], t.io)).toBe(0);
    expect(existsSync(file) && readFileSync(file).subarray(1, 4).toString()).toBe('PNG');
  });
});
