import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlert } from '../../src/alerts/alert-ingest.js';
import { createAuthorizer } from '../../src/commands/authorize.js';
import type { Actor } from '../../src/commands/command-spec.js';
import { incidentCommands } from '../../src/commands/incident-commands.js';
import { parseUserRef } from '../../src/commands/incident-args.js';
import { incidentFormCommands } from '../../src/commands/incident-form-commands.js';
import { incidentReadCommands } from '../../src/commands/incident-read-commands.js';
import { CommandRegistry } from '../../src/commands/registry.js';
import type { CallRecord } from '../../src/sandbox/slack-stand-in.js';
import { renderPlainText } from '../../src/templates/plain-text.js';
import { startDeliveryHarness, type DeliveryHarness } from '../helpers/delivery-harness.js';
import { createAtlasFiles, tempDir, TEST_NOW, testDeps, type TestEnv } from '../helpers/test-deps.js';

const ONCALL = 'U0ONCALL1';
const OTHER = 'U0ONCALL2';
const VISITOR = 'U0VISITOR';
const TECH_LEAD = 'U0TECHLEAD';
const CHANNEL = 'C0INCIDENT';
const MIN = 60_000;
const NOW = new Date(TEST_NOW);
const at = (minutes: number) => new Date(NOW.getTime() + minutes * MIN).toISOString();

let cleanup: () => void;
let metrics: Database.Database;
let env: TestEnv;
let registry: CommandRegistry;
let h: DeliveryHarness | undefined;

const slackActor = (userId = ONCALL): Actor => ({ source: 'slack', userId, channelId: CHANNEL });

beforeEach(() => {
  const t = tempDir();
  cleanup = t.cleanup;
  const dataDir = path.join(t.dir, '.shadow-atlas');
  const files = createAtlasFiles(dataDir);
  files.persistence.close();
  metrics = files.metrics;
  env = testDeps(dataDir, {
    file: { channels: { incidents: CHANNEL }, escalation: { techLead: TECH_LEAD }, responders: { users: [ONCALL, OTHER] } },
  });
  registry = new CommandRegistry([...incidentCommands, ...incidentReadCommands, ...incidentFormCommands], createAuthorizer(env.deps.config));
});

afterEach(async () => {
  await h?.close();
  h = undefined;
  await env.close();
  metrics.close();
  cleanup();
});

/** The P0 alert as ingestion leaves it (from metrics.db), fired 3 minutes ago. */
async function firingAlert(name = 'IpfsDown', firedAt = at(-3)) {
  metrics.prepare("INSERT INTO alerts (name, status, message, fired_at) VALUES (?, 'firing', 'x', ?)").run(name, firedAt.slice(0, 19).replace('T', ' '));
  const now = env.clock();
  env.clock.set(new Date(firedAt));
  await ingestAlert(env.deps, { name, status: 'firing', message: 'All IPFS gateways failing', source: 'metrics-db', firedAt: new Date(firedAt) });
  env.clock.set(now);
}

async function run(text: string, actor = slackActor()) {
  return registry.run(text.split(' ').filter(Boolean), actor, env.deps);
}

function count(sql: string): number {
  return (env.db.prepare(sql).get() as { n: number }).n;
}

function timers(incidentId: string) {
  return env.db
    .prepare('SELECT kind, due_at FROM timers WHERE incident_id = ? AND fired_at IS NULL AND cancelled_at IS NULL ORDER BY due_at, kind')
    .all(incidentId) as { kind: string; due_at: string }[];
}

const sends = (): CallRecord[] => h!.slack.workspace.calls().filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update');
const blocksOf = (c: CallRecord) => JSON.stringify(c.args.blocks ?? []);

