import path from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { createRegistry } from '../../src/commands/index.js';
import { buildConfig } from '../../src/config.js';
import { BUTTON_MESSAGES, notAResponder } from '../../src/handlers/incident-actions.js';
import { declareIncident, resolveIncident } from '../../src/incidents/incident-service.js';
import { timeline } from '../../src/incidents/incident-store.js';
import type { Incident, TimerRow } from '../../src/incidents/incident-types.js';
import { sweepTimers } from '../../src/incidents/timer-sweeper.js';
import { TIMER_SNOOZE_ACTION } from '../../src/templates/nudge-messages.js';
import {
  blockActionPayload,
  eventually,
  newResponsePath,
  recordSlackApi,
  RESPONSE_ORIGIN,
  startHarness,
  TEST_USER,
  type CapturedResponse,
  type Harness,
} from '../helpers/slack-harness.js';
import { tempDir, testDeps, TEST_NOW } from '../helpers/test-deps.js';

const MIN = 60_000;
const CONFIG = { channels: { incidents: 'C0INCIDENT' }, responders: { users: [TEST_USER] } };

type Button = { action_id: string; value: string; text: { text: string } };
type Block = { type: string; elements?: Button[] };

describe('snooze buttons', () => {
  const dir = tempDir();
  const dataDir = path.join(dir.dir, '.shadow-atlas');
  let env: ReturnType<typeof testDeps>;
  let h: Harness;
  let slack: ReturnType<typeof recordSlackApi>;

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    env = testDeps(dataDir, { file: CONFIG });
    h = await startHarness({ deps: env.deps, registry: createRegistry(createAuthorizer(buildConfig(dataDir, CONFIG))) });
  });
  beforeEach(() => {
    slack = recordSlackApi();
    env.clock.set(TEST_NOW);
  });
  afterEach(() => nock.cleanAll());
  afterAll(async () => {
    await h.close();
    env.close();
    dir.cleanup();
    nock.enableNetConnect();
  });

  const at = (minutes: number) => env.clock.set(new Date(new Date(TEST_NOW).getTime() + minutes * MIN));

  /** A P0 incident whose update reminder has fired and been posted; returns the nudge's snooze buttons. */
  async function nudged(): Promise<{ incident: Incident; snooze: Button[] }> {
    const { incident } = await declareIncident(env.deps, { title: 'all proofs failing', actorId: TEST_USER });
    at(30);
    await sweepTimers(env.deps);
    await env.deps.outbox.flush();
    const nudge = slack.of('chat.postMessage').find((c) => ((c.body.text as string | undefined) ?? '').startsWith(`⏰ No update on ${incident.id}`))!;
    const actions = ((nudge.body.blocks ?? []) as Block[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
    const snooze = actions.filter((e) => e.action_id.startsWith(TIMER_SNOOZE_ACTION));
    return { incident, snooze };
  }

  async function press(button: Pick<Button, 'action_id' | 'value'>, user = TEST_USER): Promise<CapturedResponse> {
    const p = newResponsePath('actions');
    const reply = h.expectResponse(p);
    const res = await h.signedAction(blockActionPayload({ actionId: button.action_id, value: button.value, user, responseUrl: `${RESPONSE_ORIGIN}${p}` }));
    expect(res.status).toBe(200);
    return eventually(() => reply, 'the answer');
  }

  const pendingUpdates = (incidentId: string) =>
    env.deps.state
      .prepare("SELECT * FROM timers WHERE incident_id = ? AND kind = 'update-due' AND fired_at IS NULL AND cancelled_at IS NULL")
      .all(incidentId) as TimerRow[];

  it('snoozes a posted nudge from its button: told until when, the reminder moves, the timeline says who', async () => {
    const { incident, snooze } = await nudged();
    expect(snooze.map((b) => b.text.text)).toEqual(['Snooze 30 min', 'Snooze 1 h', 'Snooze 2 h']);
    at(33);
    const answer = await press(snooze[2]!);
    expect(answer.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(answer.body.text).toBe(`Snoozed until 14:33 UTC: the ${incident.id} status update reminder comes back then.`);
    expect(pendingUpdates(incident.id).map((t) => t.due_at)).toEqual(['2026-11-26T14:33:00.000Z']);
    expect(timeline(env.deps.state, incident.id).at(-1)).toMatchObject({ actor: TEST_USER, kind: 'snooze', text: 'status update reminder snoozed for 2 h, until 14:33 UTC' });

    // Quiet until then (the cadence re-arm at 60 min was replaced), back at its minute.
    at(152);
    expect((await sweepTimers(env.deps)).nudges.map((n) => n.kind)).not.toContain('update-due');
    at(153);
    expect((await sweepTimers(env.deps)).nudges.map((n) => n.kind)).toContain('update-due');
  });

  it('refuses a stranger and a forged value without changing anything', async () => {
    const { incident, snooze } = await nudged();
    const before = pendingUpdates(incident.id);
    expect((await press(snooze[0]!, 'U0STRANGER')).body.text).toBe(notAResponder('Snoozing reminders'));
    expect((await press({ action_id: `${TIMER_SNOOZE_ACTION}:30`, value: `${snooze[0]!.value.split(':')[0]}:45` })).body.text).toBe(BUTTON_MESSAGES.malformed);
    expect((await press({ action_id: `${TIMER_SNOOZE_ACTION}:30`, value: 'DROP TABLE timers:30' })).body.text).toBe(BUTTON_MESSAGES.malformed);
    expect(pendingUpdates(incident.id)).toEqual(before);
  });

  it('says the reminders are over once the incident is resolved', async () => {
    const { incident, snooze } = await nudged();
    await resolveIncident(env.deps, incident.id, { resolution: 'proof service restarted' }, TEST_USER);
    expect((await press(snooze[0]!)).body.text).toBe(`${incident.id} is resolved; its reminders are over.`);
    expect(pendingUpdates(incident.id)).toHaveLength(0);
  });
});
