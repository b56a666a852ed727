import { assertBlockKitLimits } from '../helpers/slack-judge.js';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/db/state/kysely/sqlite-state-store.js';
import { acknowledgeAlert, setAckDetails } from '../../src/incidents/acknowledge.js';
import type { DomainDeps } from '../../src/incidents/incident-deps.js';
import { AlreadyAcknowledgedError, IncidentError, IncidentInputError } from '../../src/incidents/incident-errors.js';
import { parseEta } from '../../src/incidents/incident-input.js';
import { incidentTimeline } from '../../src/incidents/incident-queries.js';
import { eventRecorder } from '../../src/presenter/event-recorder.js';

import { ackDetailsText, acknowledgedText, refusalReport } from '../../src/templates/incident-answers.js';
import { ALERT_ACK_ACTION } from '../../src/templates/incident-buttons.js';
import { at, blockText, NOW, ONCALL, openIncidentEnv, pendingTimers as pendingOf, OTHER, raiseAlert, type IncidentEnv } from '../helpers/incident-env.js';

let ie: IncidentEnv;
beforeEach(() => {
  ie = openIncidentEnv();
});
afterEach(() => ie.close());

const deps = () => ie.env.deps;
const pendingTimers = async (incidentId: string) => await pendingOf(ie, incidentId);
const timeline = async (incidentId: string) => (await incidentTimeline(deps().state, incidentId)).events;
const incidentCount = () => (ie.env.db.prepare('SELECT COUNT(*) AS n FROM incidents').get() as { n: number }).n;

async function refusal(act: () => Promise<unknown>): Promise<IncidentError> {
  try {
    await act();
  } catch (err) {
    expect(err).toBeInstanceOf(IncidentError);
    return err as IncidentError;
  }
  throw new Error('expected an IncidentError');
}

