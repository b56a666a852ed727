import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIncident, updateIncident } from '../../src/incidents/incident-store.js';
import { iso } from '../../src/incidents/incident-types.js';
import { pendingTimers, replanIncidentTimers, scheduleTimer } from '../../src/incidents/timer-plan.js';
import { tempDir, testDeps } from '../helpers/test-deps.js';

const MIN = 60_000;

describe('replanIncidentTimers', () => {
  let env: ReturnType<typeof testDeps>;
  let cleanup: () => void;
  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    env = testDeps(path.join(t.dir, '.shadow-atlas'));
  });
  afterEach(() => {
    env.close();
    cleanup();
  });

  const kinds = (id: string) => pendingTimers(env.deps.state, { incidentId: id }).map((t) => `${t.kind}@${t.due_at.slice(11, 16)}`);

  it('plans a P0 from its start and moves deadlines that passed under a new severity to now', () => {
    const db = env.deps.state;
    const opened = env.clock();
    let incident = createIncident(db, { title: 'proofs failing', severity: 'P2', createdBy: 'U0A', ownerId: 'U0A', openedAt: opened, acknowledgedAt: opened }, opened);
    replanIncidentTimers(db, incident, opened);
    expect(kinds(incident.id).sort()).toEqual(['handoff-suggest@16:00', 'update-due@16:00']);
    env.clock.advance(45 * MIN);
    incident = updateIncident(db, incident.id, { severity: 'P0' });
    replanIncidentTimers(db, incident, env.clock());
    // Tech lead was due at 30 min: now. CTO at 1 h. Updates every 30 min from the last one.
    expect(kinds(incident.id).sort()).toEqual(['escalate-cto@13:00', 'escalate-tech-lead@12:45', 'handoff-suggest@16:00', 'update-due@12:45'].sort());
  });

  it('keeps a snoozed escalation reminder across an update, and drops it when the severity no longer escalates', () => {
    const db = env.deps.state;
    const opened = env.clock();
    let incident = createIncident(db, { title: 'IPFS down', severity: 'P0', createdBy: 'U0A', ownerId: 'U0A', openedAt: opened, acknowledgedAt: opened }, opened);
    replanIncidentTimers(db, incident, opened);
    env.clock.advance(30 * MIN);
    const now = env.clock();
    db.prepare("UPDATE timers SET fired_at = ? WHERE incident_id = ? AND kind = 'escalate-tech-lead'").run(iso(now), incident.id);
    scheduleTimer(db, { kind: 'escalate-tech-lead', due: new Date(now.getTime() + 30 * MIN), incidentId: incident.id }, now);
    incident = updateIncident(db, incident.id, { last_update_at: iso(now) });
    replanIncidentTimers(db, incident, now);
    expect(kinds(incident.id)).toContain('escalate-tech-lead@13:00');
    incident = updateIncident(db, incident.id, { severity: 'P2' });
    replanIncidentTimers(db, incident, now);
    expect(kinds(incident.id).some((k) => k.startsWith('escalate'))).toBe(false);
  });
});
