import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlert } from '../../src/alerts/alert-ingest.js';
import type { StateTransaction } from '../../src/db/state/state-store.js';
import type { OutboxStore } from '../../src/db/state/outbox-store.js';
import { acknowledgeAlert, setAckDetails } from '../../src/incidents/acknowledge.js';
import { declareIncident } from '../../src/incidents/declare.js';
import type { DomainDeps } from '../../src/incidents/incident-deps.js';
import { escalate } from '../../src/incidents/escalation.js';
import { addNote, attachToTimeline, changeOwner, changeSeverity, postStatusUpdate } from '../../src/incidents/incident-changes.js';
import { markReviewDone, resolveFiringAlerts, resolveIncident } from '../../src/incidents/resolution.js';
import { snoozeTimer } from '../../src/incidents/snooze.js';
import { sweepTimers } from '../../src/incidents/timer-sweeper.js';
import { eventRecorder } from '../../src/presenter/event-recorder.js';
import { at, MIN, ONCALL, openIncidentEnv, OTHER, raiseAlert, type IncidentEnv } from '../helpers/incident-env.js';

let ie: IncidentEnv;
beforeEach(() => {
  ie = openIncidentEnv();
});
afterEach(() => ie.close());

const deps = () => ie.env.deps;

/** Everything the bot keeps in chatops.db about alerts and incidents, and the alert rows of metrics.db. */
function snapshot() {
  const all = (sql: string) => ie.env.db.prepare(sql).all();
  return {
    incidents: all('SELECT * FROM incidents ORDER BY id'),
    timeline: all('SELECT * FROM incident_events ORDER BY id'),
    alerts: all('SELECT * FROM alerts ORDER BY key'),
    timers: all('SELECT * FROM timers ORDER BY id'),
    outbox: all('SELECT * FROM outbox ORDER BY id'),
    metrics: ie.metrics.prepare('SELECT * FROM alerts ORDER BY id').all(),
  };
}

/** The domain with an outbox that breaks its own CHECK constraint: every message it queues is refused by SQLite. */
function withRefusingOutbox(): DomainDeps {
  const recorder = eventRecorder(deps().config);
  const refusing = (tx: StateTransaction): StateTransaction => {
    const outbox: OutboxStore = { ...tx.outbox, enqueue: async (m, now) => await tx.outbox.enqueue({ ...m, op: 'bogus' as never }, now) };
    return { ...tx, outbox };
  };
  return { ...deps(), events: { record: async (tx, event, now) => await recorder.record(refusing(tx), event, now) } };
}

