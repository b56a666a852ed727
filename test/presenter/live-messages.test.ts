import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlert, type AlertReport } from '../../src/alerts/alert-ingest.js';
import { acknowledgeAlert } from '../../src/incidents/acknowledge.js';
import { declareIncident } from '../../src/incidents/declare.js';
import { liveMessage } from '../../src/presenter/live-messages.js';
import { ALERT_ACK_ACTION } from '../../src/templates/incident-buttons.js';
import { blockText, CHANNEL, MIN, ONCALL, openIncidentEnv, type IncidentEnv } from '../helpers/incident-env.js';

let ie: IncidentEnv;
beforeEach(() => {
  ie = openIncidentEnv({ channels: { incidents: CHANNEL }, escalation: { techLead: 'U0TECHLEAD' } });
});
afterEach(() => ie.close());

const deps = () => ie.env.deps;
const live = async (anchor: string) => await liveMessage(deps().state, anchor, ie.env.clock());
const report = (status: 'firing' | 'resolved', name = 'IpfsDown'): AlertReport => ({ name, status, message: 'All IPFS gateways failing', source: 'alertmanager' });

describe('liveMessage', () => {
  it("renders an alert nobody acknowledged as the alert's message, with its buttons", async () => {
    await ingestAlert(deps(), report('firing'));
    const m = (await live('alert:ipfsdown:1'))!;
    expect(m.text).toBe('P0 IpfsDown firing since 12:00 UTC (just now)');
    expect(blockText(m)).toContain(ALERT_ACK_ACTION);
  });

  it("renders an acknowledged alert's message as its incident's status card, with the alert and the next deadline", async () => {
    await ingestAlert(deps(), report('firing'));
    const { incident } = await acknowledgeAlert(deps(), 'IpfsDown', ONCALL);
    ie.env.clock.advance(10 * MIN);
    const card = (await live(incident.anchor))!;
    expect(card.text).toBe('🔎 INC-20261126-1 P0 investigating: IpfsDown: All IPFS gateways failing');
    expect(blockText(card)).toContain('*Next* status update due 12:30 UTC (in 20 min)');
    expect(blockText(card)).toContain('Alert IpfsDown: firing since 12:00 UTC · acknowledged by <@U0ONCALL1> after 0 s');
    expect(blockText(card)).not.toContain(ALERT_ACK_ACTION);
    // Always from the state at send time: a change shows without a new event.
    await deps().state.transaction(async (tx) => await tx.incidents.update(incident.id, { owner_id: 'U0ONCALL2' }));
    expect(blockText(await live(incident.anchor))).toContain('*Owner* <@U0ONCALL2>');
  });

  it("renders a declared incident's own card, without an alert", async () => {
    const { incident } = await declareIncident(deps(), { title: 'slow queries', actorId: ONCALL });
    const card = (await live(incident.anchor))!;
    expect(incident.anchor).toBe('incident:INC-20261126-1');
    expect(card.text).toBe('🔎 INC-20261126-1 P2 investigating: slow queries');
    expect(blockText(card)).not.toContain('Alert ');
  });

  it('leaves a superseded firing alone: an unacknowledged one renders nothing, a card drops the alert line; the new firing is its own message', async () => {
    await ingestAlert(deps(), report('firing', 'Lonely'));
    await ingestAlert(deps(), report('resolved', 'Lonely'));
    await ingestAlert(deps(), report('firing', 'Lonely'));
    expect(await live('alert:lonely:1')).toBeNull();
    expect((await live('alert:lonely:2'))!.text).toContain('P0 Lonely firing');

    await ingestAlert(deps(), report('firing'));
    const { incident } = await acknowledgeAlert(deps(), 'IpfsDown', ONCALL);
    await ingestAlert(deps(), report('resolved'));
    expect(blockText(await live(incident.anchor))).toContain('Alert IpfsDown: resolved 12:00 UTC');
    await ingestAlert(deps(), report('firing'));
    const card = (await live(incident.anchor))!;
    expect(card.text).toContain(incident.id);
    expect(blockText(card)).not.toContain('Alert IpfsDown');
    const fresh = (await live('alert:ipfsdown:2'))!;
    expect(fresh.text).toContain('P0 IpfsDown firing');
    expect(blockText(fresh)).toContain('Fired 2 times');
  });

  it('reads keys with colons, and renders nothing for an anchor that names nothing', async () => {
    await ingestAlert(deps(), report('firing', 'job:stuck'));
    expect((await live('alert:job:stuck:1'))!.text).toContain('job:stuck');
    expect(await live('alert:job:stuck:2')).toBeNull();
    expect(await live('alert:never_seen:1')).toBeNull();
    expect(await live('incident:INC-20261126-9')).toBeNull();
    expect(await live('channel:C0INCIDENT')).toBeNull();
    expect(await live('')).toBeNull();
  });
});

describe('a firing superseded before its edit went out', () => {
  it('still shows how that firing ended, and the new firing gets a message of its own', async () => {
    await ingestAlert(deps(), report('firing'));
    await ie.deliver();
    ie.env.clock.advance(5 * MIN);
    await ingestAlert(deps(), report('resolved'));
    await ingestAlert(deps(), report('firing'));
    await ie.deliver();
    const [first, second] = ie.channel();
    expect(ie.channel()).toHaveLength(2);
    expect(first!.text).toBe('P0 IpfsDown resolved at 12:05 UTC after 5 min');
    expect(blockText(first)).not.toContain(ALERT_ACK_ACTION);
    expect(second!.text).toBe('P0 IpfsDown firing since 12:05 UTC (just now)');
    expect(await deps().state.outbox.stats(ie.env.clock())).toEqual({ pending: 0, failed: 0, oldestPendingSec: 0 });
  });
});
