import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRegistry } from '../../src/commands/index.js';
import { suggestDebriefSlot } from '../../src/incidents/debrief.js';
import { declareIncident } from '../../src/incidents/declare.js';
import { addNote } from '../../src/incidents/incident-changes.js';
import { resolveIncident } from '../../src/incidents/resolution.js';
import { snoozeTimer } from '../../src/incidents/snooze.js';
import { REVIEW_REMINDER_MINUTES } from '../../src/incidents/timer-plan.js';
import { sweepTimers } from '../../src/incidents/timer-sweeper.js';
import { ROUTES } from '../../src/handlers/buttons.js';
import { INCIDENT_DEBRIEF_DONE_ACTION } from '../../src/templates/incident-buttons.js';
import { allowEveryone } from '../helpers/authorizers.js';
import { CHANNEL, MIN, openIncidentEnv, type IncidentEnv } from '../helpers/incident-env.js';
import { assertBlockKitLimits } from '../helpers/slack-judge.js';
import { TEST_NOW } from '../helpers/test-deps.js';

let ie: IncidentEnv;
beforeEach(() => {
  ie = openIncidentEnv({ channels: { incidents: CHANNEL }, responders: { users: ['U0ONCALL1', 'U0HELPER1'] } });
});
afterEach(() => ie.close());

const deps = () => ie.env.deps;
const at = (minutes: number) => ie.env.clock.set(new Date(new Date(TEST_NOW).getTime() + minutes * MIN));
const dms = () =>
  (ie.env.db.prepare('SELECT channel, payload FROM outbox ORDER BY id').all() as Array<{ channel: string | null; payload: string | null }>)
    .filter((r) => r.channel?.startsWith('U'))
    .map((r) => ({ channel: r.channel!, payload: JSON.parse(r.payload ?? '{}') as { text: string; blocks: unknown[] } }));

describe('the debrief meeting', () => {
  it('suggests the next working-day slot at least an hour ahead, in the zone', () => {
    // Saturday noon UTC: Monday 10:00.
    expect(suggestDebriefSlot(new Date('2026-11-28T12:00:00Z'), 'UTC').toISOString()).toBe('2026-11-30T10:00:00.000Z');
    // Thursday 09:30 in Kolkata: 14:00 there (08:30Z).
    expect(suggestDebriefSlot(new Date('2026-11-26T04:00:00Z'), 'Asia/Kolkata').toISOString()).toBe('2026-11-26T08:30:00.000Z');
  });

  it('is offered to each responder by DM at the resolution, once (not again with the review reminder), and ticked in the thread when marked scheduled', async () => {
    const { incident } = await declareIncident(deps(), { title: 'Proofs failing', severity: 'P2', actorId: 'U0ONCALL1' });
    at(10);
    await addNote(deps(), incident.id, 'restarted the prover', 'U0HELPER1');
    expect(dms()).toEqual([]);
    await resolveIncident(deps(), incident.id, { resolution: 'fixed' }, 'U0ONCALL1');
    const offers = dms();
    expect(offers.map((d) => d.channel)).toEqual(['U0ONCALL1', 'U0HELPER1']);
    // Resolved Thu 12:10 UTC: the next slot an hour ahead is Thu 14:00 in the rotation's zone (UTC without a rotation), within the guide's 48 h.
    expect(offers[0]!.payload.text).toBe(`🗓️ Debrief for ${incident.id}: suggested Thu 26 Nov 14:00 UTC`);
    assertBlockKitLimits('message', offers[0]!.payload.blocks as never);
    const button = JSON.stringify(offers[0]!.payload.blocks);
    expect(button).toContain(INCIDENT_DEBRIEF_DONE_ACTION);
    at(10 + REVIEW_REMINDER_MINUTES);
    const fired = (await sweepTimers(deps())).reminders.filter((r) => r.kind === 'review-reminder');
    expect(fired).toHaveLength(1);
    expect(dms()).toHaveLength(2);

    // A snoozed review reminder firing again does not offer it either.
    await snoozeTimer(deps(), fired[0]!.timerId, 30, 'U0ONCALL1');
    at(10 + REVIEW_REMINDER_MINUTES + 30);
    expect((await sweepTimers(deps())).fired).toBe(1);
    expect(dms()).toHaveLength(2);

    // The button runs `debrief-done <INC>` through the registry.
    const route = ROUTES.find((r) => r.actionId === INCIDENT_DEBRIEF_DONE_ACTION)!;
    const registry = createRegistry(allowEveryone);
    const actor = { source: 'slack' as const, userId: 'U0HELPER1', channelId: 'D0DM', via: 'button' as const };
    const done = await registry.invoke(route.command, route.args(incident.id)!, actor, deps());
    expect(done.report.headline).toBe(`Debrief of ${incident.id} marked scheduled; the checklist item is ticked in its thread.`);
    const again = await registry.invoke(route.command, route.args(incident.id)!, actor, deps());
    expect(again.report.headline).toMatch(/already marked scheduled/);
    expect((await deps().state.timeline.list(incident.id)).filter((e) => e.kind === 'debrief-scheduled')).toHaveLength(1);

    await ie.deliver();
    const tick = (await ie.thread(incident.anchor)).find((m) => m.text.includes('Schedule debrief meeting'))!;
    expect(tick.text).toBe(`✅ ${incident.id}: Schedule debrief meeting (within 48h)`);
  });

  it('is offered with the review reminder when it was not at the resolution (nobody to offer it to then)', async () => {
    const { incident } = await declareIncident(deps(), { title: 'Proofs failing', severity: 'P2', actorId: 'bot' });
    await resolveIncident(deps(), incident.id, { resolution: 'fixed' }, 'bot');
    expect(dms()).toEqual([]);
    await addNote(deps(), incident.id, 'prover restarted at 11:50', 'U0HELPER1');
    at(REVIEW_REMINDER_MINUTES);
    expect((await sweepTimers(deps())).reminders.map((r) => r.kind)).toEqual(['review-reminder']);
    expect(dms().map((d) => d.channel)).toEqual(['U0HELPER1']);
    // Resolved Thu 12:00, reminded Sat 12:00: Monday 10:00.
    expect(dms()[0]!.payload.text).toBe(`🗓️ Debrief for ${incident.id}: suggested Mon 30 Nov 10:00 UTC`);
  });
});
