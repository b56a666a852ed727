import { assertBlockKitLimits } from '../helpers/slack-judge.js';
import { afterEach, describe, expect, it } from 'vitest';
import { acknowledgeAlert, setAckDetails } from '../../src/incidents/acknowledge.js';
import { declareIncident } from '../../src/incidents/declare.js';
import { escalationContact } from '../../src/incidents/escalation-contacts.js';
import { escalate } from '../../src/incidents/escalation.js';
import { postStatusUpdate } from '../../src/incidents/incident-changes.js';
import { IncidentInputError } from '../../src/incidents/incident-errors.js';
import { sweepTimers } from '../../src/incidents/timer-sweeper.js';

import { escalatedText } from '../../src/templates/incident-answers.js';
import {
  at,
  blockText,
  incidentConfig,
  MIN,
  NOW,
  ONCALL,
  openIncidentEnv,
  OTHER,
  pendingTimers,
  raiseAlert,
  TECH_LEAD,
  type IncidentEnv,
} from '../helpers/incident-env.js';

let ie: IncidentEnv;
afterEach(() => ie.close());

const deps = () => ie.env.deps;

describe('escalate', () => {
  it('posts the good escalation message to the configured tech lead, broadcast for a P0, and settles that reminder', async () => {
    ie = openIncidentEnv();
    await raiseAlert(ie, { name: 'IpfsDown', firedAt: at(-3) });
    const { incident } = await acknowledgeAlert(deps(), 'IpfsDown', ONCALL);
    await setAckDetails(deps(), incident.id, { impact: 'No proofs for anyone' }, ONCALL);
    ie.env.clock.advance(42 * MIN);
    await postStatusUpdate(deps(), incident.id, { summary: 'Still down', completed: 'Emergency backup created', blocked: 'Gateway vendor unreachable' }, ONCALL);
    const r = await escalate(deps(), incident.id, 'techlead', { need: 'Decision: rebuild from IPFS or wait?' }, ONCALL);
    expect(r.contactId).toBe(TECH_LEAD);
    expect(escalatedText(r)).toBe('Escalated INC-20261126-1 to the tech lead, <@U0TECHLEAD>, in its thread.');
    expect((await deps().state.timeline.list(incident.id)).at(-1)).toMatchObject({
      actor: ONCALL,
      kind: 'escalated',
      text: 'Escalated to the tech lead (U0TECHLEAD): Decision: rebuild from IPFS or wait?',
    });

    await ie.deliver();
    const post = (await ie.thread(incident.anchor)).at(-1)!;
    // Broadcast: it shows in the channel too.
    expect(post.subtype).toBe('thread_broadcast');
    expect(ie.channel().map((m) => m.ts)).toContain(post.ts);
    expect(post.text).toBe('📣 INC-20261126-1 escalated to the tech lead (<@U0TECHLEAD>) by <@U0ONCALL1>');
    for (const part of [
      '<@U0TECHLEAD> - Escalating P0 incident INC-20261126-1',
      '*Issue*: IpfsDown: All IPFS gateways failing.',
      '*Duration*: 45 min (started 11:57 UTC)',
      '*Impact*: No proofs for anyone',
      '• ✅ Emergency backup created',
      '• ❌ Gateway vendor unreachable',
      '*Escalating Because*: 30 min threshold for a P0 reached (open 45 min)',
      '*Immediate Need*: Decision: rebuild from IPFS or wait?',
    ]) {
      expect(blockText(post)).toContain(part);
    }
    assertBlockKitLimits('message', post.blocks!);
    const techLead = ie.env.db.prepare("SELECT fired_at FROM timers WHERE incident_id = ? AND kind = 'escalate-tech-lead' AND cancelled_at IS NULL").all(incident.id);
    expect(techLead).toEqual([{ fired_at: at(42) }]);
    // A later update re-plans; the settled escalation stays settled, and the sweep never reminds of it.
    await postStatusUpdate(deps(), incident.id, { summary: 'Rebuilding' }, ONCALL);
    expect((await pendingTimers(ie, incident.id)).map((t) => t.kind)).not.toContain('escalate-tech-lead');
    ie.env.clock.advance(60 * MIN);
    expect((await sweepTimers(deps())).reminders.map((x) => x.kind)).not.toContain('escalate-tech-lead');
  });

  it('escalating to the CTO before its reminder is due records the reminder as done', async () => {
    ie = openIncidentEnv();
    await raiseAlert(ie, { name: 'IpfsDown' });
    const { incident } = await acknowledgeAlert(deps(), 'IpfsDown', ONCALL);
    const r = await escalate(deps(), incident.id, 'CTO' as 'cto', { why: 'vendor says hours' }, ONCALL);
    expect(r.target).toBe('cto');
    expect((await pendingTimers(ie, incident.id)).map((t) => t.kind)).not.toContain('escalate-cto');
    ie.env.clock.advance(90 * MIN);
    expect((await sweepTimers(deps())).reminders.map((x) => x.kind)).not.toContain('escalate-cto');
  });

  it('says so when the contact is not configured, and says why now from the guide', async () => {
    ie = openIncidentEnv();
    const { incident } = await declareIncident(deps(), { title: 'slow queries', actorId: ONCALL });
    const cto = await escalate(deps(), incident.id, 'cto', {}, ONCALL);
    expect(cto.contactId).toBeNull();
    expect(escalatedText(cto)).toBe('Escalated INC-20261126-1 in its thread, but no CTO is configured (`escalation.cto`): page them by hand.');
    expect((await deps().state.timeline.list(incident.id)).at(-1)!.text).toBe('Escalated to the CTO (not configured)');
    await ie.deliver();
    const post = (await ie.thread(incident.anchor)).at(-1)!;
    expect(post.subtype).toBeUndefined();
    expect(ie.channel()).toHaveLength(1);
    expect(blockText(post)).toContain('⚠️ No CTO is configured (`escalation.cto`): page them by hand - Escalating P2 incident');
    expect(blockText(post)).toContain('*Escalating Because*: judgement call of the responder (no CTO deadline for a P2)');
    const bad = await (async () => {
      try {
        await escalate(deps(), incident.id, 'ceo' as 'cto', {}, ONCALL);
      } catch (err) {
        return err;
      }
    })();
    expect(bad).toBeInstanceOf(IncidentInputError);
    expect((bad as IncidentInputError).message).toBe('Escalate to one of techlead, cto, secondary, db, security.');
    expect((bad as IncidentInputError).field).toBe('target');

    const loss = (await declareIncident(deps(), { title: 'data loss in snapshots', actorId: ONCALL })).incident;
    await escalate(deps(), loss.id, 'security', {}, ONCALL);
    await ie.deliver();
    expect(blockText((await ie.thread(loss.anchor)).at(-1))).toContain('*Escalating Because*: data loss: the guide sends it straight to the CTO and security');
  });

  it('finds the secondary in the rotation, and the other contacts in the config', async () => {
    ie = openIncidentEnv(
      incidentConfig({
        rotation: { start: '2026-11-23', primary: [ONCALL], secondary: [OTHER] },
        escalation: { techLead: TECH_LEAD, cto: 'U0CTOBOSS', dbExpert: 'U0DBEXPERT', security: 'U0SECURITY' },
      }),
    );
    const { incident } = await declareIncident(deps(), { title: 'slow queries', actorId: ONCALL });
    const r = await escalate(deps(), incident.id, 'secondary', { need: 'a second pair of eyes' }, ONCALL);
    expect(r.contactId).toBe(OTHER);
    await ie.deliver();
    expect(blockText((await ie.thread(incident.anchor)).at(-1))).toContain('<@U0ONCALL2> - Escalating P2 incident');
    const d = deps();
    expect(await escalationContact(d, 'techlead', NOW)).toBe(TECH_LEAD);
    expect(await escalationContact(d, 'cto', NOW)).toBe('U0CTOBOSS');
    expect(await escalationContact(d, 'db', NOW)).toBe('U0DBEXPERT');
    expect(await escalationContact(d, 'security', NOW)).toBe('U0SECURITY');
    expect(await escalationContact(d, 'secondary', NOW)).toBe(OTHER);
  });
});
