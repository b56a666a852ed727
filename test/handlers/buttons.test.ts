import { assertBlockKitLimits } from '../helpers/slack-judge.js';
/**
 * Every button stands for a subcommand and runs through the registry: the same tier check (who,
 * and where), the same audit row (via "button") as the slash command. The app runs on the real
 * HTTP receiver with signed requests; its Web API is the Slack stand-in, and a real delivery
 * loop carries what the domain records into it.
 */
import { BOUND_MS } from '../helpers/busy-machine.js';
import { rmSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlert } from '../../src/alerts/alert-ingest.js';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { createRegistry } from '../../src/commands/index.js';
import { SHARE_MESSAGES } from '../../src/commands/share-commands.js';
import { MALFORMED_PRESS } from '../../src/handlers/reply.js';
import { acknowledgeAlert } from '../../src/incidents/acknowledge.js';
import { declareIncident } from '../../src/incidents/declare.js';
import { markReviewDone, resolveIncident } from '../../src/incidents/resolution.js';
import { sweepTimers } from '../../src/incidents/timer-sweeper.js';
import { botDmCheck } from '../../src/slack/dm-channels.js';
import { usergroupMembers } from '../../src/slack/usergroup-members.js';
import {
  SHARE_ACTION_ID,
} from '../../src/templates/block-kit.js';
import {
  ALERT_ACK_ACTION,
  ALERT_HEALTH_ACTION,
  INCIDENT_ATTACH_ACTION,
  INCIDENT_ESCALATE_ACTION,
  INCIDENT_RESOLVE_ALERTS_ACTION,
  INCIDENT_REVIEW_DONE_ACTION,
  INCIDENT_UPDATE_ACTION,
  TIMER_SNOOZE_ACTION,
} from '../../src/templates/incident-buttons.js';
import { MODAL_CALLBACK } from '../../src/templates/incident-modals.js';
import { startDeliveryHarness, type DeliveryHarness } from '../helpers/delivery-harness.js';
import { eventually, settle, startHarness, TEST_USER, type Harness, type Interaction } from '../helpers/slack-harness.js';
import { createAtlasFiles, tempDir, TEST_NOW, testDeps, type TestEnv } from '../helpers/test-deps.js';

const CHANNEL = 'C0INCIDENT';
const ELSEWHERE = 'C0RANDOM';
/** A DM between two people: a D… channel, but not the bot's. */
const PEOPLE_DM = 'D0BETWEEN2';
const SECOND_RESPONDER = 'U0ONCALL2';
/** In the responders' user group only (the stand-in answers usergroups.users.list). */
const GROUP_MEMBER = 'U0RESPONDER';
/** In the channel, not a responder. */
const STRANGER = 'U0READER';
const MIN = 60_000;

const CONFIG = {
  channels: { incidents: CHANNEL },
  responders: { users: [TEST_USER, SECOND_RESPONDER], usergroups: ['S0ONCALL'], channels: [CHANNEL] },
  escalation: { techLead: 'U0TECHLEAD', cto: 'U0CTOBOSS' },
};

type Button = { type: string; action_id: string; value: string; text: { text: string } };
type Block = { type: string; elements?: Button[] };

let dir: { dir: string; cleanup: () => void };
let atlas: { metrics: Database.Database; persistence: Database.Database };
let env: TestEnv;
let d: DeliveryHarness;
let h: Harness;
let alertSeq = 0;

beforeEach(async () => {
  dir = tempDir();
  const dataDir = path.join(dir.dir, '.shadow-atlas');
  atlas = createAtlasFiles(dataDir);
  env = testDeps(dataDir, { file: CONFIG });
  d = await startDeliveryHarness(env, { standIn: { usergroups: [{ id: 'S0ONCALL', handle: 'oncall', name: 'On-call', users: [GROUP_MEMBER] }] } });
  let client: Harness['app']['app']['client'] | null = null;
  const registry = createRegistry(createAuthorizer(env.deps.config, usergroupMembers(() => client), undefined, undefined, botDmCheck(() => client, { boundMs: BOUND_MS }), BOUND_MS));
  h = await startHarness({ deps: env.deps, registry, slack: d.slack });
  client = h.app.app.client;
});

