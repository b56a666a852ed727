import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRegistry } from '../../src/commands/index.js';
import type { Incident } from '../../src/db/state/state-records.js';
import { ROUTES } from '../../src/handlers/buttons.js';
import { declareIncident } from '../../src/incidents/declare.js';
import { changeOwner } from '../../src/incidents/incident-changes.js';
import { sweepTimers } from '../../src/incidents/timer-sweeper.js';
import { INCIDENT_HAND_SECONDARY_ACTION } from '../../src/templates/incident-buttons.js';
import { allowEveryone } from '../helpers/authorizers.js';
import { blockText, CHANNEL, MIN, openIncidentEnv, type IncidentEnv } from '../helpers/incident-env.js';
import { assertBlockKitLimits } from '../helpers/slack-judge.js';
import { TEST_NOW } from '../helpers/test-deps.js';

const CONFIG = {
  channels: { incidents: CHANNEL },
  responders: { users: ['U0ONCALL1', 'U0SECONDA', 'U0OTHER01'] },
  rotation: { start: '2026-11-23', handoff: '0 9 * * 1', primary: ['U0ONCALL1'], secondary: ['U0SECONDA'] },
};

let ie: IncidentEnv;
beforeEach(() => {
  ie = openIncidentEnv(CONFIG);
});
afterEach(() => ie.close());

const deps = () => ie.env.deps;
const at = (minutes: number) => ie.env.clock.set(new Date(new Date(TEST_NOW).getTime() + minutes * MIN));
const nudges = async () => (await sweepTimers(deps())).reminders.filter((r) => r.kind === 'break-nudge');
const open = async (): Promise<Incident> => (await declareIncident(deps(), { title: 'Proofs failing', severity: 'P3', actorId: 'U0ONCALL1' })).incident;

function buttonsOf(blocks: unknown): Array<{ action_id: string; value: string }> {
  const actions = (blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>).find((b) => b.type === 'actions');
  return actions?.elements ?? [];
}

describe('the 8-hour break nudge', () => {
  it('comes at 8 h of ownership, not a minute before, once, in the thread with Hand to the secondary', async () => {
    const incident = await open();
    at(8 * 60 - 1);
    expect(await nudges()).toEqual([]);
    at(8 * 60);
    expect(await nudges()).toHaveLength(1);
    at(8 * 60 + 1);
    expect(await nudges()).toEqual([]);
    // An update re-plans the clock; the nudge, fired, is not planned again.
    at(9 * 60);
    await ie.env.deps.state.transaction(async () => undefined);
    await ie.deliver();
    const nudge = (await ie.thread(incident.anchor)).find((m) => m.text.startsWith('☕'))!;
    expect(nudge.text).toBe(`☕ ${incident.id}: owned for 8 h, take a break`);
    expect(blockText(nudge)).toContain('<@U0ONCALL1>, you have owned');
    expect(blockText(nudge)).toContain('<@U0SECONDA> (secondary on-call)');
    const hand = buttonsOf(nudge.blocks)[0]!;
    expect(hand).toMatchObject({ action_id: INCIDENT_HAND_SECONDARY_ACTION, value: `${incident.id}:U0SECONDA` });
    assertBlockKitLimits('message', nudge.blocks!);
    expect((await deps().state.timeline.list(incident.id)).map((e) => e.text)).toContain('Reminder: U0ONCALL1 active for 8 h, take a break');

    // One click: the route runs `own <INC> <secondary>` through the registry.
    const route = ROUTES.find((r) => r.actionId === INCIDENT_HAND_SECONDARY_ACTION)!;
    expect(route.command).toBe('own');
    const args = route.args(hand.value)!;
    const result = await createRegistry(allowEveryone).invoke(route.command, args, { source: 'slack', userId: 'U0ONCALL1', channelId: CHANNEL, via: 'button' }, deps());
    expect(result.outcome).not.toBe('error');
    expect((await deps().state.incidents.get(incident.id))!.owner_id).toBe('U0SECONDA');
    expect(route.args(`${incident.id}:not-a-user`)).toBeNull();
  });

  it('is re-planned from an owner change: the new owner hears at their own 8 h', async () => {
    const incident = await open();
    at(100);
    await changeOwner(deps(), incident.id, 'U0OTHER01', 'U0ONCALL1');
    at(8 * 60);
    expect(await nudges()).toEqual([]);
    at(100 + 8 * 60 - 1);
    expect(await nudges()).toEqual([]);
    at(100 + 8 * 60);
    const [fired] = await nudges();
    expect(fired).toMatchObject({ kind: 'break-nudge', incidentId: incident.id });
    const pending = (await deps().state.timers.pending({ incidentId: incident.id })).filter((t) => t.kind === 'break-nudge');
    expect(pending).toEqual([]);
  });

  it('says there is no secondary to hand to when the owner is the secondary', async () => {
    const incident = (await declareIncident(deps(), { title: 'Proofs failing', severity: 'P3', actorId: 'U0SECONDA' })).incident;
    at(8 * 60);
    expect(await nudges()).toHaveLength(1);
    await ie.deliver();
    const nudge = (await ie.thread(incident.anchor)).find((m) => m.text.startsWith('☕'))!;
    expect(blockText(nudge)).toContain('You are the secondary too');
    expect(buttonsOf(nudge.blocks).some((b) => b.action_id === INCIDENT_HAND_SECONDARY_ACTION)).toBe(false);
  });

  it('stops when the incident is resolved', async () => {
    const incident = await open();
    at(60);
    await deps().state.transaction(async (tx) => await tx.incidents.update(incident.id, { status: 'resolved' }));
    at(8 * 60);
    expect(await nudges()).toEqual([]);
  });
});
