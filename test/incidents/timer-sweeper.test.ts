import { assertBlockKitLimits } from '../helpers/slack-judge.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertAnchor, iso, type AlertRecord, type Incident, type TimerRow } from '../../src/db/state/state-records.js';
import { declareIncident } from '../../src/incidents/declare.js';
import { IncidentError } from '../../src/incidents/incident-errors.js';
import { markReviewDone, resolveIncident } from '../../src/incidents/resolution.js';
import type { Severity } from '../../src/incidents/severity-matrix.js';
import { snoozeTimer } from '../../src/incidents/snooze.js';
import { REVIEW_REMINDER_MINUTES, startAlertClock } from '../../src/incidents/timer-plan.js';
import { MAX_TIMER_ATTEMPTS, sweepTimers } from '../../src/incidents/timer-sweeper.js';
import type { StoredMessage } from '../../src/sandbox/message-store.js';

import { snoozedText } from '../../src/templates/incident-answers.js';
import {
  ALERT_ACK_ACTION,
  INCIDENT_ESCALATE_ACTION,
  INCIDENT_REVIEW_DONE_ACTION,
  INCIDENT_UPDATE_ACTION,
  TIMER_SNOOZE_ACTION,
} from '../../src/templates/incident-buttons.js';
import { blockText, CHANNEL, MIN, openIncidentEnv, type IncidentEnv } from '../helpers/incident-env.js';
import { TEST_NOW, testDeps } from '../helpers/test-deps.js';

const CONFIG = {
  channels: { incidents: CHANNEL },
  responders: { users: ['U0ONCALL1'] },
  escalation: { techLead: 'U0TECHLEAD', cto: 'U0CTOBOSS' },
  rotation: { start: '2026-11-23', handoff: '0 9 * * 1', primary: ['U0PRIMARY'], secondary: ['U0SECONDA'] },
};

let ie: IncidentEnv;
afterEach(() => ie.close());

const deps = () => ie.env.deps;
const sweep = async () => await sweepTimers(deps());
const kindsFired = async () => (await sweep()).reminders.map((n) => n.kind);
const at = (minutes: number) => ie.env.clock.set(new Date(new Date(TEST_NOW).getTime() + minutes * MIN));
const timers = (): TimerRow[] => ie.env.db.prepare('SELECT * FROM timers ORDER BY id').all() as TimerRow[];

function buttons(m: StoredMessage | undefined): Array<{ action_id: string; value: string }> {
  const actions = (m?.blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }> | undefined)?.find((b) => b.type === 'actions');
  return actions?.elements ?? [];
}

/** An alert as the ingest leaves it, at a chosen severity: firing, its message queued, its acknowledge timers planned. */
async function postAlert(name: string, severity: Severity): Promise<AlertRecord> {
  const now = ie.env.clock();
  const { state } = deps();
  return await state.transaction(async (tx) => {
    await tx.alerts.insert(
      name.toLowerCase(),
      { name, severity, severityBasis: 1, symptomId: null, message: 'all proofs failing since 11:58', sources: ['metrics-db'], fingerprints: [], runbookUrl: null, firedAt: now, sourceFiredAt: null },
      now,
    );
    const alert = (await tx.alerts.get(name.toLowerCase()))!;
    await startAlertClock(tx.timers, alert, now);
    await deps().events.record(tx, { type: 'alert-raised', alert }, now);
    return alert;
  });
}

/** An incident as declare leaves it: owned by U0ONCALL1, acknowledged now, its clock planned. */
async function openIncident(severity: Severity, title = 'Proofs failing <!channel>'): Promise<Incident> {
  return (await declareIncident(deps(), { title, severity, actorId: 'U0ONCALL1' })).incident;
}

/** Top-level messages of the channel that are reminders (not alert messages or cards). */
const channelReminders = () => ie.channel().filter((m) => /^(⏰|📣)/.test(m.text));
/** The replies in an incident's thread that are reminders. */
const threadReminders = async (incident: Incident) => (await ie.thread(incident.anchor)).filter((m) => /^(⏰|🆙|🔄 INC|📝 Post-incident)/.test(m.text));

