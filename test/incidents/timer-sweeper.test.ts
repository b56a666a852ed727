import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getAlert, updateAlert } from '../../src/alerts/alert-store.js';
import { createIncident, getIncident, IncidentError, timeline, updateIncident } from '../../src/incidents/incident-store.js';
import { iso, type AlertRecord, type Incident, type TimerRow } from '../../src/incidents/incident-types.js';
import type { Severity } from '../../src/incidents/severity-matrix.js';
import { planAlertTimers, REVIEW_REMINDER_MINUTES, replanIncidentTimers, scheduleTimer } from '../../src/incidents/timer-plan.js';
import { MAX_TIMER_ATTEMPTS, snoozeTimer, sweepTimers } from '../../src/incidents/timer-sweeper.js';
import { assertBlockKitLimits } from '../../src/templates/block-kit.js';
import { INCIDENT_ESCALATE_ACTION, INCIDENT_REVIEW_DONE_ACTION, INCIDENT_UPDATE_ACTION, TIMER_SNOOZE_ACTION } from '../../src/templates/nudge-messages.js';
import { ALERT_ACK_ACTION } from '../../src/templates/alert-message.js';
import { tempDir, testDeps, TEST_NOW } from '../helpers/test-deps.js';

const MIN = 60_000;

const CONFIG = {
  channels: { incidents: 'C0INCIDENT' },
  responders: { users: ['U0ONCALL1'] },
  escalation: { techLead: 'U0TECHLEAD', cto: 'U0CTOBOSS' },
  rotation: { start: '2026-11-23', handoffTime: '09:00', shiftDays: 7, primary: ['U0PRIMARY'], secondary: ['U0SECONDA'] },
};

type Env = ReturnType<typeof testDeps>;

interface Post {
  kind: string;
  ref: string;
  payload: { text: string; blocks?: Array<Record<string, unknown>>; channel?: string } | null;
}

function posts(env: Env): Post[] {
  return (env.deps.state.prepare('SELECT kind, ref, payload FROM outbox ORDER BY id').all() as Array<{ kind: string; ref: string; payload: string | null }>).map(
    (r) => ({ kind: r.kind, ref: r.ref, payload: r.payload ? (JSON.parse(r.payload) as Post['payload']) : null }),
  );
}

const nudges = (env: Env) => posts(env).filter((p) => p.kind === 'thread-post' || p.kind === 'channel-post');

function buttons(post: Post): Array<{ action_id: string; value: string; text: { text: string } }> {
  const actions = post.payload?.blocks?.find((b) => b.type === 'actions') as { elements: Array<{ action_id: string; value: string; text: { text: string } }> } | undefined;
  return actions?.elements ?? [];
}

function timers(env: Env): TimerRow[] {
  return env.deps.state.prepare('SELECT * FROM timers ORDER BY id').all() as TimerRow[];
}

/** An alert as the ingest leaves it: firing, posted, its acknowledge timers planned. */
function postAlert(env: Env, name: string, severity: Severity): AlertRecord {
  const now = iso(env.clock());
  env.deps.state
    .prepare(
      `INSERT INTO alerts (key, name, status, severity, severity_known, message, fired_at, updated_at, channel_id, message_ts)
       VALUES (?, ?, 'firing', ?, 1, 'all proofs failing since 11:58', ?, ?, 'C0INCIDENT', '1764158400.000100')`,
    )
    .run(name.toLowerCase(), name, severity, now, now);
  const alert = getAlert(env.deps.state, name.toLowerCase())!;
  for (const t of planAlertTimers(alert, env.clock())) scheduleTimer(env.deps.state, { kind: t.kind, due: t.due, alertKey: alert.key }, env.clock());
  return alert;
}

