import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acknowledgeAlert } from '../../src/incidents/acknowledge.js';
import { declareIncident } from '../../src/incidents/declare.js';
import { addNote } from '../../src/incidents/incident-changes.js';
import { incidentTimeline, listIncidents, nextDeadline } from '../../src/incidents/incident-queries.js';
import { resolveIncident } from '../../src/incidents/resolution.js';
import { deadlineText } from '../../src/templates/incident-card.js';
import { incidentsReport } from '../../src/templates/incident-reports.js';
import { at, MIN, ONCALL, openIncidentEnv, OTHER, raiseAlert, type IncidentEnv } from '../helpers/incident-env.js';

let ie: IncidentEnv;
beforeEach(() => {
  ie = openIncidentEnv();
});
afterEach(() => ie.close());

const deps = () => ie.env.deps;

describe('lists and deadlines', () => {
  it('lists open incidents worst first with the next deadline from the timers', async () => {
    await declareIncident(deps(), { title: 'slow queries', actorId: ONCALL });
    await raiseAlert(ie, { name: 'IpfsDown', firedAt: at(-3) });
    await acknowledgeAlert(deps(), 'IpfsDown', OTHER);
    ie.env.clock.advance(10 * MIN);
    const now = ie.env.clock();
    const list = await listIncidents(deps().state, now);
    expect(list.map((i) => [i.id, i.severity, i.ownerId, i.ageMs / MIN, deadlineText(i.nextDeadline, now)])).toEqual([
      ['INC-20261126-2', 'P0', OTHER, 13, 'tech lead escalation 12:27 UTC (in 17 min)'],
      ['INC-20261126-1', 'P2', ONCALL, 10, 'status update due 16:00 UTC (in 3 h 50 min)'],
    ]);
    expect(incidentsReport(list, now).sections[0]!.table!.rows[0]![5]).toBe('tech lead escalation 12:27 UTC (in 17 min)');
    ie.env.clock.advance(20 * MIN);
    expect(deadlineText(await nextDeadline(deps().state, 'INC-20261126-2'), ie.env.clock())).toBe('tech lead escalation 12:27 UTC (overdue 3 min)');
    expect(deadlineText(await nextDeadline(deps().state, 'INC-20261126-9'), ie.env.clock())).toBeUndefined();

    // A resolved incident leaves the list.
    await resolveIncident(deps(), 'INC-20261126-1', { resolution: 'indexes rebuilt' }, ONCALL);
    expect((await listIncidents(deps().state, ie.env.clock())).map((i) => i.id)).toEqual(['INC-20261126-2']);
  });

  it("tells one incident's story in order, open or resolved, and finds the only open one", async () => {
    const { incident } = await declareIncident(deps(), { title: 'slow queries', actorId: ONCALL });
    ie.env.clock.advance(5 * MIN);
    await addNote(deps(), incident.id, 'vacuum running', OTHER);
    expect((await incidentTimeline(deps().state, undefined)).incident.id).toBe(incident.id);
    await resolveIncident(deps(), incident.id, { resolution: 'vacuumed' }, ONCALL);
    const story = await incidentTimeline(deps().state, 'inc-20261126-1');
    expect(story.incident.status).toBe('resolved');
    expect(story.events.map((e) => [e.at, e.actor, e.kind])).toEqual([
      [at(0), ONCALL, 'declared'],
      [at(5), OTHER, 'note'],
      [at(5), ONCALL, 'resolved'],
      [at(5), 'bot', 'debrief-offered'],
    ]);
    await expect(incidentTimeline(deps().state, undefined)).rejects.toThrow('No incident is open.');
  });
});
