/**
 * The sandbox's world moves with its clock: the stood-in service writes metrics, jobs and alerts
 * as the page advances time, and a scenario picked on the page plays out in #incident-response.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/run-sandbox.js';
import type { SandboxState } from '../../src/sandbox/sandbox-state.js';
import type { StoredMessage } from '../../src/sandbox/stored-objects.js';
import { SANDBOX_USERS } from '../../src/sandbox/slack-stand-in.js';
import { UPSTREAM_PATHS } from '../../src/sandbox/upstream-stand-ins.js';
import { eventually } from '../helpers/slack-harness.js';

const { primary } = SANDBOX_USERS;
const INCIDENTS = 'C0INCIDENT';
/** The bot answers and delivers on its own loop: generous bounds for a busy machine. */
const WAIT_MS = 30_000;

let sandbox: RunningSandbox;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'atlas-sandbox-world-'));
  sandbox = await startSandbox({ dataDir: dir, port: 0, logLevel: 'silent' });
}, 60_000);

afterAll(async () => {
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(pathname: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(new URL(pathname, sandbox.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** What a probe of a stood-in provider meets now. */
async function probe(upstreamPath: string): Promise<number> {
  return (await fetch(new URL(upstreamPath, sandbox.url))).status;
}

async function stateOf(user: string): Promise<SandboxState> {
  const res = await fetch(new URL(`/sandbox/state?user=${user}`, sandbox.url));
  return (await res.json()) as SandboxState;
}

/** A message's text and its blocks' text, for matching. */
function wholeText(m: StoredMessage): string {
  return `${m.text ?? ''} ${JSON.stringify(m.blocks ?? [])}`;
}

/** `/atlas health` typed in #incident-response: the answer only the person sees, once it is whole. */
async function health(): Promise<string> {
  const before = (await stateOf(primary)).ephemerals[INCIDENTS]?.length ?? 0;
  expect((await call('/sandbox/command', { user: primary, channel: INCIDENTS, text: 'health' })).json).toEqual({ ok: true });
  const answer = await eventually(
    async () => (await stateOf(primary)).ephemerals[INCIDENTS]?.slice(before).find((e) => /healthy|degraded/.test(e.text)),
    'the health answer',
    WAIT_MS,
  );
  return `${answer.text} ${JSON.stringify(answer.blocks ?? [])}`;
}

// Each step waits on the bot's answers and deliveries; a busy machine is slow, never wrong.
describe('the sandbox world moves with its clock', { timeout: 90_000 }, () => {
  it('offers the scenarios on the page', async () => {
    const state = await stateOf(primary);
    expect(state.scenarios.map((s) => s.id)).toEqual(expect.arrayContaining(['provider-outage', 'long-outage', 'long-job', 'all-clear']));
    expect(state.scenario).toBeNull();
  });

  it('two hours on, health still measures the service: its metrics and jobs moved too', async () => {
    expect((await call('/sandbox/clock', { advance: '2h' })).json).toEqual({ ok: true });
    const answer = await health();
    // What "not measured" said when the data stood still.
    expect(answer).not.toMatch(/no (extraction_success|validation_pass|job_duration|health_check)[^"]* rows in the last/);
    expect(answer).toMatch(/Job duration \(avg\) \d/);
    expect(answer).toMatch(/Provider availability: ArcGIS Hub 100/);
  });

  it('a provider outage picked on the page fires its alert and resolves it as the clock moves', async () => {
    const started = await call('/sandbox/scenario', { scenario: 'provider-outage' });
    expect(started.json).toEqual({ ok: true });
    expect((await stateOf(primary)).scenario?.id).toBe('provider-outage');
    // The demo's Census TIGER outage ends when a scenario starts: its card says resolved.
    await eventually(async () => (await stateOf(primary)).messages[INCIDENTS]?.find((m) => /provider_down resolved/.test(m.text ?? '')), 'the demo outage resolved', WAIT_MS);

    expect((await call('/sandbox/clock', { advance: '30m' })).json).toEqual({ ok: true });
    const fired = await eventually(
      async () => (await stateOf(primary)).messages[INCIDENTS]?.find((m) => /provider_down firing/.test(m.text ?? '') && wholeText(m).includes('ArcGIS Hub')),
      'the ArcGIS Hub provider_down card',
      WAIT_MS,
    );
    // The providers' stand-ins answer as the service has them: `providers` probes meet the same story.
    expect(await probe(UPSTREAM_PATHS.arcgis)).toBe(503);
    expect(await probe(UPSTREAM_PATHS.tiger)).toBe(200);

    expect((await call('/sandbox/clock', { advance: '30m' })).json).toEqual({ ok: true });
    await eventually(
      async () => (await stateOf(primary)).messages[INCIDENTS]?.find((m) => m.ts === fired.ts && /provider_down resolved/.test(m.text ?? '')),
      'the ArcGIS Hub card resolved',
      WAIT_MS,
    );
    expect(await probe(UPSTREAM_PATHS.arcgis)).toBe(200);
  });

  it('an outage that starts and ends within one +2 h jump is still posted and then resolved', async () => {
    const before = (await stateOf(primary)).messages[INCIDENTS]?.length ?? 0;
    expect((await call('/sandbox/scenario', { scenario: 'provider-outage' })).json).toEqual({ ok: true });
    expect((await call('/sandbox/clock', { advance: '2h' })).json).toEqual({ ok: true });
    await eventually(
      async () => (await stateOf(primary)).messages[INCIDENTS]?.slice(before).find((m) => /provider_down resolved/.test(m.text ?? '') && wholeText(m).includes('ArcGIS Hub')),
      'a new ArcGIS Hub card, resolved',
      WAIT_MS,
    );
  });

  it('refuses a scenario it does not have with one sentence', async () => {
    const answer = await call('/sandbox/scenario', { scenario: 'meteor' });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ ok: false, error: 'No scenario "meteor"; pick one from the menu.' });
    expect((await call('/sandbox/scenario', {})).status).toBe(400);
    expect((await stateOf(primary)).scenario?.id).toBe('provider-outage');
  });
});