/** An incident as acknowledge/declare leave it: owned, acknowledged now, its clock planned. */
function openIncident(env: Env, severity: Severity, title = 'Proofs failing <!channel>'): Incident {
  const now = env.clock();
  const created = createIncident(
    env.deps.state,
    { title, severity, createdBy: 'U0ONCALL1', ownerId: 'U0ONCALL1', openedAt: now, acknowledgedAt: now, channelId: 'C0INCIDENT', rootTs: '1764158400.000200' },
    now,
  );
  const incident = updateIncident(env.deps.state, created.id, { last_update_at: iso(now) });
  replanIncidentTimers(env.deps.state, incident, now);
  return incident;
}

describe('sweepTimers', () => {
  let env: Env;
  let cleanup: () => void;
  let dataDir: string;

  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    dataDir = path.join(t.dir, '.shadow-atlas');
    env = testDeps(dataDir, { file: CONFIG });
  });
  afterEach(() => {
    env.close();
    cleanup();
  });

  const at = (minutes: number) => env.clock.set(new Date(new Date(TEST_NOW).getTime() + minutes * MIN));

  it('reminds about an unacknowledged alert at 5 min, not a minute before, once, with Acknowledge and Snooze', async () => {
    postAlert(env, 'proof_generation_failing', 'P1');
    at(4);
    expect(await sweepTimers(env.deps)).toMatchObject({ due: 0, fired: 0 });
    expect(nudges(env)).toHaveLength(0);
    at(5);
    expect(await sweepTimers(env.deps)).toMatchObject({ due: 1, fired: 1, cancelled: 0 });
    const [reminder] = nudges(env);
    expect(reminder).toMatchObject({ kind: 'channel-post', ref: 'proof_generation_failing' });
    expect(reminder!.payload!.channel).toBe('C0INCIDENT');
    expect(reminder!.payload!.text).toBe('⏰ P1 alert proof_generation_failing not acknowledged after 5 min');
    const ids = buttons(reminder!).map((b) => b.action_id);
    expect(ids).toEqual([ALERT_ACK_ACTION, `${TIMER_SNOOZE_ACTION}:30`, `${TIMER_SNOOZE_ACTION}:60`, `${TIMER_SNOOZE_ACTION}:120`]);
    const fired = timers(env).find((t) => t.kind === 'ack-reminder')!;
    expect(buttons(reminder!).map((b) => b.value)).toEqual(['proof_generation_failing', `${fired.id}:30`, `${fired.id}:60`, `${fired.id}:120`]);
    assertBlockKitLimits('message', reminder!.payload!.blocks!);
    // Fired once: the next sweeps say nothing more.
    at(6);
    expect(await sweepTimers(env.deps)).toMatchObject({ due: 0, fired: 0 });
    expect(nudges(env)).toHaveLength(1);
  });

  it('mentions the secondary on-call when a P0 stays unacknowledged for 30 min (and not at 29)', async () => {
    postAlert(env, 'all_proofs_failing', 'P0');
    at(5);
    await sweepTimers(env.deps);
    at(29);
    expect((await sweepTimers(env.deps)).fired).toBe(0);
    at(30);
    expect((await sweepTimers(env.deps)).fired).toBe(1);
    const second = nudges(env).at(-1)!;
    expect(second.kind).toBe('channel-post');
    expect(second.payload!.text).toContain('<@U0SECONDA> (secondary on-call), please take it.');
    expect(second.payload!.text).toContain('not acknowledged after 30 min');
  });

  it('says so when no secondary on-call or escalation contact is configured', async () => {
    env.close();
    env = testDeps(dataDir, { file: { channels: { incidents: 'C0INCIDENT' } } });
    postAlert(env, 'all_proofs_failing', 'P0');
    const incident = openIncident(env, 'P0');
    at(30);
    await sweepTimers(env.deps);
    const second = nudges(env).find((p) => p.payload!.text.startsWith('📣'))!;
    expect(second.payload!.text).toContain('No secondary on-call is configured (`rotation.secondary`)');
    const escalation = nudges(env).find((p) => p.payload!.text.startsWith('🆙'))!;
    expect(JSON.stringify(escalation.payload!.blocks)).toContain('escalate to the tech lead now (nobody: `escalation.techLead` is not set in the config)');
    expect(timeline(env.deps.state, incident.id).map((e) => e.text)).toContain('Reminder: escalate to the tech lead (none configured)');
  });

  it('drops the acknowledge reminders of an alert acknowledged or resolved in the meantime', async () => {
    postAlert(env, 'a_acked', 'P0');
    postAlert(env, 'b_resolved', 'P1');
    const incident = openIncident(env, 'P0');
    updateAlert(env.deps.state, 'a_acked', { incident_id: incident.id, acknowledged_by: 'U0ONCALL1', acknowledged_at: iso(env.clock()) });
    updateAlert(env.deps.state, 'b_resolved', { status: 'resolved', resolved_at: iso(env.clock()) });
    at(31);
    const r = await sweepTimers(env.deps);
    // a_acked: ack-reminder + ack-secondary; b_resolved: ack-reminder (its secondary is at 2 h).
    expect(r.cancelled).toBe(3);
    expect(nudges(env).filter((p) => p.kind === 'channel-post')).toHaveLength(0);
    const reasons = timers(env).filter((t) => t.alert_key && !t.incident_id && t.cancelled_at).map((t) => t.last_error);
    expect(reasons.sort()).toEqual(['alert acknowledged', 'alert acknowledged', 'alert resolved']);
  });

  it('fires every P0 incident timer at its minute and not a minute before', async () => {
    const incident = openIncident(env, 'P0');
    // Sweep every minute for 4 hours and note when each kind first fires.
    const firstFired = new Map<string, number>();
    for (let minute = 0; minute <= 240; minute++) {
      at(minute);
      for (const n of (await sweepTimers(env.deps)).nudges) if (!firstFired.has(n.kind)) firstFired.set(n.kind, minute);
    }
    expect(Object.fromEntries(firstFired)).toEqual({ 'update-due': 30, 'escalate-tech-lead': 30, 'escalate-cto': 60, 'handoff-suggest': 240 });
    const texts = nudges(env).map((p) => p.payload!.text);
    expect(texts.filter((t) => t.startsWith(`⏰ No update on ${incident.id}`))).toHaveLength(8); // at 30, 60, … 240: the cadence repeats
    const thread = nudges(env).filter((p) => p.kind === 'thread-post');
    expect(thread.every((p) => p.ref === incident.id)).toBe(true);

    const update = thread.find((p) => p.payload!.text.startsWith('⏰'))!;
    const updateBlock = JSON.stringify(update.payload!.blocks);
    expect(updateBlock).toContain('for 30 min, <@U0ONCALL1>: post one with `/atlas update');
    // The title is escaped: no channel-wide ping.
    expect(updateBlock).toContain('&lt;!channel&gt;');
    expect(updateBlock).not.toContain('<!channel>');
    expect(buttons(update).map((b) => b.action_id)[0]).toBe(INCIDENT_UPDATE_ACTION);

    const techLead = thread.find((p) => p.payload!.text.includes('escalate to the tech lead'))!;
    expect(JSON.stringify(techLead.payload!.blocks)).toContain('<@U0TECHLEAD>');
    expect(buttons(techLead)[0]).toMatchObject({ action_id: INCIDENT_ESCALATE_ACTION, value: `${incident.id}:techlead` });
    const cto = thread.find((p) => p.payload!.text.includes('escalate to the CTO'))!;
    expect(buttons(cto)[0]).toMatchObject({ action_id: INCIDENT_ESCALATE_ACTION, value: `${incident.id}:cto` });
    expect(cto.payload!.text).toContain('open for 1 h');
    const handoff = thread.find((p) => p.payload!.text.startsWith('🔄'))!;
    expect(JSON.stringify(handoff.payload!.blocks)).toContain('`/atlas own');
    expect(JSON.stringify(handoff.payload!.blocks)).toContain('On call now: <@U0PRIMARY>');
    for (const p of thread) assertBlockKitLimits('message', p.payload!.blocks!);

    // Each nudge is on the timeline, said by the bot; the card is refreshed with it.
    const events = timeline(env.deps.state, incident.id).filter((e) => e.kind === 'reminder');
    expect(events.map((e) => e.actor).every((a) => a === 'bot')).toBe(true);
    expect(events.map((e) => e.text)).toContain('Reminder: escalate to the tech lead');
    expect(events.map((e) => e.text)).toContain('Reminder: no status update for 30 min');
    expect(posts(env).filter((p) => p.kind === 'incident-card').length).toBe(events.length);
  });

  it('follows the P1 clock: update at 2 h, tech lead at 2 h, no CTO timer', async () => {
    openIncident(env, 'P1');
    at(119);
    expect((await sweepTimers(env.deps)).fired).toBe(0);
    at(120);
    expect((await sweepTimers(env.deps)).nudges.map((n) => n.kind).sort()).toEqual(['escalate-tech-lead', 'update-due']);
    expect(timers(env).some((t) => t.kind === 'escalate-cto')).toBe(false);
  });

  it('repeats the update reminder at the cadence until an update comes, and not after it', async () => {
    const incident = openIncident(env, 'P0');
    at(30);
    await sweepTimers(env.deps);
    at(59);
    expect((await sweepTimers(env.deps)).nudges.map((n) => n.kind)).not.toContain('update-due');
    at(60);
    expect((await sweepTimers(env.deps)).nudges.map((n) => n.kind)).toContain('update-due');
    const quiet = nudges(env).filter((p) => p.payload!.text.startsWith('⏰')).map((p) => p.payload!.text);
    expect(quiet).toEqual([`⏰ No update on ${incident.id} for 30 min`, `⏰ No update on ${incident.id} for 1 h`]);
    // An update at 70 min: the service records it (and re-plans, but even without that the stale reminder stays quiet).
    at(70);
    updateIncident(env.deps.state, incident.id, { last_update_at: iso(env.clock()) });
    at(90);
    const r = await sweepTimers(env.deps);
    expect(r.nudges.map((n) => n.kind)).not.toContain('update-due');
    expect(timers(env).filter((t) => t.kind === 'update-due').at(-1)).toMatchObject({ last_error: 'updated since' });
  });

  it('stops every timer of an incident that resolved', async () => {
    const incident = openIncident(env, 'P0');
    updateIncident(env.deps.state, incident.id, { status: 'resolved', resolved_at: iso(env.clock()) });
    at(300);
    const r = await sweepTimers(env.deps);
    expect(r).toMatchObject({ fired: 0, cancelled: 4 });
    expect(nudges(env)).toHaveLength(0);
    expect(timers(env).every((t) => t.cancelled_at !== null && t.fired_at === null)).toBe(true);
  });

  it('reminds about the review 48 h after the resolution unless it was marked done', async () => {
    const incident = openIncident(env, 'P1');
    updateIncident(env.deps.state, incident.id, { status: 'resolved', resolved_at: iso(env.clock()) });
    scheduleTimer(env.deps.state, { kind: 'review-reminder', due: new Date(env.clock().getTime() + REVIEW_REMINDER_MINUTES * MIN), incidentId: incident.id }, env.clock());
    at(REVIEW_REMINDER_MINUTES - 1);
    expect((await sweepTimers(env.deps)).nudges.map((n) => n.kind)).not.toContain('review-reminder');
    at(REVIEW_REMINDER_MINUTES);
    expect((await sweepTimers(env.deps)).nudges.map((n) => n.kind)).toEqual(['review-reminder']);
    const reminder = nudges(env).at(-1)!;
    expect(reminder.payload!.text).toBe(`📝 Post-incident review of ${incident.id} is not done yet`);
    expect(JSON.stringify(reminder.payload!.blocks)).toContain(`resolved 2 d ago`);
    expect(buttons(reminder)[0]).toMatchObject({ action_id: INCIDENT_REVIEW_DONE_ACTION, value: incident.id });

    // Marked done: a later reminder (a snoozed one) is dropped.
    scheduleTimer(env.deps.state, { kind: 'review-reminder', due: env.clock(), incidentId: incident.id }, env.clock());
    updateIncident(env.deps.state, incident.id, { review_done_at: iso(env.clock()) });
    expect(await sweepTimers(env.deps)).toMatchObject({ fired: 0, cancelled: 1 });
  });

  it('survives a restart: timers due while the bot was down fire once when it is back', async () => {
    const incident = openIncident(env, 'P0');
    // A stray second update reminder (say, from an old re-plan) is overdue too.
    scheduleTimer(env.deps.state, { kind: 'update-due', due: new Date(env.clock().getTime() + 45 * MIN), incidentId: incident.id }, env.clock());
    env.close();

    // The bot comes back 3 hours later, on the same chatops.db.
    env = testDeps(dataDir, { file: CONFIG });
    at(180);
    const r = await sweepTimers(env.deps);
    expect(r.nudges.map((n) => n.kind).sort()).toEqual(['escalate-cto', 'escalate-tech-lead', 'update-due']);
    expect(r.collapsed).toBe(1);
    const updates = nudges(env).filter((p) => p.payload!.text.startsWith('⏰'));
    expect(updates).toHaveLength(1);
    expect(updates[0]!.payload!.text).toBe(`⏰ No update on ${incident.id} for 3 h`);
    // Re-armed once, 30 min from now; nothing else pending fires now.
    const pending = timers(env).filter((t) => !t.fired_at && !t.cancelled_at);
    expect(pending.map((t) => [t.kind, t.due_at]).sort()).toEqual([
      ['handoff-suggest', iso(new Date(new Date(TEST_NOW).getTime() + 240 * MIN))],
      ['update-due', iso(new Date(new Date(TEST_NOW).getTime() + 210 * MIN))],
    ]);
    expect(await sweepTimers(env.deps)).toMatchObject({ due: 0, fired: 0 });
    expect(getIncident(env.deps.state, incident.id)!.status).toBe('investigating');
  });

  it('cancels a row of an unknown kind and retries, then gives up on, one whose sweep fails', async () => {
    const incident = openIncident(env, 'P0');
    env.deps.state.prepare("INSERT INTO timers (incident_id, kind, due_at, created_at) VALUES (?, 'bogus', ?, ?)").run(incident.id, iso(env.clock()), iso(env.clock()));
    expect(await sweepTimers(env.deps)).toMatchObject({ cancelled: 1 });
    expect(timers(env).find((t) => t.kind === ('bogus' as never))!.last_error).toBe('unknown timer kind bogus');

    // chatops.db refuses the outbox write: the sweep rolls back that timer and tries again later.
    env.deps.state.exec("CREATE TEMP TRIGGER outbox_full BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;");
    at(30);
    const r = await sweepTimers(env.deps);
    expect(r).toMatchObject({ fired: 0, failed: 2 });
    const update = () => timers(env).find((t) => t.kind === 'update-due')!;
    expect(update()).toMatchObject({ fired_at: null, cancelled_at: null, attempts: 1, last_error: 'database or disk is full' });
    expect(timeline(env.deps.state, incident.id).some((e) => e.kind === 'reminder')).toBe(false);
    for (let i = 1; i < MAX_TIMER_ATTEMPTS; i++) await sweepTimers(env.deps);
    expect(update().cancelled_at).not.toBeNull();
    expect(update().attempts).toBe(MAX_TIMER_ATTEMPTS);

    // Once the outbox works again, other timers fire normally.
    env.deps.state.exec('DROP TRIGGER outbox_full');
    at(60);
    expect((await sweepTimers(env.deps)).nudges.map((n) => n.kind)).toEqual(['escalate-cto']);
  });
});

