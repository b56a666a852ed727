import { rmSync } from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { createRegistry } from '../../src/commands/index.js';
import { HEALTH_BUTTON_MESSAGES } from '../../src/handlers/alert-health-button.js';
import { ALERT_HEALTH_ACTION } from '../../src/templates/alert-message.js';
import { SHARE_ACTION_ID } from '../../src/templates/block-kit.js';
import {
  blockActionPayload,
  newResponsePath,
  RESPONSE_ORIGIN,
  startHarness,
  type CapturedResponse,
  type Harness,
} from '../helpers/slack-harness.js';
import { createAtlasFiles, tempDir, testDeps } from '../helpers/test-deps.js';

/** Not a responder: Health is tier read, so anyone who sees the alert may press it. */
const READER = 'U0READER9';

describe('the alert message Health button', () => {
  let env: ReturnType<typeof testDeps>;
  let cleanup: () => void;
  let harness: Harness;

  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterAll(() => nock.enableNetConnect());
  beforeEach(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const dataDir = path.join(t.dir, '.shadow-atlas');
    const files = createAtlasFiles(dataDir);
    files.metrics
      .prepare("INSERT INTO alerts (name, status, message, fired_at) VALUES ('provider_down', 'firing', 'TIGER down', '2026-11-26 11:50:00')")
      .run();
    files.metrics.close();
    files.persistence.close();
    env = testDeps(dataDir, { file: { channels: { incidents: 'C0INCIDENT' }, responders: { users: ['U0ONCALL1'] } } });
    harness = await startHarness({ deps: env.deps, registry: createRegistry(createAuthorizer(env.deps.config)) });
  });
  afterEach(async () => {
    await harness.close();
    nock.cleanAll();
    env.close();
    cleanup();
  });

  async function press(payloadOver: Record<string, unknown> = {}): Promise<CapturedResponse> {
    const responsePath = newResponsePath('actions');
    const answer = harness.expectResponse(responsePath);
    const payload = { ...blockActionPayload({ user: READER, actionId: ALERT_HEALTH_ACTION, value: 'provider_down', responseUrl: `${RESPONSE_ORIGIN}${responsePath}` }), ...payloadOver };
    const res = await harness.signedAction(payload);
    expect(res.status).toBe(200);
    return answer;
  }

  it("answers the clicker alone with the registry's health report, leaving the alert message alone", async () => {
    const answer = await press();
    expect(answer.body.response_type).toBe('ephemeral');
    expect(answer.body.replace_original).toBe(false);
    const text = JSON.stringify(answer.body.blocks);
    // The headline is health's verdict; its sections list the checks, the firing alert among them.
    expect(String(answer.body.text)).toMatch(/unhealthy/);
    expect(text).toContain('Current snapshot');
    expect(text).toContain('provider_down');
    expect(text).toContain(SHARE_ACTION_ID);
    const audit = env.deps.state.prepare('SELECT user_id, command, source FROM command_runs').all();
    expect(audit).toEqual([{ user_id: READER, command: 'health', source: 'slack' }]);
  });

  it('still answers when the databases are gone, with the reason in the report', async () => {
    env.deps.atlas.close();
    rmSync(env.deps.atlas.metrics.file);
    rmSync(env.deps.atlas.persistence.file);
    const answer = await press();
    expect(answer.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(answer.body.blocks)).toContain('metrics.db not found');
  });

  it('answers a payload it cannot read with a sentence, and runs nothing', async () => {
    const answer = await press({ user: { id: 'not-a-user-id' } });
    expect(answer.body).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: HEALTH_BUTTON_MESSAGES.malformed });
    expect(env.deps.state.prepare('SELECT COUNT(*) AS n FROM command_runs').get()).toEqual({ n: 0 });
  });
});
