import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/db/state/kysely/sqlite-state-store.js';
import { filesOf } from '../../src/sandbox/file-methods.js';
import { startDeliveryHarness, type DeliveryHarness } from '../helpers/delivery-harness.js';
import { createAtlasFiles, tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';

const CHANNEL = 'C0INCIDENT';
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5]);
const ALT = 'Census TIGER availability fell from 100% to 70% at 02:14, below the 95% alert line.';

let env: TestEnv;
let h: DeliveryHarness | undefined;
let cleanup: () => void;
let dataDir: string;

beforeEach(() => {
  const t = tempDir();
  cleanup = t.cleanup;
  dataDir = path.join(t.dir, '.shadow-atlas');
  createAtlasFiles(dataDir).persistence.close();
  env = testDeps(dataDir, { file: { channels: { incidents: CHANNEL } } });
});
afterEach(async () => {
  await h?.close();
  h = undefined;
  await env.close();
  cleanup();
});

const harness = () => h!;
const calls = (method: string) => harness().slack.workspace.calls(method);
const drain = () => harness().delivery.drain();
const later = async (ms: number) => {
  env.clock.advance(ms);
  await drain();
};
const shares = () => harness().slack.workspace.messages(CHANNEL).filter((m) => ((m as { files?: unknown[] }).files ?? []).length > 0);
const row = () => env.db.prepare("SELECT sent_at, failed_at, attempts, last_error FROM outbox WHERE op = 'upload'").get() as { sent_at: string | null; failed_at: string | null; attempts: number };
const file = () => env.db.prepare('SELECT bytes, slack_file_id, completing FROM outbox_files').get() as { bytes: Buffer | null; slack_file_id: string | null; completing: number };

async function enqueueChart(): Promise<number> {
  return await env.deps.state.outbox.enqueueUpload(
    {
      lane: 'chart:test',
      op: 'upload',
      channel: CHANNEL,
      payload: { text: 'providers chart', upload: { filename: 'providers.png', title: 'Provider availability, last 6 h', altText: ALT, initialComment: 'Provider availability' } },
    },
    PNG,
    env.deps.clock(),
  );
}

describe('uploading a file through the outbox', () => {
  it('makes the three calls in order, shares the bytes with their alt text once, and drops the bytes', async () => {
    h = await startDeliveryHarness(env);
    await enqueueChart();
    harness().delivery.wake();
    await drain();
    const order = harness().slack.workspace.calls().map((c) => c.method).filter((m) => m.startsWith('files.') || m === 'file_upload');
    expect(order).toEqual(['files.getUploadURLExternal', 'file_upload', 'files.completeUploadExternal']);
    const [f] = filesOf(harness().slack.workspace);
    expect(f!.content).toEqual(PNG);
    expect(f!.altText).toBe(ALT);
    expect(f!.shares.map((s) => s.channel)).toEqual([CHANNEL]);
    expect(shares()).toHaveLength(1);
    expect(row().sent_at).not.toBeNull();
    expect(file().bytes).toBeNull();
  });

  it('a completion whose answer was lost (Slack shared, then answered 500) is found by files.info after a restart, not shared twice', async () => {
    h = await startDeliveryHarness(env);
    harness().slack.faults.inject({ method: 'files.completeUploadExternal', kind: 'http', status: 500, when: 'after' });
    await enqueueChart();
    harness().delivery.wake();
    await drain();
    expect(shares()).toHaveLength(1);
    expect(row().sent_at).toBeNull();
    expect(file().completing).toBe(1);
    // The bot restarts: another loop on another connection to the same chatops.db takes the row.
    await harness().delivery.stop(100);
    const second = openStateStore(path.join(dataDir, 'chatops.db'));
    try {
      harness().startDelivery({ state: second });
      await later(60_000);
      expect(calls('files.info')).toHaveLength(1);
      expect(calls('files.completeUploadExternal')).toHaveLength(1);
      expect(calls('files.getUploadURLExternal')).toHaveLength(1);
      expect(shares()).toHaveLength(1);
      expect(row().sent_at).not.toBeNull();
    } finally {
      await harness().delivery.stop(100);
      await second.close();
    }
  });

  it('a completion that failed before Slack acted (500) is completed once on the retry, with the same file', async () => {
    h = await startDeliveryHarness(env);
    harness().slack.faults.inject({ method: 'files.completeUploadExternal', kind: 'http', status: 500 });
    await enqueueChart();
    harness().delivery.wake();
    await drain();
    expect(shares()).toHaveLength(0);
    await later(60_000);
    expect(calls('files.info')).toHaveLength(1);
    expect(calls('files.getUploadURLExternal')).toHaveLength(1);
    expect(calls('files.completeUploadExternal')).toHaveLength(2);
    expect(shares()).toHaveLength(1);
    expect(row().sent_at).not.toBeNull();
  });

  it('bytes that did not arrive (the upload URL answered 503) are sent again to the same file, not a new one', async () => {
    h = await startDeliveryHarness(env);
    harness().slack.faults.inject({ method: 'file_upload', kind: 'http', status: 503 });
    await enqueueChart();
    harness().delivery.wake();
    await drain();
    expect(file().slack_file_id).toMatch(/^F/);
    await later(60_000);
    expect(calls('files.getUploadURLExternal')).toHaveLength(1);
    expect(calls('file_upload')).toHaveLength(2);
    expect(shares()).toHaveLength(1);
  });

  it('waits out a 429 from Slack without counting it a failure, then shares once', async () => {
    h = await startDeliveryHarness(env);
    harness().slack.faults.inject({ method: 'files.getUploadURLExternal', kind: 'ratelimit', retryAfter: 1 });
    await enqueueChart();
    harness().delivery.wake();
    await drain();
    expect(shares()).toHaveLength(1);
    // The one attempt counted is the send that worked: the rate limit was Slack's pace, not a failure.
    expect(row().attempts).toBe(1);
    expect(calls('files.getUploadURLExternal')).toHaveLength(2);
    expect(row().sent_at).not.toBeNull();
  });
});
