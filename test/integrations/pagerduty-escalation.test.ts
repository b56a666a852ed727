/**
 * Escalating to the tech lead or the CTO pages them through PagerDuty when escalation.pagerduty
 * names them (issue 17 §4): `POST /incidents` on the configured service, assigned to their user
 * or escalation policy, `From:` the escalating person's email, sent through the outbox (its own
 * lane, retried with backoff). PagerDuty is nock answering with its documented bodies; the
 * escalation comes as a signed `/atlas escalate` through the real receiver.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import type Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { createRegistry } from '../../src/commands/index.js';
import { declareIncident } from '../../src/incidents/declare.js';
import { pagerdutyApi } from '../../src/integrations/pagerduty-api.js';
import { PAGERDUTY_ESCALATION_TARGET, pagerdutyEscalationSender } from '../../src/integrations/pagerduty-escalation.js';
import { usergroupMembers } from '../../src/slack/usergroup-members.js';
import { startDeliveryHarness, type DeliveryHarness } from '../helpers/delivery-harness.js';
import { eventually, startHarness, TEST_USER, type Harness } from '../helpers/slack-harness.js';
import { createAtlasFiles, tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';

const PD = 'https://api.pagerduty.com';
const TOKEN = 'y_NbAkKc66ryYTWUXYEu';
const CREATED = JSON.parse(readFileSync(path.join(import.meta.dirname, '../fixtures/pagerduty/incident-created.json'), 'utf8')) as object;
const CONFIG = {
  channels: { incidents: 'C0INCIDENT' },
  responders: { users: [TEST_USER] },
  escalation: { techLead: 'U0TECHLEAD', cto: 'U0CTOBOSS', pagerduty: { service: 'PSVC123', techLead: { user: 'PTECH42' }, cto: { escalationPolicy: 'PCTOPOL' } } },
  pagerduty: { users: { PONCALL1: TEST_USER } },
};

let dir: { dir: string; cleanup: () => void };
let atlas: { metrics: Database.Database; persistence: Database.Database };
let env: TestEnv;
let d: DeliveryHarness;
let h: Harness;

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterAll(() => nock.enableNetConnect());

beforeEach(async () => {
  dir = tempDir();
  const dataDir = path.join(dir.dir, '.shadow-atlas');
  atlas = createAtlasFiles(dataDir);
  env = testDeps(dataDir, { file: CONFIG, env: { PAGERDUTY_TOKEN: TOKEN } });
  const api = pagerdutyApi({ config: env.deps.config, fetch: (...a) => globalThis.fetch(...a) });
  const sender = pagerdutyEscalationSender({ state: env.deps.state, config: env.deps.config, api, events: env.deps.events, clock: env.clock });
  d = await startDeliveryHarness(env, { delivery: { callSenders: { [PAGERDUTY_ESCALATION_TARGET]: sender } } });
  let client: Harness['app']['app']['client'] | null = null;
  const registry = createRegistry(createAuthorizer(env.deps.config, usergroupMembers(() => client)));
  h = await startHarness({ deps: env.deps, registry, slack: d.slack });
  client = h.app.app.client;
});

afterEach(async () => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  await h.close();
  await d.close();
  await env.close();
  atlas.metrics.close();
  atlas.persistence.close();
  dir.cleanup();
  expect(pending).toEqual([]);
});

const calls = () => env.db.prepare("SELECT sent_at, failed_at, last_error FROM outbox WHERE op = 'call'").all() as { sent_at: string | null; failed_at: string | null; last_error: string | null }[];

describe('escalating to the tech lead or the CTO pages them through PagerDuty', () => {
  it('tech lead: POST /incidents assigned to their PagerDuty user, From the escalating person, once', async () => {
    const { incident } = await declareIncident(env.deps, { title: 'proofs failing', severity: 'P1', actorId: TEST_USER });
    let sent: { incident: Record<string, unknown> } | undefined;
    nock(PD)
      .get('/users/PONCALL1')
      .reply(200, { user: { id: 'PONCALL1', type: 'user', email: 'alice@shadow-atlas.example' } })
      .post('/incidents', (b: { incident: Record<string, unknown> }) => {
        sent = b;
        return true;
      })
      .matchHeader('authorization', `Token token=${TOKEN}`)
      .matchHeader('from', 'alice@shadow-atlas.example')
      .reply(201, CREATED);
    const c = await h.command(`escalate ${incident.id} techlead --need "a decision on rollback"`);
    expect((await c.answer()).text).toContain('Paging them through PagerDuty too.');
    await eventually(() => calls()[0]?.sent_at, 'the page sent', 10_000);
    expect(sent!.incident).toMatchObject({
      type: 'incident',
      service: { id: 'PSVC123', type: 'service_reference' },
      assignments: [{ assignee: { id: 'PTECH42', type: 'user_reference' } }],
      incident_key: `shadow-atlas/escalation/${incident.id}/techlead`,
      urgency: 'high',
    });
    expect(sent!.incident.escalation_policy).toBeUndefined();
    expect(String(sent!.incident.title)).toContain(`${incident.id} (P1) escalated to the tech lead`);
    // Slack still hears it, with the mention, and says PagerDuty pages them.
    await d.delivery.drain();
    const posted = (await env.deps.state.slackMessages.get(incident.anchor))!;
    const escalation = d.slack.workspace.replies(posted.channel, posted.ts).find((m) => m.text.includes('escalated'))!;
    expect(JSON.stringify(escalation.blocks)).toContain('<@U0TECHLEAD> - Escalating');
    expect(JSON.stringify(escalation.blocks)).toContain('paged through PagerDuty too');
  });

  it('CTO: the escalation policy; a 400 "already exists" for the same key counts as done; a 5xx is tried again', async () => {
    const { incident } = await declareIncident(env.deps, { title: 'proofs failing', severity: 'P0', actorId: TEST_USER });
    let body: { incident: Record<string, unknown> } | undefined;
    nock(PD)
      .get('/users/PONCALL1')
      .times(2)
      .reply(200, { user: { id: 'PONCALL1', type: 'user', email: 'alice@shadow-atlas.example' } })
      .post('/incidents')
      .reply(503, { error: { message: 'Service Unavailable', code: 2001 } })
      .post('/incidents', (b: { incident: Record<string, unknown> }) => {
        body = b;
        return true;
      })
      .reply(400, { error: { message: 'Invalid Input Provided', code: 2001, errors: ['Open incident with matching dedup key already exists on this service'] } });
    await (await h.command(`escalate ${incident.id} cto --need "approval"`)).answer();
    await eventually(() => calls()[0]?.last_error, 'the first try to fail', 10_000);
    env.clock.advance(120_000);
    d.delivery.wake();
    await eventually(() => calls()[0]?.sent_at, 'the retry to count as done', 15_000);
    expect(body!.incident).toMatchObject({ escalation_policy: { id: 'PCTOPOL', type: 'escalation_policy_reference' }, incident_key: `shadow-atlas/escalation/${incident.id}/cto` });
    expect(body!.incident.assignments).toBeUndefined();
  });

  it('pages nobody in PagerDuty for the other contacts, or when escalation.pagerduty names nobody', async () => {
    const { incident } = await declareIncident(env.deps, { title: 'proofs failing', severity: 'P1', actorId: TEST_USER });
    const c = await h.command(`escalate ${incident.id} db --need "eyes"`);
    expect((await c.answer()).text).not.toContain('PagerDuty');
    expect(calls()).toEqual([]);
  });
});
