/**
 * The App Home tab, driven as Slack drives it: signed app_home_opened events and block_actions
 * from a view (no response_url) to the real HTTP receiver; views.publish, views.open and the DMs
 * land in the Slack stand-in, which judges the view as Slack would. Time is the test's clock.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import YAML from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlert } from '../../src/alerts/alert-ingest.js';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { createRegistry } from '../../src/commands/index.js';
import type { CommandRegistry } from '../../src/commands/registry.js';
import { homePublisher } from '../../src/handlers/home.js';
import { MALFORMED_PRESS } from '../../src/handlers/reply.js';
import type { HomeContent } from '../../src/home/home-content.js';
import { homeHealth } from '../../src/home/home-health.js';
import { homeRefreshJob } from '../../src/home/home-refresh.js';
import { acknowledgeAlert } from '../../src/incidents/acknowledge.js';
import { declareIncident } from '../../src/incidents/declare.js';
import { changeOwner } from '../../src/incidents/incident-changes.js';
import { nextDeadline } from '../../src/incidents/incident-queries.js';
import { sweepTimers } from '../../src/incidents/timer-sweeper.js';
import { appHomeOpenedEvent, blockActionsPayload, eventCallbackPayload } from '../../src/sandbox/interaction-payloads.js';
import type { StoredView } from '../../src/sandbox/stored-objects.js';
import { botDmCheck } from '../../src/slack/dm-channels.js';
import { usergroupMembers } from '../../src/slack/usergroup-members.js';
import { HOME_LIST_MAX, homeView } from '../../src/templates/home-view.js';
import { ALERT_ACK_ACTION } from '../../src/templates/incident-buttons.js';
import { startDeliveryHarness, type DeliveryHarness } from '../helpers/delivery-harness.js';
import { eventually, settle, startHarness, TEST_USER, type Harness } from '../helpers/slack-harness.js';
import { assertBlockKitLimits } from '../helpers/slack-judge.js';
import { createAtlasFiles, tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';

const CHANNEL = 'C0INCIDENT';
const SECOND = 'U0ONCALL2';
const READER = 'U0READER';
const MIN = 60_000;
/** Mondays at 00:00 UTC; on 26 Nov 2026 (the test clock) the third shift since 9 Nov: TEST_USER primary, SECOND secondary. */
const CONFIG = {
  channels: { incidents: CHANNEL },
  responders: { users: [TEST_USER, SECOND] },
  rotation: { handoff: '0 0 * * 1', start: '2026-11-09', primary: [TEST_USER, SECOND], secondary: [SECOND, TEST_USER] },
};
const SHIFT_CHANGE = new Date('2026-11-30T00:00:00.000Z');

type Element = { type: string; action_id?: string; value?: string; text?: { text: string } };
type Block = { type: string; block_id?: string; text?: { text: string }; elements?: (Element & { text?: unknown })[]; accessory?: Element; fields?: { text: string }[] };

let dir: { dir: string; cleanup: () => void };
let atlas: { metrics: Database.Database; persistence: Database.Database };
let env: TestEnv;
let d: DeliveryHarness;
let h: Harness;
let registry: CommandRegistry;
let eventSeq = 0;