describe('sweepTimers', () => {
  beforeEach(() => {
    ie = openIncidentEnv(CONFIG);
  });

  it('reminds about an unacknowledged alert at 5 min, not a minute before, once, in the channel with Acknowledge and Snooze', async () => {
    const alert = await postAlert('proof_generation_failing', 'P1');
    at(4);
    expect(await sweep()).toMatchObject({ due: 0, fired: 0 });
    at(5);
    expect(await sweep()).toMatchObject({ due: 1, fired: 1, cancelled: 0 });
    await ie.deliver();
    const [reminder, ...more] = channelReminders();
    expect(more).toEqual([]);
    expect(reminder!.text).toBe('⏰ P1 alert proof_generation_failing not acknowledged after 5 min');
    expect(reminder!.thread_ts).toBeUndefined();
    // Beside the alert's message, after it.
    expect(ie.channel().map((m) => m.ts)).toEqual([(await ie.anchored(alertAnchor(alert)))!.ts, reminder!.ts]);
    const fired = timers().find((t) => t.kind === 'ack-reminder')!;
    expect(buttons(reminder).map((b) => [b.action_id, b.value])).toEqual([
      [ALERT_ACK_ACTION, 'proof_generation_failing'],
      [`${TIMER_SNOOZE_ACTION}:30`, `${fired.id}:30`],
      [`${TIMER_SNOOZE_ACTION}:60`, `${fired.id}:60`],
      [`${TIMER_SNOOZE_ACTION}:120`, `${fired.id}:120`],
    ]);
    assertBlockKitLimits('message', reminder!.blocks!);
    // Fired once: the next sweeps say nothing more.
    at(6);
    expect(await sweep()).toMatchObject({ due: 0, fired: 0 });
    await ie.deliver();
    expect(channelReminders()).toHaveLength(1);
  });

  it('mentions the secondary on-call when a P0 stays unacknowledged for 30 min (and not at 29)', async () => {
    await postAlert('all_proofs_failing', 'P0');
    at(5);
    await sweep();
    at(29);
    expect((await sweep()).fired).toBe(0);
    at(30);
    expect((await sweep()).fired).toBe(1);
    await ie.deliver();
    const second = channelReminders().at(-1)!;
    expect(second.text).toContain('<@U0SECONDA> (secondary on-call), please take it.');
    expect(second.text).toContain('not acknowledged after 30 min');
  });

  it('drops the acknowledge reminders of an alert acknowledged or resolved in the meantime', async () => {
    await postAlert('a_acked', 'P0');
    await postAlert('b_resolved', 'P1');
    const incident = await openIncident('P0');
    // Another process acknowledged one and resolved the other without this one's timers knowing.
    await deps().state.transaction(async (tx) => {
      await tx.alerts.linkIncident('a_acked', incident.id, 'U0ONCALL1', ie.env.clock());
      await tx.alerts.resolve('b_resolved', ie.env.clock(), ie.env.clock());
    });
    at(31);
    const r = await sweep();
    // a_acked: ack-reminder + ack-secondary; b_resolved: ack-reminder (its secondary is at 2 h).
    expect(r.cancelled).toBe(3);
    expect(r.reminders.every((n) => n.incidentId === incident.id)).toBe(true);
    await ie.deliver();
    expect(channelReminders()).toHaveLength(0);
    const reasons = timers()
      .filter((t) => t.alert_key && !t.incident_id && t.cancelled_at)
      .map((t) => t.last_error);
    expect(reasons.sort()).toEqual(['alert acknowledged', 'alert acknowledged', 'alert resolved']);
  });

  it('fires every P0 incident timer at its minute and not a minute before, in the thread, naming whom', async () => {
    const incident = await openIncident('P0');
    // Sweep every minute for 4 hours and note when each kind first fires.
    const firstFired = new Map<string, number>();
    for (let minute = 0; minute <= 240; minute++) {
      at(minute);
      for (const kind of await kindsFired()) if (!firstFired.has(kind)) firstFired.set(kind, minute);
    }
    expect(Object.fromEntries(firstFired)).toEqual({ 'update-due': 30, 'escalate-tech-lead': 30, 'escalate-cto': 60, 'handoff-suggest': 240 });

    await ie.deliver();
    expect(channelReminders()).toEqual([]);
    const thread = await threadReminders(incident);
    expect(thread.filter((m) => m.text.startsWith(`⏰ No update on ${incident.id}`))).toHaveLength(8); // at 30, 60, … 240: the cadence repeats

    const update = thread.find((m) => m.text.startsWith('⏰'))!;
    expect(blockText(update)).toContain('for 30 min, <@U0ONCALL1>: post one with `/atlas update');
    // The title is escaped: no channel-wide ping.
    expect(blockText(update)).toContain('&lt;!channel&gt;');
    expect(blockText(update)).not.toContain('<!channel>');
    expect(buttons(update)[0]).toMatchObject({ action_id: INCIDENT_UPDATE_ACTION, value: incident.id });

    const techLead = thread.find((m) => m.text.includes('escalate to the tech lead'))!;
    expect(blockText(techLead)).toContain('<@U0TECHLEAD>');
    expect(buttons(techLead)[0]).toMatchObject({ action_id: INCIDENT_ESCALATE_ACTION, value: `${incident.id}:techlead` });
    const cto = thread.find((m) => m.text.includes('escalate to the CTO'))!;
    expect(buttons(cto)[0]).toMatchObject({ action_id: INCIDENT_ESCALATE_ACTION, value: `${incident.id}:cto` });
    expect(cto.text).toContain('open for 1 h');
    const handoff = thread.find((m) => m.text.startsWith('🔄'))!;
    expect(blockText(handoff)).toContain('`/atlas own');
    expect(blockText(handoff)).toContain('On call now: <@U0PRIMARY>');
    for (const m of thread) assertBlockKitLimits('message', m.blocks!);

    // Each reminder is on the timeline, said by the bot; the card shows the deadline that comes next.
    const events = (await deps().state.timeline.list(incident.id)).filter((e) => e.kind === 'reminder');
    expect(events).toHaveLength(thread.length);
    expect(events.every((e) => e.actor === 'bot')).toBe(true);
    expect(events.map((e) => e.text)).toContain('Reminder: escalate to the tech lead');
    expect(events.map((e) => e.text)).toContain('Reminder: no status update for 30 min');
    expect(blockText(await ie.anchored(incident.anchor))).toContain('*Next* status update due 16:30 UTC (in 30 min)');
  });

  it('follows the P1 clock: update at 2 h, tech lead at 2 h, no CTO timer', async () => {
    await openIncident('P1');
    at(119);
    expect((await sweep()).fired).toBe(0);
    at(120);
    expect((await kindsFired()).sort()).toEqual(['escalate-tech-lead', 'update-due']);
    expect(timers().some((t) => t.kind === 'escalate-cto')).toBe(false);
  });

  it('repeats the update reminder at the cadence until an update comes, and not after it', async () => {
    const incident = await openIncident('P0');
    at(30);
    await sweep();
    at(59);
    expect(await kindsFired()).not.toContain('update-due');
    at(60);
    expect(await kindsFired()).toContain('update-due');
    await ie.deliver();
    expect((await threadReminders(incident)).filter((m) => m.text.startsWith('⏰')).map((m) => m.text)).toEqual([
      `⏰ No update on ${incident.id} for 30 min`,
      `⏰ No update on ${incident.id} for 1 h`,
    ]);
    // An update at 70 min, recorded without the re-plan (say, by an older bot): the stale reminder stays quiet anyway.
    at(70);
    await deps().state.transaction(async (tx) => await tx.incidents.update(incident.id, { last_update_at: iso(ie.env.clock()) }));
    at(90);
    expect(await kindsFired()).not.toContain('update-due');
    expect(timers().filter((t) => t.kind === 'update-due').at(-1)).toMatchObject({ last_error: 'updated since' });
  });

  it('stops every timer of an incident that resolved', async () => {
    const incident = await openIncident('P0');
    // Resolved by another process whose re-plan this one did not see.
    await deps().state.transaction(async (tx) => await tx.incidents.update(incident.id, { status: 'resolved', resolved_at: iso(ie.env.clock()) }));
    at(300);
    expect(await sweep()).toMatchObject({ fired: 0, cancelled: 4 });
    await ie.deliver();
    expect(await threadReminders(incident)).toEqual([]);
    // The break nudge (8 h) is not due yet; it is dropped the same way when it is.
    const early = timers().filter((t) => t.kind !== 'break-nudge');
    expect(early.every((t) => t.cancelled_at !== null && t.fired_at === null)).toBe(true);
    expect(early.map((t) => t.last_error)).toEqual(Array(4).fill('incident resolved'));
    at(480);
    expect(await sweep()).toMatchObject({ fired: 0, cancelled: 1 });
    expect(timers().at(-1)).toMatchObject({ kind: 'break-nudge', last_error: 'incident resolved', fired_at: null });
  });

  it('reminds about the review 48 h after the resolution unless it was marked done', async () => {
    const incident = await openIncident('P1');
    await resolveIncident(deps(), incident.id, { resolution: 'fixed' }, 'U0ONCALL1');
    at(REVIEW_REMINDER_MINUTES - 1);
    expect(await kindsFired()).not.toContain('review-reminder');
    at(REVIEW_REMINDER_MINUTES);
    expect(await kindsFired()).toEqual(['review-reminder']);
    await ie.deliver();
    const reminder = (await ie.thread(incident.anchor)).at(-1)!;
    expect(reminder.text).toBe(`📝 Post-incident review of ${incident.id} is not done yet`);
    expect(blockText(reminder)).toContain('resolved 2 d ago');
    expect(buttons(reminder)[0]).toMatchObject({ action_id: INCIDENT_REVIEW_DONE_ACTION, value: incident.id });

    // Marked done (by another process, the timers untouched): a later reminder (a snoozed one) is dropped.
    await deps().state.transaction(async (tx) => {
      await tx.timers.schedule({ kind: 'review-reminder', due: ie.env.clock(), incidentId: incident.id }, ie.env.clock());
      await tx.incidents.update(incident.id, { review_done_at: iso(ie.env.clock()) });
    });
    expect(await sweep()).toMatchObject({ fired: 0, cancelled: 1 });
    expect(timers().at(-1)!.last_error).toBe('review done');
  });

  it('survives a restart: timers due while the bot was down fire once when it is back', async () => {
    const incident = await openIncident('P0');
    // A stray second update reminder (say, from an old re-plan) is overdue too.
    await deps().state.timers.schedule({ kind: 'update-due', due: new Date(ie.env.clock().getTime() + 45 * MIN), incidentId: incident.id }, ie.env.clock());
    await ie.env.close();

    // The bot comes back 3 hours later, on the same chatops.db.
    ie.env = testDeps(ie.dataDir, { file: CONFIG });
    at(180);
    const r = await sweep();
    expect(r.reminders.map((n) => n.kind).sort()).toEqual(['escalate-cto', 'escalate-tech-lead', 'update-due']);
    expect(r.collapsed).toBe(1);
    await ie.deliver();
    const updates = (await threadReminders(incident)).filter((m) => m.text.startsWith('⏰'));
    expect(updates.map((m) => m.text)).toEqual([`⏰ No update on ${incident.id} for 3 h`]);
    // Re-armed once, 30 min from now; nothing else pending fires now.
    const pending = timers().filter((t) => !t.fired_at && !t.cancelled_at);
    expect(pending.map((t) => [t.kind, t.due_at]).sort()).toEqual([
      ['break-nudge', iso(new Date(new Date(TEST_NOW).getTime() + 480 * MIN))],
      ['handoff-suggest', iso(new Date(new Date(TEST_NOW).getTime() + 240 * MIN))],
      ['update-due', iso(new Date(new Date(TEST_NOW).getTime() + 210 * MIN))],
    ]);
    expect(await sweep()).toMatchObject({ due: 0, fired: 0 });
    expect((await deps().state.incidents.get(incident.id))!.status).toBe('investigating');
  });

  it('cancels a row of an unknown kind and retries, then gives up on, one whose sweep fails', async () => {
    const incident = await openIncident('P0');
    ie.env.db.prepare("INSERT INTO timers (incident_id, kind, due_at, created_at) VALUES (?, 'bogus', ?, ?)").run(incident.id, iso(ie.env.clock()), iso(ie.env.clock()));
    expect(await sweep()).toMatchObject({ cancelled: 1 });
    expect(timers().find((t) => t.kind === ('bogus' as never))!.last_error).toBe('unknown timer kind bogus');

    // chatops.db refuses the outbox write: the sweep rolls back that timer and tries again later.
    ie.env.db.exec("CREATE TEMP TRIGGER outbox_full BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;");
    at(30);
    const r = await sweep();
    expect(r).toMatchObject({ fired: 0, failed: 2 });
    const update = () => timers().find((t) => t.kind === 'update-due')!;
    expect(update()).toMatchObject({ fired_at: null, cancelled_at: null, attempts: 1, last_error: 'database or disk is full' });
    expect((await deps().state.timeline.list(incident.id)).some((e) => e.kind === 'reminder')).toBe(false);
    for (let i = 1; i < MAX_TIMER_ATTEMPTS; i++) await sweep();
    expect(update().cancelled_at).not.toBeNull();
    expect(update().attempts).toBe(MAX_TIMER_ATTEMPTS);

    // Once the outbox works again, other timers fire normally.
    ie.env.db.exec('DROP TRIGGER outbox_full');
    at(60);
    expect(await kindsFired()).toEqual(['escalate-cto']);
  });
});

