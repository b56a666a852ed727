import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { declareIncident } from '../../src/incidents/declare.js';
import { IncidentInputError } from '../../src/incidents/incident-errors.js';
import type { Severity } from '../../src/incidents/severity-matrix.js';
import { declaredText } from '../../src/templates/incident-answers.js';
import { at, blockText, ONCALL, openIncidentEnv, pendingTimers as pendingOf, type IncidentEnv } from '../helpers/incident-env.js';

let ie: IncidentEnv;
beforeEach(() => {
  ie = openIncidentEnv();
});
afterEach(() => ie.close());

const deps = () => ie.env.deps;
const pendingTimers = async (incidentId: string) => await pendingOf(ie, incidentId);

describe('declareIncident', () => {
  it('takes the severity from the matched symptom, else P2, starts the clock, and posts a card of its own with the initial response', async () => {
    const tiger = await declareIncident(deps(), { title: 'TIGER down since 3am', actorId: ONCALL });
    expect(tiger.incident).toMatchObject({
      id: 'INC-20261126-1',
      severity: 'P1',
      owner_id: ONCALL,
      acknowledged_at: at(0),
      ack_seconds: 0,
      opened_at: at(0),
      alert_key: null,
      anchor: 'incident:INC-20261126-1',
    });
    expect(declaredText(tiger)).toBe('Declared INC-20261126-1 (P1, matches "provider outage"); it is yours, and the initial response is in its thread.');
    expect(await pendingTimers(tiger.incident.id)).toEqual([
      { kind: 'escalate-tech-lead', due_at: at(120) },
      { kind: 'update-due', due_at: at(120) },
      { kind: 'handoff-suggest', due_at: at(240) },
      { kind: 'break-nudge', due_at: at(480) },
    ]);
    expect((await deps().state.timeline.list(tiger.incident.id)).map((e) => [e.actor, e.kind, e.text])).toEqual([
      [ONCALL, 'declared', 'Declared P1 (matches "provider outage"): TIGER down since 3am'],
    ]);

    await ie.deliver();
    expect(ie.channel()).toHaveLength(1);
    const card = (await ie.anchored(tiger.incident.anchor))!;
    expect(card.text).toBe('🔎 INC-20261126-1 P1 investigating: TIGER down since 3am');
    expect((await ie.thread(tiger.incident.anchor)).map((m) => m.text)).toEqual(['🚨 INC-20261126-1 declared by <@U0ONCALL1>: P1 · TIGER down since 3am']);
    expect(blockText((await ie.thread(tiger.incident.anchor))[0])).toContain('🚨 *Incident declared: TIGER down since 3am*');

    const odd = await declareIncident(deps(), { title: 'something odd with the dashboard', actorId: ONCALL });
    expect(odd.incident.severity).toBe('P2');
    expect(declaredText(odd)).toContain('no symptom matched: P2 by default');
    const forced = await declareIncident(deps(), { title: 'something odd', severity: 'P0', actorId: ONCALL });
    expect(forced.incident.severity).toBe('P0');
    expect(declaredText(forced)).toContain('(P0, as declared)');
    await ie.deliver();
    // Each declared incident has its own card.
    expect(ie.channel()).toHaveLength(3);
  });

  it('sends a declared data loss straight to the CTO and security in the initial response', async () => {
    const { incident } = await declareIncident(deps(), { title: 'data loss in snapshots', actorId: ONCALL });
    expect(incident.severity).toBe('P0');
    await ie.deliver();
    expect(blockText((await ie.thread(incident.anchor))[0])).toContain('goes straight to the CTO and security: `/atlas escalate INC-20261126-1 cto`');
  });

  it('cuts a very long title instead of refusing it, and refuses an empty one or a bad severity', async () => {
    const long = await declareIncident(deps(), { title: `slow queries ${'x'.repeat(4987)}`, actorId: ONCALL });
    expect(long.incident.title).toHaveLength(150);
    expect(long.incident.title.endsWith('…')).toBe(true);
    await expect(declareIncident(deps(), { title: '   ', actorId: ONCALL })).rejects.toThrow('The title is empty');
    await expect(declareIncident(deps(), { title: 'x', severity: 'P9' as Severity, actorId: ONCALL })).rejects.toThrow('Severity is one of P0, P1, P2, P3');
    await expect(declareIncident(deps(), { title: 'x', actorId: '<!channel>' })).rejects.toThrow(IncidentInputError);
    expect(ie.env.db.prepare('SELECT COUNT(*) AS n FROM incidents').get()).toEqual({ n: 1 });
  });
});