afterEach(async () => {
  await h.close();
  await d.close();
  await env.close();
  atlas.metrics.close();
  atlas.persistence.close();
  dir.cleanup();
});

const slack = () => d.slack.workspace;
const runs = () => env.db.prepare('SELECT command, via, source, user_id, channel_id, outcome FROM command_runs ORDER BY id').all() as Record<string, string>[];
const incidentCount = () => (env.db.prepare('SELECT COUNT(*) AS n FROM incidents').get() as { n: number }).n;
/** Everything the bot keeps about incidents and alerts, to show a refusal changed nothing. */
const snapshot = () =>
  JSON.stringify(['incidents', 'alerts', 'timers', 'incident_events', 'outbox'].map((t) => env.db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()));
const opened = () => slack().calls('views.open').filter((c) => c.status === 200 && c.answer?.ok === true);

/** A firing alert, as ingestion leaves it, posted in the channel by delivery; its metrics.db row too. */
async function postAlert(hint: 'critical' | 'warning' = 'critical'): Promise<{ name: string; ts: string }> {
  const name = `replica_lag_${++alertSeq}`;
  const firedAt = env.clock();
  await ingestAlert(env.deps, { name, status: 'firing', message: 'Replica is 40 s behind <!channel>', source: 'atlas-webhook', severityHint: hint, firedAt });
  atlas.metrics.prepare("INSERT INTO alerts (name, status, message, fired_at) VALUES (?, 'firing', 'Replica behind', ?)").run(name, firedAt.toISOString().replace('T', ' ').slice(0, 19));
  await d.delivery.drain();
  const message = slack().messages(CHANNEL).find((m) => m.text.includes(name));
  expect(message).toBeDefined();
  return { name, ts: message!.ts };
}

const declared = async (title = 'proofs failing') => (await declareIncident(env.deps, { title, actorId: TEST_USER })).incident;