beforeEach(async () => {
  dir = tempDir();
  const dataDir = path.join(dir.dir, '.shadow-atlas');
  atlas = createAtlasFiles(dataDir);
  // Health probes nothing outside this machine.
  env = testDeps(dataDir, { file: CONFIG, fetch: () => Promise.reject(new Error('no network in tests')) });
  d = await startDeliveryHarness(env);
  let client: Harness['app']['app']['client'] | null = null;
  registry = createRegistry(createAuthorizer(env.deps.config, usergroupMembers(() => client)));
  h = await startHarness({ deps: env.deps, registry, slack: d.slack });
  client = h.app.app.client;
  // The verdict is measured once, as a Home opened a minute earlier would have; opening then never waits on it.
  await homeHealth(env.deps, 30_000);
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
const dmOf = (user: string) => slack().directory.openConversation([user]).channel.id;
const publishes = (user: string) => slack().calls('views.publish').filter((c) => c.args.user_id === user);
const published = (user: string) => publishes(user).filter((c) => c.status === 200 && c.answer?.ok === true);
const homeOf = (user: string): StoredView['view'] | undefined => slack().views.list(user).find((v) => v.view.type === 'home')?.view;
const homeRow = (user: string) => env.db.prepare('SELECT opened_at, published_at, stale_at FROM home_views WHERE user_id = ?').get(user) as Record<string, string | null> | undefined;
const runs = () => env.db.prepare('SELECT command, via, user_id, channel_id, outcome FROM command_runs ORDER BY id').all() as Record<string, string | null>[];

/** Slack's Events API request for someone opening a tab of the app. */
function openTab(user: string, tab: 'home' | 'messages' = 'home'): Promise<Response> {
  const seconds = Math.floor(env.clock().getTime() / 1000);
  const event = appHomeOpenedEvent({ user, channel: dmOf(user), tab, eventTs: `${seconds}.000100`, ...(homeOf(user) ? { view: homeOf(user)! } : {}) });
  const payload = eventCallbackPayload({ bot: slack().bot, event, eventId: `Ev0HOME${++eventSeq}`, eventTime: seconds });
  return h.post(JSON.stringify(payload), { contentType: 'application/json' });
}

/** Opens the Home and waits until it is published and recorded so. */
async function openHome(user: string): Promise<Block[]> {
  const before = published(user).length;
  expect((await openTab(user)).status).toBe(200);
  await eventually(() => published(user).length > before && homeRow(user)?.published_at === env.clock().toISOString(), `the Home of ${user} to be published`);
  return homeOf(user)!.blocks as Block[];
}

/** Everything a person reads on the Home, one line per block. */
function textOf(blocks: readonly Block[]): string[] {
  return blocks.map((b) =>
    [b.text?.text, ...(b.fields ?? []).map((f) => f.text), ...(b.elements ?? []).map((e) => (typeof e.text === 'string' ? e.text : (e.text as { text?: string } | undefined)?.text)), b.accessory?.text?.text]
      .filter(Boolean)
      .join(' | '),
  );
}

const buttons = (blocks: readonly Block[]): Element[] => blocks.flatMap((b) => [...(b.accessory ? [b.accessory] : []), ...(b.type === 'actions' ? (b.elements ?? []) : [])]);

/** A press on the Home as Slack sends it: a view container, the view, no response_url. */
async function pressOnHome(user: string, actionId: string, opts: { value?: string; triggerId?: string; overrideValue?: string } = {}): Promise<Response> {
  const view = homeOf(user)!;
  const block = (view.blocks as Block[]).find((b) => buttons([b]).some((e) => e.action_id === actionId && (opts.value === undefined || e.value === opts.value)));
  expect(block, `a ${actionId} button on the Home`).toBeDefined();
  const element = buttons([block!]).find((e) => e.action_id === actionId && (opts.value === undefined || e.value === opts.value))!;
  const payload = blockActionsPayload({
    bot: slack().bot,
    user: { id: user, name: user.toLowerCase() },
    triggerId: opts.triggerId ?? d.slack.mintTriggerId(user, view.id),
    source: { type: 'view', view },
    pressed: { blockId: block!.block_id!, element: opts.overrideValue === undefined ? element : { ...element, value: opts.overrideValue } },
    actionTs: `${Math.floor(Date.now() / 1000)}.000200`,
  });
  expect(payload).not.toHaveProperty('response_url');
  return h.signedAction(payload);
}

const dmTexts = (user: string) => slack().messages(dmOf(user)).map((m) => m.text);

async function fireAlert(name: string): Promise<void> {
  await ingestAlert(env.deps, { name, status: 'firing', message: 'Replica is 40 s behind <!channel>', source: 'atlas-webhook', severityHint: 'critical', firedAt: env.clock() });
  atlas.metrics.prepare("INSERT INTO alerts (name, status, message, fired_at) VALUES (?, 'firing', 'Replica behind', ?)").run(name, env.clock().toISOString().replace('T', ' ').slice(0, 19));
}

describe('the Home tab, opened', () => {
  beforeEach(async () => {
    await declareIncident(env.deps, { title: 'proofs failing for <!here> users', severity: 'P1', actorId: SECOND });
    env.clock.advance(5 * MIN);
    await fireAlert('replica_lag');
    await env.deps.state.handoffs.saveNotes(SHIFT_CHANGE, 'Watch replica lag\nTIGER slow since Tuesday', TEST_USER, env.clock());
  });

  it('shows a responder their on-call status first, incidents, alerts with Acknowledge, health, the next handoff and diagnostics', async () => {
    const blocks = await openHome(TEST_USER);
    const lines = textOf(blocks);
    expect(lines[0]).toBe('📟 *You are on call (primary)* until Mon 30 Nov 00:00 UTC (in 3 d 11 h). Secondary: <@U0ONCALL2>.');
    expect(lines).toContain('Open incidents (1)');
    expect(lines).toContainEqual(
      '🔴 *INC-20261126-1 · P1 · proofs failing for &lt;!here&gt; users*\nOwner <@U0ONCALL2> · investigating · open 5 min\nNext: status update due 14:00 UTC (in 1 h 55 min)',
    );
    expect(lines).toContain('Firing alerts (1)');
    const alert = blocks.find((b) => b.accessory?.action_id === ALERT_ACK_ACTION)!;
    expect(alert.text!.text.split('\n')[0]).toBe('🔴 *P1 · replica_lag* firing since 12:05 UTC (just now)');
    expect(alert.text!.text).toContain('&lt;!channel&gt;');
    expect(alert.accessory).toMatchObject({ type: 'button', text: { text: 'Acknowledge' }, value: (await env.deps.state.alerts.firing())[0]!.key, style: 'primary' });
    expect(lines).toContain('Health');
    expect(lines.find((l) => /^(✅|⚠️|🔴) \*(Healthy|Degraded|Unhealthy)\*/.test(l))).toBeDefined();
    expect(lines).toContain('Next handoff');
    expect(lines).toContain('Mon 30 Nov 00:00 UTC (in 3 d 11 h): you → <@U0ONCALL2>');
    expect(lines).toContainEqual(expect.stringMatching(/^\*Notes\* from you \(Thu 26 Nov 12:05 UTC\)\n• 📝 Watch replica lag\n• 📝 TIGER slow since Tuesday$/));
    const diagnostics = blocks.at(-1)!;
    expect(diagnostics.type).toBe('actions');
    expect(diagnostics.elements!.map((e) => [e.action_id, e.value])).toEqual(
      ['health', 'alerts', 'jobs', 'incidents', 'oncall'].filter((c) => registry.get(c)).map((c) => [`atlas_home_run:${c}`, c]),
    );
    expect(lines).toContain('Answers arrive as a direct message from the bot, in the Messages tab.');

    // Slack took it (the stand-in judged the view), and the limits hold.
    expect(publishes(TEST_USER)).toHaveLength(1);
    assertBlockKitLimits('home', blocks);
    expect(homeRow(TEST_USER)).toMatchObject({ opened_at: env.clock().toISOString(), published_at: env.clock().toISOString() });
  });

  it('shows a reader the same, without Acknowledge, and who is on call', async () => {
    const blocks = await openHome(READER);
    const lines = textOf(blocks);
    expect(lines[0]).toBe('On call: <@U0ONCALL1> primary, <@U0ONCALL2> secondary until Mon 30 Nov 00:00 UTC (in 3 d 11 h).');
    expect(lines).toContain('Firing alerts (1)');
    expect(buttons(blocks).map((b) => b.action_id)).not.toContain(ALERT_ACK_ACTION);
    expect(lines).toContain('Acknowledging is for responders: the on-call engineer has the button.');
    expect(lines).toContain('Mon 30 Nov 00:00 UTC (in 3 d 11 h): <@U0ONCALL1> → <@U0ONCALL2>');
    expect(lines).toContainEqual(expect.stringContaining('*Notes* from <@U0ONCALL1>'));
    // Reading is for everyone: the read-tier diagnostics are there.
    expect(buttons(blocks).map((b) => b.action_id)).toEqual(expect.arrayContaining(['atlas_home_run:health', 'atlas_home_run:alerts', 'atlas_home_run:incidents']));
    assertBlockKitLimits('home', blocks);
  });

  it('publishes nothing when the Messages tab is opened', async () => {
    expect((await openTab(TEST_USER, 'messages')).status).toBe(200);
    await settle();
    expect(publishes(TEST_USER)).toEqual([]);
    expect(homeRow(TEST_USER)).toBeUndefined();
  });

  it('logs a malformed event and publishes nothing', async () => {
    const payload = eventCallbackPayload({ bot: slack().bot, event: { type: 'app_home_opened', user: 'not a user', tab: 'home', event_ts: '1.000001' }, eventId: 'Ev0BAD', eventTime: 1 });
    expect((await h.post(JSON.stringify(payload), { contentType: 'application/json' })).status).toBe(200);
    await eventually(() => h.logs.lines.find((l) => l.msg === 'malformed app_home_opened event'), 'the warning');
    expect(slack().calls('views.publish')).toEqual([]);
  });
});

describe('buttons on the Home tab answer by DM', () => {
  it('Acknowledge acknowledges; the answer and a second press’s refusal arrive by DM', async () => {
    await fireAlert('replica_lag');
    await openHome(TEST_USER);
    const key = (await env.deps.state.alerts.firing())[0]!.key;
    // A trigger Slack never issued: the form cannot open, so the answer is a sentence.
    expect((await pressOnHome(TEST_USER, ALERT_ACK_ACTION, { triggerId: '1.1.deadbeef' })).status).toBe(200);
    const first = await eventually(() => dmTexts(TEST_USER)[0], 'the DM answer');
    expect((await env.deps.state.alerts.get(key))!.incident_id).toBe('INC-20261126-1');
    expect(first).toMatch(/^replica_lag acknowledged after 0 s: INC-20261126-1 \(P1\) is open and yours; .* The form did not open; `\/atlas ack-details/);

    // The Home still shows the button until it is republished; pressing it again is refused by DM.
    expect((await pressOnHome(TEST_USER, ALERT_ACK_ACTION)).status).toBe(200);
    const second = await eventually(() => dmTexts(TEST_USER)[1], 'the second DM');
    expect(second).toMatch(/already/i);
    expect(slack().calls('response_url')).toEqual([]);
    // The Home is the person's DM with the bot: authorized and audited as that DM.
    expect(runs().map((r) => [r.command, r.via, r.channel_id, r.outcome])).toEqual([
      ['ack', 'button', dmOf(TEST_USER), 'ok'],
      ['ack', 'button', dmOf(TEST_USER), expect.not.stringMatching(/^ok$/)],
    ]);
  });

  it('offers and runs Acknowledge on the Home when responders.channels limits where incident commands run', async () => {
    await h.close();
    const limited = { ...env.deps.config, responders: { ...env.deps.config.responders, channels: [CHANNEL] } };
    // The Home's press is authorized as the person's DM with the bot, which Slack confirms (conversations.open).
    let client: Harness['app']['app']['client'] | null = null;
    registry = createRegistry(createAuthorizer(limited, undefined, undefined, undefined, botDmCheck(() => client)));
    h = await startHarness({ deps: { ...env.deps, config: limited }, registry, slack: d.slack });
    client = h.app.app.client;
    await fireAlert('replica_lag');
    const blocks = await openHome(TEST_USER);
    expect(buttons(blocks).some((b) => b.action_id === ALERT_ACK_ACTION)).toBe(true);
    expect((await pressOnHome(TEST_USER, ALERT_ACK_ACTION, { triggerId: '1.1.deadbeef' })).status).toBe(200);
    await eventually(() => dmTexts(TEST_USER)[0], 'the DM answer');
    expect((await env.deps.state.alerts.firing())[0]!.incident_id).toBe('INC-20261126-1');
    expect(runs().at(-1)).toMatchObject({ command: 'ack', channel_id: dmOf(TEST_USER), outcome: 'ok' });
  });

  it('Acknowledge opens the form from the Home with the press’s trigger', async () => {
    await fireAlert('replica_lag');
    await openHome(TEST_USER);
    expect((await pressOnHome(TEST_USER, ALERT_ACK_ACTION)).status).toBe(200);
    const open = await eventually(() => slack().calls('views.open').find((c) => c.status === 200 && c.answer?.ok === true), 'the form');
    expect((open.args.view as { callback_id: string }).callback_id).toBe('atlas_ack_details');
    await settle();
    expect(dmTexts(TEST_USER)).toEqual([]);
  });

  it('each diagnostics button runs its subcommand and the report arrives by DM', async () => {
    await fireAlert('replica_lag');
    const commands = buttons(await openHome(READER))
      .filter((b) => b.action_id?.startsWith('atlas_home_run:'))
      .map((b) => b.value!);
    expect(commands).toEqual(['health', 'alerts', 'jobs', 'incidents', 'oncall']);
    for (const [i, command] of commands.entries()) {
      expect((await pressOnHome(READER, `atlas_home_run:${command}`)).status).toBe(200);
      const answer = await eventually(() => slack().messages(dmOf(READER))[i], `the ${command} report by DM`);
      expect(answer.blocks?.length, command).toBeGreaterThan(0);
      expect(answer.user).toBe(slack().bot.userId);
    }
    expect(slack().messages(dmOf(READER))[1]!.text).toBe('🔴 1 firing alert, 1 not acknowledged');
    expect(runs().map((r) => [r.command, r.via, r.user_id, r.channel_id])).toEqual(commands.map((c) => [c, 'button', READER, dmOf(READER)]));
    expect(runs().map((r) => r.outcome)).not.toContainEqual(expect.stringMatching(/^(error|usage|denied)$/));
    expect(slack().calls('response_url')).toEqual([]);
  });

  it('a diagnostics press whose value is not its command gets one sentence by DM and runs nothing', async () => {
    await openHome(READER);
    expect((await pressOnHome(READER, 'atlas_home_run:health', { overrideValue: 'doctor' })).status).toBe(200);
    expect(await eventually(() => dmTexts(READER)[0], 'the refusal')).toBe(MALFORMED_PRESS);
    expect(runs()).toEqual([]);
  });
});

describe('when views.publish fails', () => {
  it('logs Slack’s refusal and a 500, stays up, and publishes at the next opening', async () => {
    d.slack.faults.inject({ method: 'views.publish', kind: 'error', error: 'internal_error' });
    expect((await openTab(TEST_USER)).status).toBe(200);
    await eventually(() => h.logs.lines.find((l) => l.msg === 'could not publish the Home tab'), 'the warning');
    expect(homeRow(TEST_USER)).toMatchObject({ published_at: null });

    d.slack.faults.inject({ method: 'views.publish', kind: 'http', status: 500 });
    expect((await openTab(TEST_USER)).status).toBe(200);
    await eventually(() => h.logs.lines.filter((l) => l.msg === 'could not publish the Home tab').length === 2, 'the second warning');
    expect((await fetch(`${h.baseUrl}/healthz`)).status).toBe(200);

    await openHome(TEST_USER);
    expect(homeRow(TEST_USER)?.published_at).toBe(env.clock().toISOString());
  });

  it('gives up on a views.publish that hangs after its time bound', async () => {
    d.slack.faults.inject({ method: 'views.publish', kind: 'hang' });
    const publish = homePublisher({ deps: env.deps, registry, logger: h.logger }, h.app.app.client, { publishBoundMs: 200 });
    // The hang is for good: publish() answering at all is the bound at work.
    expect(await publish(TEST_USER)).toBe(false);
    expect(h.logs.lines.find((l) => l.msg === 'could not publish the Home tab')?.err).toMatchObject({ message: 'no answer within 200 ms' });
    expect((await fetch(`${h.baseUrl}/healthz`)).status).toBe(200);
  });
});

describe('the refresh job', () => {
  const job = () => homeRefreshJob(env.deps, homePublisher({ deps: env.deps, registry, logger: h.logger }, h.app.app.client));

  it('republishes for someone who opened it recently, at most once per 10 s, and not for someone who opened it 2 h ago', async () => {
    await openHome(READER);
    env.clock.advance(2 * 60 * MIN);
    await openHome(TEST_USER);
    expect(await job().run()).toEqual([]);

    // A change right after the opening: not republished within 10 s of the last publish.
    await declareIncident(env.deps, { title: 'snapshot stale', actorId: TEST_USER });
    expect(homeRow(TEST_USER)?.stale_at).not.toBeNull();
    env.clock.advance(5_000);
    expect(await job().run()).toEqual([]);
    env.clock.advance(6_000);
    expect(await job().run()).toEqual([TEST_USER]);
    expect(published(TEST_USER)).toHaveLength(2);
    expect(textOf(homeOf(TEST_USER)!.blocks as Block[])).toContain('Open incidents (1)');
    expect(published(READER)).toHaveLength(1);

    // Nothing changed since: nothing to publish.
    env.clock.advance(11_000);
    expect(await job().run()).toEqual([]);

    // Two changes in a row: one publish, after the 10 s.
    const incident = (await env.deps.state.incidents.open())[0]!;
    await changeOwner(env.deps, incident.id, SECOND, TEST_USER);
    expect(await job().run()).toEqual([TEST_USER]);
    await changeOwner(env.deps, incident.id, TEST_USER, TEST_USER);
    env.clock.advance(10_000);
    expect(await job().run()).toEqual([]);
    env.clock.advance(1);
    expect(await job().run()).toEqual([TEST_USER]);
    expect(published(TEST_USER)).toHaveLength(4);
    expect(published(READER)).toHaveLength(1);
    assertBlockKitLimits('home', homeOf(TEST_USER)!.blocks as unknown[]);
  });

  it('leaves the Home alone for a reminder that changes nothing it shows', async () => {
    const { incident } = await declareIncident(env.deps, { title: 'snapshot stale', actorId: TEST_USER });
    const due = new Date((await nextDeadline(env.deps.state, incident.id))!.due_at);
    env.clock.set(new Date(due.getTime() - MIN));
    await openHome(TEST_USER);
    env.clock.set(due);
    expect((await sweepTimers(env.deps)).reminders.length).toBeGreaterThan(0);
    env.clock.advance(11_000);
    expect(await job().run()).toEqual([]);
  });

  it('republishes after an acknowledgement, so the Acknowledge button goes', async () => {
    await fireAlert('replica_lag');
    const before = await openHome(TEST_USER);
    expect(buttons(before).map((b) => b.action_id)).toContain(ALERT_ACK_ACTION);
    await acknowledgeAlert(env.deps, 'replica_lag', TEST_USER);
    env.clock.advance(11_000);
    expect(await job().run()).toEqual([TEST_USER]);
    const after = homeOf(TEST_USER)!.blocks as Block[];
    expect(buttons(after).map((b) => b.action_id)).not.toContain(ALERT_ACK_ACTION);
    expect(textOf(after)).toContainEqual(expect.stringContaining('Acknowledged: INC-20261126-1'));
  });
});

describe('the Home tab’s limits', () => {
  it('caps long lists with "… and N more" and stays within Block Kit’s limits', () => {
    const now = new Date('2026-11-26T12:00:00.000Z');
    const long = `${'very long title with <!channel> '.repeat(20)}end`;
    const content: HomeContent = {
      viewer: TEST_USER,
      now,
      onCall: { kind: 'you', role: 'secondary', until: SHIFT_CHANGE, partner: SECOND, coveringFor: READER },
      incidents: Array.from({ length: 30 }, (_, i) => ({
        id: `INC-20261126-${i + 1}`,
        severity: 'P2' as const,
        status: 'investigating' as const,
        title: long,
        ownerId: i % 2 ? TEST_USER : null,
        openedAt: now.toISOString(),
        ageMs: 60_000,
        nextDeadline: null,
      })),
      alerts: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, name: `alert_${i}`, severity: 'P1' as const, firedAt: now.toISOString(), message: long, incidentId: null, acknowledge: true })),
      health: {
        state: 'ready',
        status: 'unhealthy',
        checkedAt: now,
        items: Array.from({ length: 12 }, (_, i) => ({ key: `item${i}`, label: `Check ${i}`, level: 'crit' as const, value: 50, unit: '%' as const, alert: '< 80 %', detail: long })),
      },
      handoff: { at: SHIFT_CHANGE, outgoing: SECOND, incoming: TEST_USER, notes: { text: Array.from({ length: 20 }, () => long).join('\n'), by: SECOND, at: now.toISOString() } },
      diagnostics: ['health', 'alerts', 'jobs', 'incidents', 'oncall'],
      replicas: [
        { name: 'bot-a', host: 'atlas-1', id: 'bot-a:1:ab', reachesData: true, seenSecondsAgo: 3, leases: ['alerts', 'timers'], self: false },
        { name: 'bot-b', host: 'office-2', id: 'bot-b:1:cd', reachesData: false, seenSecondsAgo: 5, leases: ['retention'], self: true },
      ],
    };
    const view = homeView(content);
    expect(view.type).toBe('home');
    assertBlockKitLimits('home', view.blocks);
    const lines = textOf(view.blocks as Block[]);
    expect(lines[0]).toBe('📟 *You are on call (secondary, covering for <@U0READER>)* until Mon 30 Nov 00:00 UTC (in 3 d 12 h). Primary: <@U0ONCALL2>.');
    expect(lines).toContain(`… and ${30 - HOME_LIST_MAX} more: \`/atlas incidents\` lists them all.`);
    expect(lines).toContain(`… and ${30 - HOME_LIST_MAX} more: \`/atlas alerts\` lists them all.`);
    expect(lines).toContainEqual(expect.stringContaining('… and 7 more: the *Health* button below lists them.'));
    expect(lines).toContainEqual(expect.stringContaining('• … 12 more'));
    expect(lines.join('\n')).not.toContain('<!channel>');
    expect(lines).toContain('Bot replicas: bot-a on atlas-1: reaches the service data (runs alerts, timers) · bot-b (this one) on office-2: no service data (runs retention)');
  });
});

describe('manifest.yml', () => {
  it('enables the Home and Messages tabs and subscribes to app_home_opened at /slack/events', () => {
    const manifest = YAML.parse(readFileSync(fileURLToPath(new URL('../../manifest.yml', import.meta.url)), 'utf8')) as {
      features: { app_home: Record<string, boolean> };
      settings: { event_subscriptions: { request_url: string; bot_events: string[] } };
    };
    expect(manifest.features.app_home).toEqual({ home_tab_enabled: true, messages_tab_enabled: true, messages_tab_read_only_enabled: false });
    expect(new URL(manifest.settings.event_subscriptions.request_url).pathname).toBe('/slack/events');
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(['app_home_opened']);
  });
});