describe('sweepTimers without contacts', () => {
  it('says so when no secondary on-call or escalation contact is configured', async () => {
    ie = openIncidentEnv({ channels: { incidents: CHANNEL } });
    await postAlert('all_proofs_failing', 'P0');
    const incident = await openIncident('P0');
    at(30);
    await sweep();
    await ie.deliver();
    const second = channelReminders().find((m) => m.text.startsWith('📣'))!;
    expect(second.text).toContain('No secondary on-call is configured (`rotation.secondary`)');
    const escalation = (await threadReminders(incident)).find((m) => m.text.startsWith('🆙'))!;
    expect(blockText(escalation)).toContain('escalate to the tech lead now (nobody: `escalation.techLead` is not set in the config)');
    expect((await deps().state.timeline.list(incident.id)).map((e) => e.text)).toContain('Reminder: escalate to the tech lead (none configured)');
  });
});

describe('snoozeTimer', () => {
  beforeEach(() => {
    ie = openIncidentEnv(CONFIG);
  });

  it('moves an incident reminder to now + minutes, once, and notes who snoozed it', async () => {
    const incident = await openIncident('P0');
    at(30);
    const fired = (await sweep()).reminders.find((n) => n.kind === 'update-due')!;
    at(32);
    const result = await snoozeTimer(deps(), fired.timerId, 60, 'U0ONCALL1');
    expect(snoozedText(result)).toBe(`Snoozed until 13:32 UTC: the ${incident.id} status update reminder comes back then.`);
    const pending = timers().filter((t) => t.kind === 'update-due' && !t.fired_at && !t.cancelled_at);
    expect(pending.map((t) => t.due_at)).toEqual(['2026-11-26T13:32:00.000Z']);
    expect((await deps().state.timeline.list(incident.id)).at(-1)).toMatchObject({
      actor: 'U0ONCALL1',
      kind: 'snooze',
      text: 'status update reminder snoozed for 1 h, until 13:32 UTC',
    });
    // The re-armed reminder at 60 min no longer fires; the snoozed one does, at its minute.
    at(60);
    expect(await kindsFired()).not.toContain('update-due');
    at(91);
    expect(await kindsFired()).not.toContain('update-due');
    at(92);
    expect(await kindsFired()).toContain('update-due');
  });

  it("snoozes an alert reminder without touching the secondary one, and says so in the alert's thread", async () => {
    await postAlert('all_proofs_failing', 'P0');
    at(5);
    const fired = (await sweep()).reminders[0]!;
    const queued = await deps().state.outbox.pendingCount();
    const result = await snoozeTimer(deps(), fired.timerId, 30, 'U0ONCALL1');
    expect(snoozedText(result)).toBe('Snoozed until 12:35 UTC: the acknowledge reminder of this alert comes back then.');
    // A reply in the alert's thread (who snoozed it, until when) and a refresh of its message.
    expect(await deps().state.outbox.pendingCount()).toBe(queued + 2);
    const pending = timers()
      .filter((t) => !t.fired_at && !t.cancelled_at)
      .map((t) => [t.kind, t.due_at]);
    expect(pending.sort()).toEqual([
      ['ack-reminder', '2026-11-26T12:35:00.000Z'],
      ['ack-secondary', '2026-11-26T12:30:00.000Z'],
    ]);
  });

  it('snoozes the review reminder of a resolved incident until the review is done', async () => {
    const incident = await openIncident('P1');
    await resolveIncident(deps(), incident.id, { resolution: 'fixed' }, 'U0ONCALL1');
    at(REVIEW_REMINDER_MINUTES);
    const fired = (await sweep()).reminders.find((n) => n.kind === 'review-reminder')!;
    const snoozed = await snoozeTimer(deps(), fired.timerId, 120, 'U0ONCALL1');
    expect(snoozed).toMatchObject({ kind: 'review-reminder', incidentId: incident.id });
    await markReviewDone(deps(), incident.id, 'U0ONCALL1');
    await expect(snoozeTimer(deps(), snoozed.timerId, 30, 'U0ONCALL1')).rejects.toThrow(`The review of ${incident.id} is already marked done; nothing to snooze.`);
  });

  it('says the reminders are over for a resolved incident or an acknowledged alert, and changes nothing', async () => {
    const incident = await openIncident('P0');
    at(30);
    const fired = (await sweep()).reminders.find((n) => n.kind === 'update-due')!;
    await deps().state.transaction(async (tx) => await tx.incidents.update(incident.id, { status: 'resolved', resolved_at: iso(ie.env.clock()) }));
    const before = timers().length;
    await expect(snoozeTimer(deps(), fired.timerId, 30, 'U0ONCALL1')).rejects.toThrow(new IncidentError(`${incident.id} is resolved; its reminders are over.`));
    expect(timers().length).toBe(before);

    await postAlert('disk_full', 'P1');
    at(35);
    const ackTimer = (await sweep()).reminders.find((n) => n.kind === 'ack-reminder')!;
    await deps().state.transaction(async (tx) => await tx.alerts.linkIncident('disk_full', incident.id, 'U0ONCALL1', ie.env.clock()));
    await expect(snoozeTimer(deps(), ackTimer.timerId, 30, 'U0ONCALL1')).rejects.toThrow(`acknowledged as ${incident.id}`);
    await expect(snoozeTimer(deps(), 999_999, 30, 'U0ONCALL1')).rejects.toThrow('That reminder no longer exists.');
    await expect(snoozeTimer(deps(), ackTimer.timerId, 0, 'U0ONCALL1')).rejects.toThrow('A snooze lasts 1 to 1440 minutes.');
    await expect(snoozeTimer(deps(), ackTimer.timerId, 1441, 'U0ONCALL1')).rejects.toThrow('A snooze lasts 1 to 1440 minutes.');
  });
});