describe('a P0 from alert to review, through the registry', () => {
  it('acknowledges, updates, re-plans, hands over, escalates, resolves and reviews, each message once and in the thread', async () => {
    h = await startDeliveryHarness(env);
    const workspace = h.slack.workspace;
    await firingAlert();
    await h.delivery.drain();
    expect(workspace.messages(CHANNEL)).toHaveLength(1);
    const ALERT_TS = workspace.messages(CHANNEL)[0]!.ts;
    const id = 'INC-20261126-1';
    let seen = sends().length;
    /** What reached Slack since the last look, after delivering everything due. */
    const delivered = async () => {
      await h!.delivery.drain();
      const out = sends().slice(seen);
      seen = sends().length;
      expect(out.every((c) => c.status === 200 && c.answer?.ok === true)).toBe(true);
      return out;
    };

    const acked = await run('ack IpfsDown');
    expect(acked.outcome).toBe('ok');
    expect(acked.report.headline).toBe(`IpfsDown acknowledged after 3 min: ${id} (P0) is open and yours; the initial response is in its thread.`);
    expect(acked.report.modal).toEqual({ kind: 'ack-details', incidentId: id });
    expect(acked.report.footer).toBe('Impact and next update: being assessed, 12:30 UTC by default (in the terminal: --impact and --eta).');
    let out = await delivered();
    expect(out.map((c) => c.method)).toEqual(['chat.update', 'chat.postMessage']);
    expect(out[0]!.args).toMatchObject({ channel: CHANNEL, ts: ALERT_TS });
    expect(out[0]!.args.text).toBe(`🔎 ${id} P0 investigating: IpfsDown: All IPFS gateways failing`);
    expect(out[1]!.args).toMatchObject({ channel: CHANNEL, thread_ts: ALERT_TS });
    expect(out[1]!.args.text).toBe(`🔎 ${id} acknowledged by <@${ONCALL}> after 3 min · IpfsDown: All IPFS gateways failing`);
    expect(metrics.prepare('SELECT acknowledged_at FROM alerts').get()).toEqual({ acknowledged_at: '2026-11-26 12:00:00' });

    // A second acknowledgement is told who was first, and nothing is posted.
    const again = await run('ack ipfsdown', slackActor(OTHER));
    expect(again.outcome).toBe('error');
    expect(again.report.headline).toBe(`IpfsDown is already acknowledged by <@${ONCALL}> as ${id} at 12:00 UTC.`);
    expect(await delivered()).toEqual([]);

    env.clock.advance(10 * MIN);
    const form = await run(`update ${id}`);
    expect(form.report.modal).toEqual({ kind: 'update', incidentId: id });
    expect(form.report.headline).toContain('in the terminal give --summary');
    const upd = await registry.run(
      ['update', '--summary', 'Gateways timing out', '--completed', 'Checked w3s.link', '--in-progress', 'Trying dweb.link', '--status', 'identified'],
      slackActor(),
      env.deps,
    );
    expect(upd.report.headline).toBe(`Update posted in ${id}'s thread; the next one is due by 12:40 UTC.`);
    out = await delivered();
    expect(out.map((c) => [c.method, c.args.thread_ts ?? c.args.ts])).toEqual([
      ['chat.postMessage', ALERT_TS],
      ['chat.update', ALERT_TS],
    ]);
    expect(out[0]!.args.text).toBe(`🔄 ${id} update [12:10 UTC]: Gateways timing out`);
    expect(blocksOf(out[0]!)).toContain('• ✅ Checked w3s.link');
    expect(out[1]!.args.text).toContain(`${id} P0 identified`);

    const sev = await run(`sev ${id.toLowerCase()} p1`);
    expect(sev.report.headline).toBe(`${id} is now P1 (was P0); updates every 2–4 h, timers re-planned.`);
    expect(timers(id)).toEqual([
      { kind: 'escalate-tech-lead', due_at: at(117) },
      { kind: 'update-due', due_at: at(130) },
      { kind: 'handoff-suggest', due_at: at(237) },
      { kind: 'break-nudge', due_at: at(480) },
    ]);

    const own = await run(`own ${id} <@${OTHER}|bob>`);
    expect(own.report.headline).toBe(`<@${OTHER}> now owns ${id}.`);
    expect((await env.deps.state.incidents.get(id))!.owner_id).toBe(OTHER);

    const note = await run(`note ${id} <!channel> pin failures need an alert`, slackActor(OTHER));
    expect(note.report.headline).toBe(`Note added to ${id}'s timeline.`);

    const escForm = await run(`escalate ${id} tech-lead`, slackActor(OTHER));
    expect(escForm.report.modal).toEqual({ kind: 'escalate', incidentId: id, target: 'techlead' });
    const esc = await registry.run(['escalate', id, 'techlead', '--need', 'decision on rebuilding from IPFS'], slackActor(OTHER), env.deps);
    expect(esc.outcome).toBe('ok');
    expect(esc.report.headline).toBe(`Escalated ${id} to the tech lead, <@${TECH_LEAD}>, in its thread.`);

    out = await delivered();
    const texts = out.filter((c) => c.method === 'chat.postMessage').map((c) => c.args.text);
    expect(texts).toEqual([
      `⬇️ ${id} severity P0 → P1`,
      `👤 ${id} now owned by <@${OTHER}>`,
      `📝 ${id} note from <@${OTHER}>: &lt;!channel&gt; pin failures need an alert`,
      `📣 ${id} escalated to the tech lead (<@${TECH_LEAD}>) by <@${OTHER}>`,
    ]);
    // Four changes to the card in a row are one edit.
    expect(out.filter((c) => c.method === 'chat.update')).toHaveLength(1);
    expect(out.every((c) => !JSON.stringify(c.args).includes('<!channel>'))).toBe(true);
    const escalation = out.find((c) => String(c.args.text).startsWith('📣'))!;
    // A P1 escalation stays in the thread; a P0 one is broadcast to the channel.
    expect(escalation.args.reply_broadcast).toBe('false');
    expect(blocksOf(escalation)).toContain(`<@${TECH_LEAD}> - Escalating P1 incident ${id}`);
    expect(blocksOf(escalation)).toContain('• ✅ Checked w3s.link');

    const listed = await run('incidents', slackActor(VISITOR));
    expect(listed.report.headline).toBe('1 open incident: 1 P1');
    expect(listed.report.sections[0]!.table!.rows).toEqual([[id, 'P1', 'identified', `<@${OTHER}>`, '13 min', 'status update due 14:10 UTC (in 2 h)', 'IpfsDown: All IPFS gateways failing']]);

    env.clock.advance(50 * MIN);
    const resForm = await run(`resolve ${id}`);
    expect(resForm.report.modal).toEqual({ kind: 'resolve', incidentId: id });
    const res = await registry.run(['resolve', id, '--resolution', 'Switched to dweb.link', '--impact', 'Retrievals failed for 1 h'], slackActor(OTHER), env.deps);
    expect(res.outcome).toBe('warn');
    expect(res.report.headline).toBe(`${id} resolved after 1 h 3 min; review due by 2026-11-28 13:00 UTC. 1 alert is still firing: IpfsDown.`);
    expect(res.report.data).toEqual({ incidentId: id, firingAlerts: ['IpfsDown'] });
    expect(timers(id)).toEqual([{ kind: 'review-reminder', due_at: at(60 + 48 * 60) }]);
    out = await delivered();
    expect(out.map((c) => [c.method, c.args.thread_ts ?? c.args.ts ?? null])).toEqual([
      ['chat.postMessage', ALERT_TS],
      ['chat.postMessage', ALERT_TS],
      ['chat.postMessage', null],
      ['chat.update', ALERT_TS],
      // The debrief offered to the two responders, each in their DM.
      ['chat.postMessage', null],
      ['chat.postMessage', null],
    ]);
    expect(out.slice(4).map((c) => c.args.text)).toEqual([`🗓️ Debrief for ${id}: suggested Thu 26 Nov 14:00 UTC`, `🗓️ Debrief for ${id}: suggested Thu 26 Nov 14:00 UTC`]);
    expect(out[0]!.args.text).toBe(`✅ ${id} resolved after 1 h 3 min by <@${OTHER}>`);
    expect(out[1]!.args.text).toBe(`📋 ${id} post-incident checklist`);
    expect(out[2]!.args).toMatchObject({ channel: CHANNEL, text: `✅ ${id} (P1) resolved after 1 h 3 min: IpfsDown: All IPFS gateways failing` });
    expect(out[3]!.args.text).toContain(`${id} P1 resolved`);

    const late = await run(`update ${id} --summary more`);
    expect(late.report.headline).toBe(`${id} is already resolved (2026-11-26 13:00 UTC).`);

    expect((await run('incidents')).report.headline).toBe('No open incidents');
    const story = await run(`timeline ${id}`, slackActor(VISITOR));
    expect(story.outcome).toBe('info');
    expect(story.report.headline).toBe(`${id} (P1, resolved after 1 h 3 min): 9 events`);
    expect(story.report.sections[0]!.lines).toEqual([
      '11:57 UTC · bot · Alert IpfsDown fired: All IPFS gateways failing',
      `12:00 UTC · <@${ONCALL}> · Acknowledged after 3 min; incident opened (P0)`,
      `12:10 UTC · <@${ONCALL}> · Update: Gateways timing out (status investigating → identified)`,
      `12:10 UTC · <@${ONCALL}> · Severity P0 → P1`,
      `12:10 UTC · <@${ONCALL}> · Owner U0ONCALL1 → U0ONCALL2`,
      `12:10 UTC · <@${OTHER}> · <!channel> pin failures need an alert`,
      `12:10 UTC · <@${OTHER}> · Escalated to the tech lead (U0TECHLEAD): decision on rebuilding from IPFS`,
      `13:00 UTC · <@${OTHER}> · Resolved after 1 h 3 min: Switched to dweb.link`,
      `13:00 UTC · bot · Debrief offered to ${OTHER}, ${ONCALL}, suggested 2026-11-26 14:00 UTC`,
    ]);

    const draft = await run(`review ${id}`, slackActor(VISITOR));
    expect(draft.outcome).toBe('info');
    expect(draft.report.sections[0]!.lines![0]).toBe(`# Incident Report: ${id} IpfsDown: All IPFS gateways failing`);
    expect(draft.report.sections[0]!.lines).toContain(`- [ ] <!channel> pin failures need an alert (noted by ${OTHER}, 12:10 UTC)`);
    expect((await run(`review ${id} done`)).report.headline).toBe(`Marking the review done is \`review-done ${id}\` (for responders).`);
    expect((await run(`review-done ${id}`, slackActor(VISITOR))).outcome).toBe('denied');
    const reviewed = await run(`review-done ${id}`);
    expect(reviewed.report.headline).toBe(`Review of ${id} marked done; the reminder is off.`);
    expect(timers(id)).toEqual([]);
    out = await delivered();
    // The reply, the card, and the checklist edited in place (it now says the review is done).
    expect(out.map((c) => c.args.text)).toEqual([
      `📋 ${id} post-incident review marked done by <@${ONCALL}>`,
      expect.stringContaining(`${id} P1 resolved`),
      `📋 ${id} post-incident checklist`,
    ]);

    // Everything was delivered exactly once: nothing pending, nothing failed; the channel holds
    // the alert (now the card) and the closing line, the thread the rest.
    expect(await env.deps.state.outbox.stats(env.deps.clock())).toEqual({ pending: 0, failed: 0, oldestPendingSec: 0 });
    expect(workspace.messages(CHANNEL).map((m) => m.ts)).toEqual([ALERT_TS, expect.any(String)]);
    expect(workspace.replies(CHANNEL, ALERT_TS)).toHaveLength(9);
  });
});