describe('a change and its messages are one transaction', () => {
  it('an incident opened from an alert: the messages are refused, so neither the incident, the link, the clock nor metrics.db change', async () => {
    await raiseAlert(ie, { name: 'IpfsDown' });
    const before = snapshot();
    await expect(acknowledgeAlert(withRefusingOutbox(), 'IpfsDown', ONCALL)).rejects.toThrow(/CHECK constraint failed/);
    expect(snapshot()).toEqual(before);
    // The same change goes through once the outbox takes it.
    expect((await acknowledgeAlert(deps(), 'IpfsDown', ONCALL)).incident.id).toBe('INC-20261126-1');
  });

  it('every other change to an incident rolls back whole when its messages cannot be queued', async () => {
    await raiseAlert(ie, { name: 'IpfsDown' });
    await raiseAlert(ie, { name: 'Second' });
    const { incident } = await acknowledgeAlert(deps(), 'IpfsDown', ONCALL);
    ie.env.clock.advance(10 * MIN);
    const id = incident.id;
    const changes: [string, (d: DomainDeps) => Promise<unknown>][] = [
      ['declare', async (d) => await declareIncident(d, { title: 'slow queries', actorId: ONCALL })],
      ['ack details', async (d) => await setAckDetails(d, id, { impact: 'slow', eta: '30 min' }, ONCALL)],
      ['update', async (d) => await postStatusUpdate(d, id, { summary: 'x', status: 'identified' }, ONCALL)],
      ['severity', async (d) => await changeSeverity(d, id, 'P1', ONCALL)],
      ['owner', async (d) => await changeOwner(d, id, OTHER, ONCALL)],
      ['note', async (d) => await addNote(d, id, 'x', ONCALL)],
      ['attach', async (d) => await attachToTimeline(d, id, { headline: 'ok', command: 'health' }, ONCALL)],
      ['escalate', async (d) => await escalate(d, id, 'techlead', {}, ONCALL)],
      ['resolve', async (d) => await resolveIncident(d, id, { resolution: 'fixed' }, ONCALL)],
      ['second alert resolves', async (d) => await ingestAlert(d, { name: 'Second', status: 'resolved', message: '', source: 'metrics-db' })],
      ['alert fires', async (d) => await ingestAlert(d, { name: 'Third', status: 'firing', message: '', source: 'alertmanager' })],
    ];
    for (const [what, change] of changes) {
      const before = snapshot();
      await expect(change(withRefusingOutbox()), what).rejects.toThrow(/CHECK constraint failed/);
      expect(snapshot(), what).toEqual(before);
    }
  });

  it('a reminder, a snooze and a review: the same', async () => {
    const { incident } = await declareIncident(deps(), { title: 'proofs failing', severity: 'P0', actorId: ONCALL });
    ie.env.clock.set(at(30));
    let before = snapshot();
    const swept = await sweepTimers(withRefusingOutbox());
    expect(swept).toMatchObject({ fired: 0, failed: 2 });
    // Only the failed attempts are counted; nothing fired, nothing was said.
    const after = snapshot();
    expect({ ...after, timers: [] }).toEqual({ ...before, timers: [] });
    expect(after.timers.filter((t) => (t as { attempts: number }).attempts === 1)).toHaveLength(2);

    const fired = (await sweepTimers(deps())).reminders[0]!;
    await resolveIncident(deps(), incident.id, { resolution: 'fixed' }, ONCALL);
    ie.env.clock.set(at(30 + 48 * 60));
    const review = (await sweepTimers(deps())).reminders[0]!;
    expect(review.kind).toBe('review-reminder');
    await expect(snoozeTimer(deps(), fired.timerId, 30, ONCALL)).rejects.toThrow('is resolved');
    before = snapshot();
    // A snooze queues no message; its timeline line is refused here instead.
    ie.env.db.exec("CREATE TEMP TRIGGER no_timeline BEFORE INSERT ON incident_events BEGIN SELECT RAISE(ABORT, 'timeline full'); END");
    await expect(snoozeTimer(deps(), review.timerId, 30, ONCALL)).rejects.toThrow('timeline full');
    await expect(markReviewDone(deps(), incident.id, ONCALL)).rejects.toThrow('timeline full');
    expect(snapshot()).toEqual(before);
    ie.env.db.exec('DROP TRIGGER no_timeline');
    await expect(markReviewDone(withRefusingOutbox(), incident.id, ONCALL)).rejects.toThrow(/CHECK constraint failed/);
    expect(snapshot()).toEqual(before);
  });

  it("the alerts of a resolved incident: metrics.db is written first (the service's truth), the bot's view only with its message", async () => {
    await raiseAlert(ie, { name: 'IpfsDown' });
    const { incident } = await acknowledgeAlert(deps(), 'IpfsDown', ONCALL);
    await resolveIncident(deps(), incident.id, { resolution: 'fixed' }, ONCALL);
    const before = snapshot();
    await expect(resolveFiringAlerts(withRefusingOutbox(), incident.id, ONCALL)).rejects.toThrow(/CHECK constraint failed/);
    const after = snapshot();
    expect({ ...after, metrics: [] }).toEqual({ ...before, metrics: [] });
    expect(after.metrics).toEqual([expect.objectContaining({ name: 'IpfsDown', status: 'resolved' })]);
    // Trying again resolves it in the bot.
    expect((await resolveFiringAlerts(deps(), incident.id, ONCALL)).resolved).toEqual(['IpfsDown']);
  });

  it('wakes delivery for every event recorded', async () => {
    let wakes = 0;
    const recorder = eventRecorder(deps().config, () => wakes++);
    const d: DomainDeps = { ...deps(), events: recorder };
    await declareIncident(d, { title: 'slow queries', actorId: ONCALL });
    await addNote(d, '', 'x', ONCALL);
    expect(wakes).toBe(2);
  });
});