describe('snoozeTimer', () => {
  let env: Env;
  let cleanup: () => void;

  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    env = testDeps(path.join(t.dir, '.shadow-atlas'), { file: CONFIG });
  });
  afterEach(() => {
    env.close();
    cleanup();
  });

  const at = (minutes: number) => env.clock.set(new Date(new Date(TEST_NOW).getTime() + minutes * MIN));

  it('moves an incident reminder to now + minutes, once, and notes who snoozed it', async () => {
    const incident = openIncident(env, 'P0');
    at(30);
    const fired = (await sweepTimers(env.deps)).nudges.find((n) => n.kind === 'update-due')!;
    at(32);
    const result = snoozeTimer(env.deps, fired.timerId, 60, 'U0ONCALL1');
    expect(result.message).toBe(`Snoozed until 13:32 UTC: the ${incident.id} status update reminder comes back then.`);
    const pending = timers(env).filter((t) => t.kind === 'update-due' && !t.fired_at && !t.cancelled_at);
    expect(pending.map((t) => t.due_at)).toEqual(['2026-11-26T13:32:00.000Z']);
    const event = timeline(env.deps.state, incident.id).at(-1)!;
    expect(event).toMatchObject({ actor: 'U0ONCALL1', kind: 'snooze', text: 'status update reminder snoozed for 1 h, until 13:32 UTC' });
    // The re-armed reminder at 60 min no longer fires; the snoozed one does, at its minute.
    at(60);
    expect((await sweepTimers(env.deps)).nudges.map((n) => n.kind)).not.toContain('update-due');
    at(91);
    expect((await sweepTimers(env.deps)).nudges.map((n) => n.kind)).not.toContain('update-due');
    at(92);
    expect((await sweepTimers(env.deps)).nudges.map((n) => n.kind)).toContain('update-due');
  });

  it('snoozes an alert reminder without touching the secondary one', async () => {
    postAlert(env, 'all_proofs_failing', 'P0');
    at(5);
    const fired = (await sweepTimers(env.deps)).nudges[0]!;
    const result = snoozeTimer(env.deps, fired.timerId, 30, 'U0ONCALL1');
    expect(result.message).toBe('Snoozed until 12:35 UTC: the acknowledge reminder of this alert comes back then.');
    const pending = timers(env).filter((t) => !t.fired_at && !t.cancelled_at).map((t) => [t.kind, t.due_at]);
    expect(pending.sort()).toEqual([
      ['ack-reminder', '2026-11-26T12:35:00.000Z'],
      ['ack-secondary', '2026-11-26T12:30:00.000Z'],
    ]);
  });

  it('says the reminders are over for a resolved incident or an acknowledged alert, and changes nothing', async () => {
    const incident = openIncident(env, 'P0');
    at(30);
    const fired = (await sweepTimers(env.deps)).nudges.find((n) => n.kind === 'update-due')!;
    updateIncident(env.deps.state, incident.id, { status: 'resolved', resolved_at: iso(env.clock()) });
    const before = timers(env).length;
    expect(() => snoozeTimer(env.deps, fired.timerId, 30, 'U0ONCALL1')).toThrow(new IncidentError(`${incident.id} is resolved; its reminders are over.`));
    expect(timers(env).length).toBe(before);

    postAlert(env, 'disk_full', 'P1');
    at(35);
    const ackTimer = (await sweepTimers(env.deps)).nudges.find((n) => n.kind === 'ack-reminder')!;
    updateAlert(env.deps.state, 'disk_full', { incident_id: incident.id });
    expect(() => snoozeTimer(env.deps, ackTimer.timerId, 30, 'U0ONCALL1')).toThrow(`acknowledged as ${incident.id}`);
    expect(() => snoozeTimer(env.deps, 999_999, 30, 'U0ONCALL1')).toThrow('That reminder no longer exists.');
    expect(() => snoozeTimer(env.deps, ackTimer.timerId, 0, 'U0ONCALL1')).toThrow('A snooze lasts 1 to 1440 minutes.');
  });
});