describe('acknowledgeAlert', () => {
  it('opens the incident, links the alert, starts the clock, and turns the alert message into the card with the initial response under it', async () => {
    await raiseAlert(ie, { name: 'IpfsDown', firedAt: at(-3) });
    await ie.deliver();
    expect(ie.channel()).toHaveLength(1);
    expect(blockText(ie.channel()[0])).toContain(ALERT_ACK_ACTION);

    const r = await acknowledgeAlert(deps(), 'ipfsdown', ONCALL);

    expect(acknowledgedText(r)).toBe('IpfsDown acknowledged after 3 min: INC-20261126-1 (P0) is open and yours; the initial response is in its thread.');
    expect(r.atlasProblem).toBeNull();
    expect(r.incident).toMatchObject({
      id: 'INC-20261126-1',
      title: 'IpfsDown: All IPFS gateways failing.',
      severity: 'P0',
      status: 'investigating',
      owner_id: ONCALL,
      created_by: ONCALL,
      alert_key: 'ipfsdown',
      anchor: 'alert:ipfsdown:1',
      opened_at: at(-3),
      acknowledged_at: at(0),
      ack_seconds: 180,
      last_update_at: at(0),
      next_update_at: at(30),
    });
    expect(await deps().state.alerts.get('ipfsdown')).toMatchObject({ incident_id: 'INC-20261126-1', acknowledged_by: ONCALL, acknowledged_at: at(0) });

    // The alert's reminders stop; the incident's clock starts.
    expect(ie.env.db.prepare('SELECT kind, cancelled_at FROM timers WHERE incident_id IS NULL ORDER BY id').all()).toEqual([
      { kind: 'ack-reminder', cancelled_at: at(0) },
      { kind: 'ack-secondary', cancelled_at: at(0) },
    ]);
    expect(await pendingTimers(r.incident.id)).toEqual([
      { kind: 'escalate-tech-lead', due_at: at(27) },
      { kind: 'update-due', due_at: at(30) },
      { kind: 'escalate-cto', due_at: at(57) },
      { kind: 'handoff-suggest', due_at: at(237) },
      { kind: 'break-nudge', due_at: at(480) },
    ]);
    expect((await timeline(r.incident.id)).map((e) => [e.at, e.actor, e.kind, e.text])).toEqual([
      [at(-3), 'bot', 'alert-fired', 'Alert IpfsDown fired: All IPFS gateways failing. Retrieval of the current snapshot times out.'],
      [at(0), ONCALL, 'acknowledged', 'Acknowledged after 3 min; incident opened (P0)'],
    ]);

    await ie.deliver();
    // One message in the channel: the alert's, edited into the status card.
    expect(ie.channel()).toHaveLength(1);
    const card = (await ie.anchored(r.incident.anchor))!;
    expect(card.ts).toBe(ie.channel()[0]!.ts);
    expect(card.text).toBe('🔎 INC-20261126-1 P0 investigating: IpfsDown: All IPFS gateways failing.');
    expect(blockText(card)).toContain('acknowledged by <@U0ONCALL1> after 3 min');
    expect(blockText(card)).not.toContain(ALERT_ACK_ACTION);
    const [initial, ...rest] = await ie.thread(r.incident.anchor);
    expect(rest).toEqual([]);
    expect(initial!.text).toBe('🔎 INC-20261126-1 acknowledged by <@U0ONCALL1> after 3 min · IpfsDown: All IPFS gateways failing.');
    for (const line of ['*Severity*: P0', '*On-call*: <@U0ONCALL1>', '*Status*: Investigating', '*Impact*: being assessed', '*ETA for update*: 12:30 UTC']) {
      expect(blockText(initial)).toContain(line);
    }
    assertBlockKitLimits('message', initial!.blocks!);

    expect(ie.metrics.prepare('SELECT acknowledged_at FROM alerts WHERE name = ?').get('IpfsDown')).toEqual({ acknowledged_at: '2026-11-26 12:00:00' });
  });

  it('numbers incidents per UTC day: -1, -2 the same day, -1 again the next', async () => {
    await raiseAlert(ie, { name: 'A1' });
    await raiseAlert(ie, { name: 'A2' });
    expect((await acknowledgeAlert(deps(), 'A1', ONCALL)).incident.id).toBe('INC-20261126-1');
    expect((await acknowledgeAlert(deps(), 'a2', ONCALL)).incident.id).toBe('INC-20261126-2');
    ie.env.clock.set(at(60 * 24 + 1));
    await raiseAlert(ie, { name: 'A3', firedAt: at(60 * 24) });
    expect((await acknowledgeAlert(deps(), 'A3', ONCALL)).incident.id).toBe('INC-20261127-1');
  });

  it('a second acknowledgement, here or from another bot process, is told who won and opens nothing', async () => {
    await raiseAlert(ie, { name: 'IpfsDown' });
    await acknowledgeAlert(deps(), 'IpfsDown', ONCALL);
    const loser = await refusal(async () => await acknowledgeAlert(deps(), 'IpfsDown', OTHER));
    expect(loser).toBeInstanceOf(AlreadyAcknowledgedError);
    expect(refusalReport('ack', loser).headline).toBe('IpfsDown is already acknowledged by <@U0ONCALL1> as INC-20261126-1 at 12:00 UTC.');

    // Another process: its own connection to the same chatops.db.
    const second = openStateStore(path.join(ie.dataDir, 'chatops.db'));
    try {
      const elsewhere: DomainDeps = { ...deps(), state: second, events: eventRecorder(deps().config) };
      const err = await refusal(async () => await acknowledgeAlert(elsewhere, 'IpfsDown', OTHER));
      expect(err).toBeInstanceOf(AlreadyAcknowledgedError);
    } finally {
      await second.close();
    }
    expect(incidentCount()).toBe(1);
    await ie.deliver();
    expect(await ie.thread('alert:ipfsdown:1')).toHaveLength(1);
    // After the resolution the answer says so.
    await deps().state.transaction(async (tx) => await tx.incidents.update('INC-20261126-1', { status: 'resolved', resolved_at: at(1) }));
    expect(refusalReport('ack', await refusal(async () => await acknowledgeAlert(deps(), 'IpfsDown', OTHER))).headline).toBe(
      'IpfsDown is already acknowledged by <@U0ONCALL1> as INC-20261126-1 at 12:00 UTC, since resolved.',
    );
  });

  it('rolls back the incident when another writer links the alert between the read and the check-and-set', async () => {
    await raiseAlert(ie, { name: 'IpfsDown' });
    await raiseAlert(ie, { name: 'Other' });
    const winner = await acknowledgeAlert(deps(), 'Other', ONCALL);
    const outboxBefore = await deps().state.outbox.pendingCount();
    // Another bot process links the alert after this one has read it: the UPDATE ... WHERE incident_id IS NULL loses.
    ie.env.db.exec(
      `CREATE TEMP TRIGGER steal AFTER INSERT ON incidents WHEN NEW.created_by = '${OTHER}'
       BEGIN UPDATE alerts SET incident_id = '${winner.incident.id}', acknowledged_by = '${ONCALL}', acknowledged_at = '${at(0)}' WHERE key = 'ipfsdown'; END`,
    );
    const err = await refusal(async () => await acknowledgeAlert(deps(), 'IpfsDown', OTHER));
    expect(refusalReport('ack', err).headline).toBe(`IpfsDown is already acknowledged by <@U0ONCALL1> as ${winner.incident.id} at 12:00 UTC.`);
    ie.env.db.exec('DROP TRIGGER steal');
    expect(ie.env.db.prepare('SELECT id FROM incidents').all()).toEqual([{ id: winner.incident.id }]);
    // Nothing of the loser's incident is left: no messages queued, no timers.
    expect(await deps().state.outbox.pendingCount()).toBe(outboxBefore);
    expect(ie.env.db.prepare('SELECT COUNT(*) AS n FROM timers WHERE incident_id IS NOT NULL AND incident_id <> ?').get(winner.incident.id)).toEqual({ n: 0 });
  });

  it('refuses unknown and resolved alerts, and picks the only waiting alert when none is named', async () => {
    expect((await refusal(async () => await acknowledgeAlert(deps(), 'NoSuchAlert', ONCALL))).message).toBe('No alert named "NoSuchAlert". `/atlas alerts` lists the firing ones.');
    expect((await refusal(async () => await acknowledgeAlert(deps(), '', ONCALL))).message).toMatch(/^No firing alert is waiting/);
    await raiseAlert(ie, { name: 'Gone', resolvedAt: at(-1) });
    expect((await refusal(async () => await acknowledgeAlert(deps(), 'gone', ONCALL))).message).toBe('Gone already resolved at 11:59 UTC; there is nothing to acknowledge.');
    await raiseAlert(ie, { name: 'One' });
    ie.env.clock.advance(1000);
    await raiseAlert(ie, { name: 'Two' });
    expect((await refusal(async () => await acknowledgeAlert(deps(), '', ONCALL))).message).toBe('2 alerts are firing unacknowledged (One, Two); say which one.');
    await acknowledgeAlert(deps(), 'one', ONCALL);
    expect((await acknowledgeAlert(deps(), '', ONCALL)).alert.name).toBe('Two');
    await expect(acknowledgeAlert(deps(), 'Two', 'not a user')).rejects.toThrow(IncidentInputError);
  });

  it('still acknowledges when metrics.db is locked, and says so in the answer and on the timeline', async () => {
    await raiseAlert(ie, { name: 'IpfsDown' });
    const locker = new Database(path.join(ie.dataDir, 'metrics.db'));
    locker.exec('BEGIN EXCLUSIVE');
    try {
      const r = await acknowledgeAlert(deps(), 'IpfsDown', ONCALL);
      expect(r.incident.id).toBe('INC-20261126-1');
      expect(r.atlasProblem).toMatch(/lock/i);
      expect(acknowledgedText(r)).toMatch(/is open and yours; the initial response is in its thread\. \(metrics\.db not updated: .*lock/i);
      const note = (await timeline(r.incident.id)).find((e) => e.kind === 'bot-note');
      expect(note?.text).toMatch(/^metrics\.db not updated \(acknowledged_at\): .*lock/i);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    expect(ie.metrics.prepare('SELECT acknowledged_at FROM alerts').get()).toEqual({ acknowledged_at: null });
  });

  it('points a data-loss alert straight at the CTO and security in the initial response', async () => {
    await raiseAlert(ie, { name: 'SnapshotRowsVanished', message: 'Data loss: snapshot rows deleted' });
    const { incident } = await acknowledgeAlert(deps(), 'SnapshotRowsVanished', ONCALL);
    await ie.deliver();
    expect(blockText((await ie.thread(incident.anchor))[0])).toContain('data loss goes straight to the CTO and security: `/atlas escalate INC-20261126-1 cto`');
  });

  it('turns the alert message into the card and threads the initial response under it, through a Slack 500, once each', async () => {
    await raiseAlert(ie, { name: 'IpfsDown' });
    const h = await ie.deliver();
    const alertTs = ie.channel()[0]!.ts;
    await acknowledgeAlert(deps(), 'IpfsDown', ONCALL);

    h.slack.faults.inject({ method: 'chat.update', kind: 'http', status: 500 });
    await ie.deliver();
    // The card's edit failed; the reply waits behind it in the lane.
    expect(await deps().state.outbox.pendingCount()).toBe(2);
    expect(await ie.thread('alert:ipfsdown:1')).toEqual([]);

    ie.env.clock.advance(16_000);
    await ie.deliver();
    expect(h.slack.workspace.calls('chat.update').map((c) => c.status)).toEqual([500, 200]);
    expect(ie.channel()).toHaveLength(1);
    const card = ie.channel()[0]!;
    expect(card.ts).toBe(alertTs);
    expect(card.text).toContain('INC-20261126-1 P0 investigating');
    expect(blockText(card)).toContain('acknowledged by <@U0ONCALL1> after 3 min');
    expect(blockText(card)).not.toContain(ALERT_ACK_ACTION);
    const replies = await ie.thread('alert:ipfsdown:1');
    expect(replies.map((m) => m.text)).toEqual([expect.stringMatching(/^🔎 INC-20261126-1 acknowledged by <@U0ONCALL1> after 3 min/)]);
    expect(await deps().state.outbox.pendingCount()).toBe(0);
    await ie.deliver();
    expect(h.slack.workspace.calls('chat.postMessage')).toHaveLength(2);
  });
});

describe('setAckDetails and parseEta', () => {
  it('reads ETAs as minutes, hours or the next UTC time of day, and nothing else', () => {
    expect(parseEta('30 min', NOW)?.toISOString()).toBe(at(30));
    expect(parseEta('in 2 hours', NOW)?.toISOString()).toBe(at(120));
    expect(parseEta('1h30m', NOW)?.toISOString()).toBe(at(90));
    expect(parseEta('14:30', NOW)?.toISOString()).toBe('2026-11-26T14:30:00.000Z');
    expect(parseEta('11:00 UTC', NOW)?.toISOString()).toBe('2026-11-27T11:00:00.000Z');
    for (const bad of ['soon', '25:00', '0 min', '30 days', '', '12:00; DROP TABLE incidents']) expect(parseEta(bad, NOW)).toBeNull();
  });

  it('records impact and the promised next update, posts them and refreshes the card', async () => {
    await raiseAlert(ie, { name: 'IpfsDown' });
    const { incident } = await acknowledgeAlert(deps(), 'IpfsDown', ONCALL);
    const h = await ie.deliver();
    const updatesBefore = h.slack.workspace.calls('chat.update').length;

    const r = await setAckDetails(deps(), incident.id, { impact: 'Proof verification slow for all users', eta: '45 min' }, ONCALL);
    expect(ackDetailsText(r)).toBe('INC-20261126-1: impact recorded, next update 12:45 UTC.');
    expect(await deps().state.incidents.get(incident.id)).toMatchObject({ impact: 'Proof verification slow for all users', next_update_at: at(45) });
    expect((await timeline(incident.id)).at(-1)).toMatchObject({ actor: ONCALL, kind: 'ack-details', text: 'Impact: Proof verification slow for all users · next update 12:45 UTC' });

    await ie.deliver();
    const reply = (await ie.thread(incident.anchor)).at(-1)!;
    expect(reply.text).toBe('📝 INC-20261126-1 impact: Proof verification slow for all users · next update 12:45 UTC');
    expect(blockText(reply)).toContain('*Impact*: Proof verification slow for all users · *Next update*: 12:45 UTC');
    expect(h.slack.workspace.calls('chat.update').length).toBe(updatesBefore + 1);
    expect(blockText(await ie.anchored(incident.anchor))).toContain('Impact: Proof verification slow for all users');

    // Nothing given: the defaults stay, nothing is posted.
    const replies = (await ie.thread(incident.anchor)).length;
    const kept = await setAckDetails(deps(), incident.id, {}, ONCALL);
    expect(kept.changed).toBe(false);
    expect(ackDetailsText(kept)).toBe('Kept the defaults for INC-20261126-1: impact Proof verification slow for all users, next update 12:45 UTC.');
    expect(await deps().state.outbox.pendingCount()).toBe(0);
    await ie.deliver();
    expect(await ie.thread(incident.anchor)).toHaveLength(replies);

    const bad = await refusal(async () => await setAckDetails(deps(), incident.id, { eta: 'after lunch' }, ONCALL));
    expect(bad).toBeInstanceOf(IncidentInputError);
    expect((bad as IncidentInputError).field).toBe('eta');
  });
});