/** The buttons of a message in Slack, by action id prefix. */
function buttonsOf(blocks: unknown[] | undefined, prefix: string): Button[] {
  return ((blocks ?? []) as Block[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []).filter((e) => e.action_id.startsWith(prefix));
}

/**
 * One case per button that stands for an incident-tier command: how to arrange a state in which
 * it can act, and what a responder's press does.
 */
interface ButtonCase {
  command: string;
  actionId: string;
  /** The outcome of the command when it acts. */
  outcome: string;
  arrange(): Promise<string> | string;
  acted(press: Interaction, value: string): Promise<void>;
}

async function expectForm(callbackId: string) {
  const view = await eventually(() => opened()[0], 'a form to open');
  expect((view.args.view as { callback_id: string }).callback_id).toBe(callbackId);
}

const INCIDENT_BUTTONS: ButtonCase[] = [
  {
    command: 'ack',
    actionId: ALERT_ACK_ACTION,
    outcome: 'ok',
    arrange: async () => (await postAlert()).name,
    acted: async (_p, name) => {
      await expectForm(MODAL_CALLBACK['ack-details']);
      expect((await env.deps.state.alerts.get(name))!.incident_id).toBe('INC-20261126-1');
    },
  },
  {
    command: 'escalate',
    actionId: INCIDENT_ESCALATE_ACTION,
    outcome: 'info',
    arrange: async () => `${(await declared()).id}:techlead`,
    acted: () => expectForm(MODAL_CALLBACK.escalate),
  },
  {
    command: 'update',
    actionId: INCIDENT_UPDATE_ACTION,
    outcome: 'info',
    arrange: async () => (await declared()).id,
    acted: () => expectForm(MODAL_CALLBACK.update),
  },
  {
    command: 'resolve-alerts',
    actionId: INCIDENT_RESOLVE_ALERTS_ACTION,
    outcome: 'ok',
    arrange: async () => {
      const { name } = await postAlert();
      const { incident } = await acknowledgeAlert(env.deps, name, TEST_USER);
      await resolveIncident(env.deps, incident.id, { resolution: 'replica caught up' }, TEST_USER);
      return incident.id;
    },
    acted: async (p, id) => expect((await p.answer()).text).toBe(`Resolved 1 alert of ${id}: replica_lag_${alertSeq}.`),
  },
  {
    command: 'review-done',
    actionId: INCIDENT_REVIEW_DONE_ACTION,
    outcome: 'ok',
    arrange: async () => {
      const incident = await declared();
      await resolveIncident(env.deps, incident.id, { resolution: 'reran the job' }, TEST_USER);
      return incident.id;
    },
    acted: async (p, id) => expect((await p.answer()).text).toBe(`Review of ${id} marked done; the reminder is off.`),
  },
  {
    command: 'attach',
    actionId: INCIDENT_ATTACH_ACTION,
    outcome: 'ok',
    arrange: async () => JSON.stringify({ incidentId: (await declared()).id, command: 'alerts', headline: '1 alert firing' }),
    acted: async (p) => expect((await p.answer()).text).toBe("Added `/atlas alerts` to INC-20261126-1's timeline."),
  },
  {
    command: 'snooze',
    actionId: `${TIMER_SNOOZE_ACTION}:30`,
    outcome: 'ok',
    arrange: async () => {
      await declared();
      env.clock.advance(30 * MIN);
      const [reminder] = (await sweepTimers(env.deps)).reminders;
      return `${reminder!.timerId}:30`;
    },
    acted: async (p) => expect((await p.answer()).text).toBe('Snoozed until 13:00 UTC: the INC-20261126-1 status update reminder comes back then.'),
  },
];

describe('each incident button runs its command through the registry', () => {
  describe.each(INCIDENT_BUTTONS)('$command ($actionId)', (c) => {
    it('refuses a non-responder with the reason, changes nothing and leaves one denied row', async () => {
      const value = await c.arrange();
      await d.delivery.drain();
      const before = snapshot();
      const p = await h.press(c.actionId, value, { user: STRANGER });
      expect(p.res.status).toBe(200);
      const answer = await p.answer();
      expect(answer).toMatchObject({ response_type: 'ephemeral', replace_original: false });
      expect(answer.text).toBe(`\`${c.command}\` is for responders; ask the on-call lead to add you in the bot's config.`);
      await settle();
      expect(p.answers()).toHaveLength(1);
      expect(snapshot()).toBe(before);
      expect(opened()).toHaveLength(0);
      expect(runs()).toEqual([{ command: c.command, via: 'button', source: 'slack', user_id: STRANGER, channel_id: CHANNEL, outcome: 'denied' }]);
    });

    it('acts for a responder and leaves one row', async () => {
      const value = await c.arrange();
      const p = await h.press(c.actionId, value);
      expect(p.res.status).toBe(200);
      await c.acted(p, value);
      expect(runs()).toEqual([{ command: c.command, via: 'button', source: 'slack', user_id: TEST_USER, channel_id: CHANNEL, outcome: c.outcome }]);
    });

    it('is refused outside responders.channels and in a DM between people, saying where, and allowed in the DM with the bot', async () => {
      const value = await c.arrange();
      await d.delivery.drain();
      const before = snapshot();
      const outside = await h.press(c.actionId, value, { channel: ELSEWHERE });
      expect((await outside.answer()).text).toBe(`\`${c.command}\` runs in <#${CHANNEL}> or a DM with the bot, where the team sees it.`);
      const between = await h.press(c.actionId, value, { channel: PEOPLE_DM });
      expect((await between.answer()).text).toBe(`\`${c.command}\` runs in <#${CHANNEL}> or a DM with the bot, where the team sees it.`);
      expect(snapshot()).toBe(before);
      // The stand-in answers conversations.open with the IM it keeps for this person and the bot.
      const dmWithBot = slack().directory.openConversation([TEST_USER]).channel.id;
      const dm = await h.press(c.actionId, value, { channel: dmWithBot });
      await c.acted(dm, value);
      expect(runs().map((r) => [r.channel_id, r.outcome])).toEqual([
        [ELSEWHERE, 'denied'],
        [PEOPLE_DM, 'denied'],
        [dmWithBot, c.outcome],
      ]);
    });
  });
});

describe('the Acknowledge button', () => {
  it('opens the incident for a responder, then the impact/ETA form, and edits the alert message into the card', async () => {
    const { name, ts } = await postAlert();
    const p = await h.press(ALERT_ACK_ACTION, name, { message: { ts } });
    expect(p.res.status).toBe(200);

    const open = await eventually(() => opened()[0], 'views.open');
    const view = open.args.view as { callback_id: string; private_metadata: string; blocks: unknown[] };
    expect(view.callback_id).toBe('atlas_ack_details');
    expect(JSON.parse(view.private_metadata)).toEqual({ incidentId: 'INC-20261126-1', channel: CHANNEL });
    assertBlockKitLimits('modal', view.blocks);
    expect(slack().calls('views.open')).toHaveLength(1);

    // Delivery edits the alert's own message into the card and puts the initial response in its thread.
    await d.delivery.drain();
    expect(slack().messages(CHANNEL)).toHaveLength(1);
    expect(slack().messages(CHANNEL)[0]).toMatchObject({ ts, text: expect.stringContaining('INC-20261126-1') });
    expect(slack().replies(CHANNEL, ts).map((m) => m.text)).toEqual([expect.stringContaining(`acknowledged by <@${TEST_USER}>`)]);

    expect(await env.deps.state.incidents.get('INC-20261126-1')).toMatchObject({ owner_id: TEST_USER, alert_key: name, severity: 'P1' });
    expect(await env.deps.state.alerts.get(name)).toMatchObject({ incident_id: 'INC-20261126-1', acknowledged_by: TEST_USER });
    expect(await env.deps.state.timers.pending({ alertKey: name })).toEqual([]);
    const row = atlas.metrics.prepare('SELECT acknowledged_at FROM alerts WHERE name = ?').get(name) as { acknowledged_at: string | null };
    expect(row.acknowledged_at).toBe('2026-11-26 12:00:00');
    // The form is the answer: nothing ephemeral.
    await settle();
    expect(p.answers()).toEqual([]);
  });

  it('refuses a stranger after asking Slack about the user group once, and changes nothing', async () => {
    const { name } = await postAlert();
    const before = incidentCount();
    const p = await h.press(ALERT_ACK_ACTION, name, { user: STRANGER });
    expect((await p.answer()).text).toBe("`ack` is for responders; ask the on-call lead to add you in the bot's config.");
    expect(incidentCount()).toBe(before);
    expect((await env.deps.state.alerts.get(name))!.incident_id).toBeNull();
    expect(slack().calls('usergroups.users.list').map((c) => c.args.usergroup)).toEqual(['S0ONCALL']);
    // The membership is cached: a second press asks Slack nothing.
    await (await h.press(ALERT_ACK_ACTION, name, { user: STRANGER })).answer();
    expect(slack().calls('usergroups.users.list')).toHaveLength(1);
  });

  it('lets a member of a responder user group acknowledge', async () => {
    const { name } = await postAlert();
    await h.press(ALERT_ACK_ACTION, name, { user: GROUP_MEMBER });
    await eventually(() => opened()[0], 'views.open');
    expect((await env.deps.state.alerts.get(name))!.acknowledged_by).toBe(GROUP_MEMBER);
  });

  it('makes one incident from a double click; the second click is told who won', async () => {
    const { name, ts } = await postAlert();
    const before = incidentCount();
    const [a, b] = await Promise.all([h.press(ALERT_ACK_ACTION, name), h.press(ALERT_ACK_ACTION, name, { user: SECOND_RESPONDER })]);
    expect([a.res.status, b.res.status]).toEqual([200, 200]);
    const loser = await eventually(() => a.answers()[0] ?? b.answers()[0], 'the losing click’s answer');
    await eventually(() => opened().length === 1, 'one form');
    await settle();
    expect(a.answers().length + b.answers().length).toBe(1);
    expect(slack().calls('views.open')).toHaveLength(1);
    expect(incidentCount()).toBe(before + 1);
    const winner = (await env.deps.state.alerts.get(name))!;
    expect(loser.text).toBe(`${name} is already acknowledged by <@${winner.acknowledged_by}> as ${winner.incident_id} at 12:00 UTC.`);
    expect(runs().map((r) => r.outcome).sort()).toEqual(['error', 'ok']);
    await d.delivery.drain();
    expect(slack().replies(CHANNEL, ts)).toHaveLength(1);
  });

  it('still acknowledges when the form cannot open (one try, no retry), and says how to give the details', async () => {
    const { name } = await postAlert('warning');
    d.slack.faults.inject({ method: 'views.open', kind: 'http', status: 500 });
    const p = await h.press(ALERT_ACK_ACTION, name);
    const answer = await p.answer();
    const incidentId = (await env.deps.state.alerts.get(name))!.incident_id!;
    expect(answer.text).toMatch(new RegExp(`^${name} acknowledged after 0 s: ${incidentId} \\(P2\\) is open and yours`));
    expect(answer.text).toContain(`\`/atlas ack-details <INC> [--impact "…"] [--eta 30m]\``);
    expect(slack().calls('views.open')).toHaveLength(1);
    expect(h.logs.lines.some((l) => l.msg === 'could not open a form')).toBe(true);
  });

  it('answers an expired trigger the same way: Slack refuses a trigger it never issued', async () => {
    const { name } = await postAlert();
    const p = await h.press(ALERT_ACK_ACTION, name, { noTrigger: true });
    expect((await p.answer()).text).toContain('The form did not open');
    expect(slack().calls('views.open')[0]!.answer).toMatchObject({ ok: false, error: 'invalid_trigger_id' });
  });
});

describe('the incident buttons on reminders and answers', () => {
  it('opens the escalate form for its target from a reminder, for a member of a responder user group', async () => {
    const incident = await declared('IPFS completely down');
    await h.press(INCIDENT_ESCALATE_ACTION, `${incident.id}:techlead`, { user: GROUP_MEMBER });
    const open = await eventually(() => opened()[0], 'views.open');
    const view = open.args.view as { callback_id: string; private_metadata: string; blocks: unknown[] };
    expect(view.callback_id).toBe('atlas_escalate');
    expect(JSON.parse(view.private_metadata)).toEqual({ incidentId: incident.id, target: 'techlead', channel: CHANNEL });
    expect(JSON.stringify(view.blocks)).toContain('Escalating to *the tech lead*');
  });

  it('answers a button on a resolved incident or with a forged value in one sentence, opening nothing', async () => {
    const incident = await declared('stuck job');
    await resolveIncident(env.deps, incident.id, { resolution: 'restarted the job' }, TEST_USER);
    const resolved = await h.press(INCIDENT_UPDATE_ACTION, incident.id);
    expect((await resolved.answer()).text).toBe(`${incident.id} is already resolved (2026-11-26 12:00 UTC).`);

    for (const [actionId, value] of [
      [INCIDENT_ESCALATE_ACTION, `${incident.id}:everyone`],
      [INCIDENT_UPDATE_ACTION, 'INC-1; DROP TABLE incidents'],
      [INCIDENT_ATTACH_ACTION, '{"incidentId":"INC-20261126-1"}'],
      [`${TIMER_SNOOZE_ACTION}:30`, '12:45'],
      [`${TIMER_SNOOZE_ACTION}:30`, 'DROP TABLE timers:30'],
    ] as const) {
      const forged = await h.press(actionId, value);
      expect((await forged.answer()).text).toBe(MALFORMED_PRESS);
    }
    expect(opened()).toHaveLength(0);
    // A payload that cannot be read never reaches the registry: only the resolved incident's press is on record.
    expect(runs().map((r) => [r.command, r.outcome])).toEqual([['update', 'error']]);
  });

  it('answers a payload Slack would never send with one sentence, and runs nothing', async () => {
    const incident = await declared();
    const p = await h.press(INCIDENT_REVIEW_DONE_ACTION, incident.id, { override: { user: { id: 'not-a-user-id' } } });
    expect((await p.answer()).text).toBe(MALFORMED_PRESS);
    expect(runs()).toEqual([]);
  });

  it('resolves the alerts still firing after a resolution, in chatops.db and metrics.db, and says so once', async () => {
    const { name, ts } = await postAlert();
    const { incident } = await acknowledgeAlert(env.deps, name, TEST_USER);
    expect((await resolveIncident(env.deps, incident.id, { resolution: 'replica caught up' }, TEST_USER)).firingAlerts).toEqual([name]);
    const p = await h.press(INCIDENT_RESOLVE_ALERTS_ACTION, incident.id);
    expect((await p.answer()).text).toBe(`Resolved 1 alert of ${incident.id}: ${name}.`);
    expect((await env.deps.state.alerts.get(name))!.status).toBe('resolved');
    expect((atlas.metrics.prepare('SELECT status FROM alerts WHERE name = ?').get(name) as { status: string }).status).toBe('resolved');
    await d.delivery.drain();
    expect(slack().replies(CHANNEL, ts).map((m) => m.text)).toContainEqual(expect.stringContaining(`🔕 ${incident.id}: resolved`));
    const again = await h.press(INCIDENT_RESOLVE_ALERTS_ACTION, incident.id);
    expect((await again.answer()).text).toBe(`No alert of ${incident.id} is firing any more.`);
  });

  it('offers "Resolve firing alerts" when /atlas resolve closes an incident whose alert still fires', async () => {
    const { name } = await postAlert();
    const { incident } = await acknowledgeAlert(env.deps, name, TEST_USER);
    const c = await h.command(`resolve ${incident.id} --resolution "replica caught up"`);
    expect(c.res.status).toBe(200);
    const answer = await c.answer();
    const button = buttonsOf(answer.blocks, INCIDENT_RESOLVE_ALERTS_ACTION)[0];
    expect(button).toMatchObject({ action_id: INCIDENT_RESOLVE_ALERTS_ACTION, value: incident.id });
    expect((await env.deps.state.incidents.get(incident.id))!.status).toBe('resolved');
    // The button on that answer works.
    const p = await h.press(button!.action_id, button!.value);
    expect((await p.answer()).text).toBe(`Resolved 1 alert of ${incident.id}: ${name}.`);
  });

  it('marks the review done from the reminder, and the reminder stops', async () => {
    const incident = await declared('partial job failure');
    await resolveIncident(env.deps, incident.id, { resolution: 'reran the job' }, TEST_USER);
    env.clock.advance(48 * 60 * MIN);
    await sweepTimers(env.deps);
    await d.delivery.drain();
    const reminder = slack().replies(CHANNEL, slack().messages(CHANNEL)[0]!.ts).find((m) => m.text.startsWith('📝 Post-incident review'));
    const [done] = buttonsOf(reminder?.blocks, INCIDENT_REVIEW_DONE_ACTION);
    expect(done).toBeDefined();
    const p = await h.press(done!.action_id, done!.value, { user: SECOND_RESPONDER });
    expect((await p.answer()).text).toBe(`Review of ${incident.id} marked done; the reminder is off.`);
    expect((await env.deps.state.incidents.get(incident.id))!.review_done_at).not.toBeNull();
    expect(await env.deps.state.timers.pending({ incidentId: incident.id })).toEqual([]);
    const twice = await h.press(done!.action_id, done!.value);
    expect((await twice.answer()).text).toMatch(new RegExp(`^The review of ${incident.id} was already marked done`));
    await expect(markReviewDone(env.deps, incident.id, TEST_USER)).rejects.toThrow(/already marked done/);
  });

  it('offers "Add to INC-…" on a diagnostic answer while one incident is open, and the button adds it to the timeline', async () => {
    const incident = await declared('proofs failing');
    const c = await h.command('alerts');
    const answer = await c.answer();
    assertBlockKitLimits('message', answer.blocks as never);
    const [button] = buttonsOf(answer.blocks, INCIDENT_ATTACH_ACTION);
    expect(button!.text.text).toBe(`Add to ${incident.id}`);
    expect(JSON.parse(button!.value)).toMatchObject({ incidentId: incident.id, command: 'alerts', headline: expect.any(String) });

    const p = await h.press(button!.action_id, button!.value);
    expect((await p.answer()).text).toBe(`Added \`/atlas alerts\` to ${incident.id}'s timeline.`);
    expect((await env.deps.state.timeline.list(incident.id)).at(-1)).toMatchObject({ actor: TEST_USER });
    expect(runs().map((r) => [r.command, r.via])).toEqual([
      ['alerts', 'command'],
      ['attach', 'button'],
    ]);

    // With two incidents open the answer carries no such button (which one would it be?).
    await declared('disk filling');
    const again = await h.command('alerts');
    expect(JSON.stringify(await again.answer())).not.toContain(INCIDENT_ATTACH_ACTION);
  });
});

describe('incident commands typed in Slack', () => {
  it('answers `/atlas own INC alice` with a usage error naming what to type, and changes nothing (defect 7)', async () => {
    const incident = await declared();
    await d.delivery.drain();
    const before = snapshot();
    const c = await h.command(`own ${incident.id} alice`);
    expect((await c.answer()).text).toBe(
      '❌ "alice" is not a Slack user: mention them (@name) or give their user ID (U012ABC3DEF). Usage: `/atlas own [INC] [@user]`',
    );
    expect(snapshot()).toBe(before);
    expect(runs()).toEqual([{ command: 'own', via: 'command', source: 'slack', user_id: TEST_USER, channel_id: CHANNEL, outcome: 'usage' }]);
    // A mention, as Slack sends it, hands it over.
    const mention = await h.command(`own ${incident.id} <@${SECOND_RESPONDER}|bobby>`);
    expect((await mention.answer()).text).toBe(`✅ <@${SECOND_RESPONDER}> now owns ${incident.id}.`);
  });
});

describe('the Snooze buttons of a reminder', () => {
  /** A P0 incident whose update reminder has fired and been posted in its thread; the reminder's buttons. */
  async function nudged() {
    const incident = await declared('all proofs failing');
    env.clock.set(new Date(new Date(TEST_NOW).getTime() + 30 * MIN));
    await sweepTimers(env.deps);
    await d.delivery.drain();
    const card = slack().messages(CHANNEL)[0]!;
    const nudge = slack().replies(CHANNEL, card.ts).find((m) => m.text.startsWith(`⏰ No update on ${incident.id}`));
    expect(nudge).toBeDefined();
    return { incident, snooze: buttonsOf(nudge!.blocks, TIMER_SNOOZE_ACTION), nudge: nudge! };
  }
  const pendingUpdates = async (incidentId: string) => (await env.deps.state.timers.pending({ incidentId })).filter((t) => t.kind === 'update-due');
  const at = (minutes: number) => env.clock.set(new Date(new Date(TEST_NOW).getTime() + minutes * MIN));

  it('snoozes a posted reminder from its button: told until when, the reminder moves, the timeline says who', async () => {
    const { incident, snooze, nudge } = await nudged();
    expect(snooze.map((b) => b.text.text)).toEqual(['Snooze 30 min', 'Snooze 1 h', 'Snooze 2 h']);
    at(33);
    const p = await h.press(snooze[2]!.action_id, snooze[2]!.value, { message: { ts: nudge.ts } });
    const answer = await p.answer();
    expect(answer).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(answer.text).toBe(`Snoozed until 14:33 UTC: the ${incident.id} status update reminder comes back then.`);
    expect((await pendingUpdates(incident.id)).map((t) => t.due_at)).toEqual(['2026-11-26T14:33:00.000Z']);
    expect((await env.deps.state.timeline.list(incident.id)).at(-1)).toMatchObject({ actor: TEST_USER, text: 'status update reminder snoozed for 2 h, until 14:33 UTC' });
    expect(runs()).toEqual([{ command: 'snooze', via: 'button', source: 'slack', user_id: TEST_USER, channel_id: CHANNEL, outcome: 'ok' }]);

    // Quiet until then (the cadence re-arm at 60 min was replaced), back at its minute.
    at(152);
    expect((await sweepTimers(env.deps)).reminders.map((r) => r.kind)).not.toContain('update-due');
    at(153);
    expect((await sweepTimers(env.deps)).reminders.map((r) => r.kind)).toContain('update-due');
  });

  it('refuses a stranger and a forged value without changing anything', async () => {
    const { incident, snooze } = await nudged();
    const before = await pendingUpdates(incident.id);
    expect((await (await h.press(snooze[0]!.action_id, snooze[0]!.value, { user: STRANGER })).answer()).text).toBe(
      "`snooze` is for responders; ask the on-call lead to add you in the bot's config.",
    );
    const timerId = snooze[0]!.value.split(':')[0];
    expect((await (await h.press(`${TIMER_SNOOZE_ACTION}:30`, `${timerId}:45`)).answer()).text).toBe(MALFORMED_PRESS);
    expect(await pendingUpdates(incident.id)).toEqual(before);
  });

  it('says the reminders are over once the incident is resolved', async () => {
    const { incident, snooze } = await nudged();
    await resolveIncident(env.deps, incident.id, { resolution: 'proof service restarted' }, TEST_USER);
    expect((await (await h.press(snooze[0]!.action_id, snooze[0]!.value)).answer()).text).toBe(`${incident.id} is resolved; its reminders are over.`);
    expect(await pendingUpdates(incident.id)).toHaveLength(0);
  });
});

describe('the Health button on an alert', () => {
  it("answers anyone who presses it, alone, with the registry's health report", async () => {
    const { name, ts } = await postAlert();
    const p = await h.press(ALERT_HEALTH_ACTION, name, { user: STRANGER, channel: ELSEWHERE, message: { ts } });
    const answer = await p.answer();
    expect(answer).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(String(answer.text)).toMatch(/unhealthy|healthy/);
    const shown = JSON.stringify(answer.blocks);
    expect(shown).toContain('Current snapshot');
    expect(shown).toContain(name);
    expect(shown).toContain(SHARE_ACTION_ID);
    // The alert's message is left alone.
    expect(slack().calls('chat.update')).toHaveLength(0);
    expect(runs()).toEqual([{ command: 'health', via: 'button', source: 'slack', user_id: STRANGER, channel_id: ELSEWHERE, outcome: expect.any(String) }]);
    expect(['ok', 'warn', 'crit', 'unknown']).toContain(runs()[0]!.outcome);
  });

  it('still answers when the databases are gone, with the reason in the report', async () => {
    const { name } = await postAlert();
    env.deps.atlas.close();
    rmSync(env.deps.atlas.metrics.file);
    rmSync(env.deps.atlas.persistence.file);
    const answer = await (await h.press(ALERT_HEALTH_ACTION, name)).answer();
    expect(answer.response_type).toBe('ephemeral');
    expect(JSON.stringify(answer.blocks)).toContain('metrics.db not found');
  });
});

describe('the "Post to channel" button', () => {
  /** An answer to `/atlas incidents`, privately, and its share button and message. */
  async function privateAnswer(user = TEST_USER) {
    const c = await h.command('incidents', { user });
    const answer = await c.answer();
    const [share] = buttonsOf(answer.blocks, SHARE_ACTION_ID);
    const ephemeral = slack().ephemerals({ user }).find((e) => c.responseUrl.endsWith(e.responseUrlId ?? '-'));
    expect(share && ephemeral).toBeTruthy();
    return { share: share!, ts: ephemeral!.ts };
  }

  it('runs `share` through the registry: the answer goes to the channel once, "shared by", and the row says button', async () => {
    const { share, ts } = await privateAnswer();
    const p = await h.press(share.action_id, share.value, { message: { ts, ephemeral: true } });
    const posted = await p.answer();
    expect(posted).toMatchObject({ response_type: 'in_channel', text: '✅ No open incidents' });
    expect(JSON.stringify(posted.blocks)).toContain(`shared by <@${TEST_USER}>`);
    // In the channel for everyone to see (Slack ignores a message sent with delete_original), and the private answer is gone.
    const shared = await eventually(() => slack().messages(CHANNEL).find((m) => m.text === '✅ No open incidents'), 'the shared answer in the channel');
    expect(JSON.stringify(shared.blocks)).toContain(`shared by <@${TEST_USER}>`);
    expect(JSON.stringify(shared.blocks)).not.toContain(SHARE_ACTION_ID);
    await eventually(() => !slack().ephemerals({ user: TEST_USER }).some((e) => e.ts === ts), 'the private answer to go');
    expect(slack().calls('response_url').every((c) => c.status === 200)).toBe(true);
    expect(runs().map((r) => [r.command, r.via, r.outcome])).toEqual([
      ['incidents', 'command', 'ok'],
      ['share', 'button', 'ok'],
    ]);
    const again = await h.press(share.action_id, share.value);
    expect((await again.answer()).text).toBe(SHARE_MESSAGES.expired);
  });

  it('refuses someone else’s result, with a row of its own', async () => {
    const { share } = await privateAnswer();
    const p = await h.press(share.action_id, share.value, { user: STRANGER });
    expect((await p.answer()).text).toBe(SHARE_MESSAGES.notYours);
    expect(runs().at(-1)).toMatchObject({ command: 'share', via: 'button', user_id: STRANGER, outcome: 'error' });
  });
});