describe('incident commands', () => {
  it('lets anyone read but only responders act', async () => {
    await firingAlert();
    const denied = await run('ack IpfsDown', slackActor(VISITOR));
    expect(denied.outcome).toBe('denied');
    expect(denied.report.headline).toBe("`ack` is for responders; ask the on-call lead to add you in the bot's config.");
    for (const text of ['declare tiger down', 'update --summary x', 'sev P1', 'own', 'note hello', 'escalate', 'resolve --resolution x', 'resolve-alerts', 'review-done']) {
      expect((await run(text, slackActor(VISITOR))).outcome).toBe('denied');
    }
    expect((await run('incidents', slackActor(VISITOR))).outcome).toBe('ok');
    expect(count('SELECT COUNT(*) AS n FROM incidents')).toBe(0);
    expect(count("SELECT COUNT(*) AS n FROM command_runs WHERE outcome = 'denied' AND user_id = 'U0VISITOR'")).toBe(10);
  });

  it('numbers acknowledged incidents per UTC day, and two simultaneous acks make one incident', async () => {
    await firingAlert('A1');
    await firingAlert('A2');
    await firingAlert('A3', at(24 * 60));
    const [first, second] = await Promise.all([run('ack A1'), run('ack A1', slackActor(OTHER))]);
    expect(first!.report.headline).toMatch(/^A1 acknowledged after 3 min: INC-20261126-1 /);
    expect(second!.outcome).toBe('error');
    expect(second!.report.headline).toBe(`A1 is already acknowledged by <@${ONCALL}> as INC-20261126-1 at 12:00 UTC.`);
    expect((await run('ack a2', slackActor(OTHER))).report.headline).toContain('INC-20261126-2');
    env.clock.set(at(24 * 60 + 5));
    expect((await run('ack A3')).report.headline).toBe('A3 acknowledged after 5 min: INC-20261127-1 (P0) is open and yours; the initial response is in its thread.');
    expect(env.db.prepare('SELECT id, owner_id FROM incidents ORDER BY id').all()).toEqual([
      { id: 'INC-20261126-1', owner_id: ONCALL },
      { id: 'INC-20261126-2', owner_id: OTHER },
      { id: 'INC-20261127-1', owner_id: ONCALL },
    ]);
  });

  it('declares with the severity from the title or --sev, and refuses a bad one before doing anything', async () => {
    const tiger = await run('declare tiger down since 3am');
    expect(tiger.report.headline).toBe('Declared INC-20261126-1 (P1, matches "provider outage"); it is yours, and the initial response is in its thread.');
    const forced = await run('declare odd dashboard --sev p0');
    expect(forced.report.headline).toContain('INC-20261126-2 (P0, as declared)');
    const bad = await run('declare odd --sev P7');
    expect(bad.outcome).toBe('usage');
    expect(bad.report.headline).toContain('--sev: severity is P0, P1 or P2 (got "P7")');
    expect((await run('declare')).outcome).toBe('usage');
    expect(count('SELECT COUNT(*) AS n FROM incidents')).toBe(2);
  });

  it('acknowledges with --impact and --eta in the terminal, and refuses a bad --eta before acknowledging', async () => {
    await firingAlert();
    const cli: Actor = { source: 'cli', userId: 'alice' };
    const bad = await registry.run(['ack', 'IpfsDown', '--eta', 'after lunch'], cli, env.deps);
    expect(bad.outcome).toBe('error');
    expect(bad.report.headline).toBe('--eta "after lunch" is not a time: give minutes (30m), hours (2h) or a UTC time (14:30).');
    expect(count('SELECT COUNT(*) AS n FROM incidents')).toBe(0);
    const ok = await registry.run(['ack', 'IpfsDown', '--impact', 'No retrievals', '--eta', '20m'], cli, env.deps);
    expect(ok.report.headline).toBe(
      'IpfsDown acknowledged after 3 min: INC-20261126-1 (P0) is open and yours; the initial response is in its thread. INC-20261126-1: impact recorded, next update 12:20 UTC.',
    );
    expect(ok.report.modal).toBeUndefined();
    expect(await env.deps.state.incidents.get('INC-20261126-1')).toMatchObject({ owner_id: 'alice', impact: 'No retrievals', next_update_at: at(20) });
    expect(renderPlainText(ok.report)).toMatch(/^\[OK\] IpfsDown acknowledged after 3 min/);
    expect(env.db.prepare('SELECT source, via, user_id FROM command_runs ORDER BY id').all()).toEqual([
      { source: 'cli', via: 'terminal', user_id: 'alice' },
      { source: 'cli', via: 'terminal', user_id: 'alice' },
    ]);
  });

  it('finds the only open incident when none is named, and says which ones when several are', async () => {
    expect((await run('note hello')).report.headline).toBe('No incident is open. `/atlas incidents` lists them; `/atlas declare <title>` opens one.');
    await run('declare slow queries');
    expect((await run('note checked the index')).report.headline).toBe("Note added to INC-20261126-1's timeline.");
    expect((await run('sev P1')).report.headline).toContain('INC-20261126-1 is now P1');
    await run('declare tiger down');
    const which = await run('note hello');
    expect(which.outcome).toBe('error');
    expect(which.report.headline).toBe('2 incidents are open (INC-20261126-1, INC-20261126-2); say which one.');
    expect((await run('timeline INC-20261126-7')).report.headline).toBe('No incident INC-20261126-7. `/atlas incidents` lists the open ones.');
  });

  it('reads owners as Slack mentions, @IDs, bare IDs or the actor', async () => {
    expect(parseUserRef('<@U0ONCALL2|bob>')).toBe(OTHER);
    expect(parseUserRef('<@U0ONCALL2>')).toBe(OTHER);
    expect(parseUserRef('@U0ONCALL2')).toBe(OTHER);
    expect(parseUserRef('U0ONCALL2')).toBe(OTHER);
    expect(parseUserRef('@alice')).toBe('alice');
    await run('declare slow queries', slackActor(OTHER));
    expect((await run('own')).report.headline).toBe(`<@${ONCALL}> now owns INC-20261126-1.`);
    expect((await run('own INC-20261126-1 @U0ONCALL2')).report.headline).toBe(`<@${OTHER}> now owns INC-20261126-1.`);
    expect((await run('own INC-20261126-1 U0ONCALL2')).report.headline).toBe(`<@${OTHER}> already owns INC-20261126-1.`);
  });

  it.each([
    ['alice', '"alice" is not a Slack user'],
    ['@alice', '"alice" is not a Slack user'],
    ['<!here>', '"<!here>" is not a Slack user'],
  ])('refuses `own INC %s` from Slack as a usage error naming what to type, and changes nothing (defect 7)', async (who, message) => {
    await run('declare slow queries');
    const before = await env.deps.state.incidents.get('INC-20261126-1');
    const events = (await env.deps.state.timeline.list('INC-20261126-1')).length;
    const bad = await run(`own INC-20261126-1 ${who}`);
    expect(bad.outcome).toBe('usage');
    expect(bad.report.headline).toBe(`${message}: mention them (@name) or give their user ID (U012ABC3DEF). Usage: \`/atlas own [INC] [@user]\``);
    expect(await env.deps.state.incidents.get('INC-20261126-1')).toEqual(before);
    expect(await env.deps.state.timeline.list('INC-20261126-1')).toHaveLength(events);
    expect(count("SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE '%now owned by%'")).toBe(0);
  });

  it('answers usage errors with the usage line', async () => {
    expect((await run('sev INC-20261126-1 P9')).report.headline).toBe('severity is P0, P1 or P2 (got "P9"). Usage: `/atlas sev [INC] <P0|P1|P2>`');
    expect((await run('escalate INC-20261126-1 ceo')).report.headline).toContain('escalates to one of techlead, cto, secondary, db, security');
    expect((await run('update --status resolved --summary x')).report.headline).toContain('--status: takes investigating, identified or monitoring');
    expect((await run('note')).outcome).toBe('usage');
    expect((await run('incidents now')).outcome).toBe('usage');
  });

  it('resolves the alerts an incident left firing, once, in chatops.db and metrics.db', async () => {
    await firingAlert();
    await run('ack IpfsDown');
    await run('resolve --resolution provider back');
    const done = await run('resolve-alerts');
    expect(done.outcome).toBe('ok');
    expect(done.report.headline).toBe('Resolved 1 alert of INC-20261126-1: IpfsDown.');
    expect((await env.deps.state.alerts.get('ipfsdown'))!.status).toBe('resolved');
    expect(metrics.prepare('SELECT status FROM alerts').get()).toEqual({ status: 'resolved' });
    const again = await run('resolve-alerts INC-20261126-1');
    expect(again.outcome).toBe('error');
    expect(again.report.headline).toBe('No alert of INC-20261126-1 is firing any more.');
  });
});
