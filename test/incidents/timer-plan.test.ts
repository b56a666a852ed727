import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStateStore, type SqliteStateStore } from '../../src/db/state/kysely/sqlite-state-store.js';
import { iso, type Incident } from '../../src/db/state/state-records.js';
import type { Severity } from '../../src/incidents/severity-matrix.js';
import { planAlertTimers, planIncidentTimers, replanIncidentTimers, startAlertClock, stopTimers } from '../../src/incidents/timer-plan.js';
import { incidentRow } from '../helpers/incident-fixtures.js';
import { TEST_NOW } from '../helpers/test-deps.js';

const MIN = 60_000;
const NOW = new Date(TEST_NOW);
const plus = (minutes: number) => new Date(NOW.getTime() + minutes * MIN);
const hhmm = (d: Date | string) => iso(new Date(d)).slice(11, 16);

describe('planAlertTimers', () => {
  it('reminds at 5 min whatever the severity, and pages the secondary after 30 min (P0) or 2 h (P1)', () => {
    const plan = (severity: Severity) => planAlertTimers({ severity }, NOW).map((t) => `${t.kind}@${hhmm(t.due)}`);
    expect(plan('P0')).toEqual(['ack-reminder@12:05', 'ack-secondary@12:30']);
    expect(plan('P1')).toEqual(['ack-reminder@12:05', 'ack-secondary@14:00']);
    expect(plan('P2')).toEqual(['ack-reminder@12:05']);
    expect(plan('P3')).toEqual(['ack-reminder@12:05']);
  });
});

describe('planIncidentTimers', () => {
  it('counts the cadence from the last update and the escalations and handoff from the start', () => {
    const plan = (patch: Partial<Incident>) => planIncidentTimers(incidentRow(patch)).map((t) => `${t.kind}@${hhmm(t.due)}`);
    // Opened 11:57, last update 12:00, no update promised.
    expect(plan({ next_update_at: null })).toEqual(['update-due@12:30', 'escalate-tech-lead@12:27', 'escalate-cto@12:57', 'handoff-suggest@15:57']);
    expect(plan({ severity: 'P1', next_update_at: null })).toEqual(['update-due@14:00', 'escalate-tech-lead@13:57', 'handoff-suggest@15:57']);
    expect(plan({ severity: 'P2', last_update_at: null, acknowledged_at: null, next_update_at: null })).toEqual(['update-due@15:57', 'handoff-suggest@15:57']);
  });

  it('reminds of the update when it was promised (an ETA), not on the cadence', () => {
    const plan = planIncidentTimers(incidentRow({ next_update_at: '2026-11-26T12:45:00.000Z' }));
    expect(plan.find((t) => t.kind === 'update-due')!.due.toISOString()).toBe('2026-11-26T12:45:00.000Z');
  });
});

describe('timers of the state store', () => {
  let state: SqliteStateStore;
  beforeEach(() => {
    state = openStateStore(':memory:');
  });
  afterEach(async () => await state.close());

  const kinds = async (id: string) => (await state.timers.pending({ incidentId: id })).map((t) => `${t.kind}@${hhmm(t.due_at)}`);
  const open = async (severity: Severity, title = 'proofs failing'): Promise<Incident> =>
    await state.incidents.create({ title, severity, createdBy: 'U0A', ownerId: 'U0A', openedAt: NOW, acknowledgedAt: NOW }, NOW);

  it('plans a P0 from its start and moves deadlines that passed under a new severity to now', async () => {
    let incident = await open('P2');
    await replanIncidentTimers(state.timers, incident, NOW);
    expect((await kinds(incident.id)).sort()).toEqual(['break-nudge@20:00', 'handoff-suggest@16:00', 'update-due@16:00']);
    const later = plus(45);
    incident = (await state.incidents.update(incident.id, { severity: 'P0' }))!;
    await replanIncidentTimers(state.timers, incident, later);
    // Tech lead was due at 30 min: now. CTO at 1 h. Updates every 30 min from the last one (none: the acknowledgement).
    expect((await kinds(incident.id)).sort()).toEqual(['break-nudge@20:00', 'escalate-cto@13:00', 'escalate-tech-lead@12:45', 'handoff-suggest@16:00', 'update-due@12:45'].sort());
    // The replaced timers are cancelled, not deleted.
    expect(state.db.prepare('SELECT COUNT(*) AS n FROM timers WHERE cancelled_at = ?').get(iso(later))).toEqual({ n: 2 });
  });

  it('keeps a snoozed escalation reminder across an update, and drops it when the severity no longer escalates', async () => {
    let incident = await open('P0', 'IPFS down');
    await replanIncidentTimers(state.timers, incident, NOW);
    const now = plus(30);
    state.db.prepare("UPDATE timers SET fired_at = ? WHERE incident_id = ? AND kind = 'escalate-tech-lead'").run(iso(now), incident.id);
    await state.timers.schedule({ kind: 'escalate-tech-lead', due: plus(60), incidentId: incident.id }, now);
    incident = (await state.incidents.update(incident.id, { last_update_at: iso(now) }))!;
    await replanIncidentTimers(state.timers, incident, now);
    expect(await kinds(incident.id)).toContain('escalate-tech-lead@13:00');
    expect((await kinds(incident.id)).filter((k) => k.startsWith('escalate-tech-lead'))).toHaveLength(1);
    incident = (await state.incidents.update(incident.id, { severity: 'P2' }))!;
    await replanIncidentTimers(state.timers, incident, now);
    expect((await kinds(incident.id)).some((k) => k.startsWith('escalate'))).toBe(false);
  });

  it('plans nothing but keeps the review reminder of a resolved incident', async () => {
    let incident = await open('P0');
    await replanIncidentTimers(state.timers, incident, NOW);
    await state.timers.schedule({ kind: 'review-reminder', due: plus(48 * 60), incidentId: incident.id }, NOW);
    incident = (await state.incidents.update(incident.id, { status: 'resolved', resolved_at: iso(NOW) }))!;
    await replanIncidentTimers(state.timers, incident, NOW);
    expect(await kinds(incident.id)).toEqual(['review-reminder@12:00']);
  });

  it("starts an alert's clock afresh from when it is posted, and stops it", async () => {
    await state.alerts.insert(
      'ipfsdown',
      {
        name: 'IpfsDown',
        severity: 'P0',
        severityBasis: 1,
        symptomId: 'ipfs-down',
        message: '',
        sources: ['metrics-db'],
        fingerprints: [],
        runbookUrl: null,
        firedAt: plus(-60),
        sourceFiredAt: null,
      },
      NOW,
    );
    const alert = (await state.alerts.get('ipfsdown'))!;
    const alertKinds = async () => (await state.timers.pending({ alertKey: 'ipfsdown' })).map((t) => `${t.kind}@${hhmm(t.due_at)}`);
    await startAlertClock(state.timers, alert, NOW);
    // Fired an hour ago while the bot was down: counted from now, not from then.
    expect(await alertKinds()).toEqual(['ack-reminder@12:05', 'ack-secondary@12:30']);
    await startAlertClock(state.timers, alert, plus(10));
    expect(await alertKinds()).toEqual(['ack-reminder@12:15', 'ack-secondary@12:40']);
    await stopTimers(state.timers, { alertKey: 'ipfsdown' }, plus(11), ['ack-secondary']);
    expect(await alertKinds()).toEqual(['ack-secondary@12:40']);
    await stopTimers(state.timers, { alertKey: 'ipfsdown' }, plus(11));
    expect(await alertKinds()).toEqual([]);
  });
});
