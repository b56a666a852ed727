/**
 * POST /hooks/alerts and /hooks/pagerduty at the edge: their header checks come before the body
 * (a body that never finishes is refused anyway), the cap is answered with 413 at once, and the
 * bound on bodies read at once is one for the whole process, /slack/events included.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertWebhookRoute } from '../../src/alerts/alert-webhook.js';
import { CommandRegistry } from '../../src/commands/registry.js';
import { buildConfig } from '../../src/config.js';
import { bodyReadGate, type BodyReadGate } from '../../src/http/body-read-gate.js';
import { PAGERDUTY_WEBHOOK_MAX_BYTES, pagerdutyWebhookRoute } from '../../src/integrations/pagerduty-webhook.js';
import { allowEveryone } from '../helpers/authorizers.js';
import { eventually, slackSignature, startHarness, TEST_SIGNING_SECRET, type Harness } from '../helpers/slack-harness.js';
import { tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';
import { unfinishedPost } from '../helpers/unfinished-post.js';

const SECRET = 'pd-webhook-secret-ChdT1pb9XhV4yTIK';
const TOKEN = 'webhook-token-0123456789abcdef';
const WELL_FORMED_PD_SIGNATURE = `v1=${'0'.repeat(64)}`;

let env: TestEnv;
let cleanup: () => void;
let h: Harness;
let gate: BodyReadGate;

beforeEach(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  const dataDir = path.join(t.dir, '.shadow-atlas');
  env = testDeps(dataDir, { file: { channels: { incidents: 'C0INCIDENT' } } });
  env.deps.config = buildConfig(dataDir, { channels: { incidents: 'C0INCIDENT' } }, { PAGERDUTY_WEBHOOK_SECRET: SECRET, ALERT_WEBHOOK_TOKEN: TOKEN });
  gate = bodyReadGate(1);
  h = await startHarness({
    deps: env.deps,
    registry: new CommandRegistry([], allowEveryone),
    extraRoutes: [alertWebhookRoute(env.deps, { token: TOKEN, bodyReads: gate }), pagerdutyWebhookRoute(env.deps, { secret: SECRET, bodyReads: gate })],
    edge: { bodyReads: gate },
  });
});
afterEach(async () => {
  await h.close();
  await env.close();
  cleanup();
});

async function statusOf(url: string, headers: Record<string, string>, declared?: number): Promise<number> {
  const p = unfinishedPost(url, { 'content-type': 'application/json', ...headers }, declared);
  try {
    return (await p.response).status;
  } finally {
    p.destroy();
  }
}

describe('the webhooks before their body', () => {
  it('/hooks/alerts: no or a wrong bearer token is refused with 401 although the body never finishes', async () => {
    expect(await statusOf(`${h.baseUrl}/hooks/alerts`, {})).toBe(401);
    expect(await statusOf(`${h.baseUrl}/hooks/alerts`, { authorization: 'Bearer not-the-token-at-all' })).toBe(401);
    expect(gate.inFlight()).toBe(0);
  });

  it('/hooks/pagerduty: no usable signature header is refused with 400 although the body never finishes; over the cap, 413 at once', async () => {
    expect(await statusOf(`${h.baseUrl}/hooks/pagerduty`, {})).toBe(400);
    expect(await statusOf(`${h.baseUrl}/hooks/pagerduty`, { 'x-pagerduty-signature': 'v1=abc' })).toBe(400);
    expect(await statusOf(`${h.baseUrl}/hooks/pagerduty`, { 'x-pagerduty-signature': WELL_FORMED_PD_SIGNATURE }, PAGERDUTY_WEBHOOK_MAX_BYTES + 1)).toBe(413);
    expect(gate.inFlight()).toBe(0);
  });

  it('one bound for the process: a PagerDuty body being read takes the only place, and the next body anywhere is refused with 503', async () => {
    const holding = unfinishedPost(`${h.baseUrl}/hooks/pagerduty`, { 'content-type': 'application/json', 'x-pagerduty-signature': WELL_FORMED_PD_SIGNATURE }, 2000, false);
    try {
      await eventually(() => gate.inFlight() === 1, 'the PagerDuty body being read');
      expect(await statusOf(`${h.baseUrl}/hooks/pagerduty`, { 'x-pagerduty-signature': WELL_FORMED_PD_SIGNATURE }, 2000)).toBe(503);
      expect(await statusOf(`${h.baseUrl}/hooks/alerts`, { authorization: `Bearer ${TOKEN}` }, 2000)).toBe(503);
      expect(await statusOf(`${h.baseUrl}/slack/events`, slackSignature(TEST_SIGNING_SECRET, 'x'), 2000)).toBe(503);
    } finally {
      holding.destroy();
    }
    // The sender went away: its place is given back.
    await eventually(() => gate.inFlight() === 0, 'the place given back');
    expect(await statusOf(`${h.baseUrl}/hooks/alerts`, {})).toBe(401);
  });
});
