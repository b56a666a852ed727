import { assertBlockKitLimits } from '../helpers/slack-judge.js';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlert } from '../../src/alerts/alert-ingest.js';
import { acknowledgeAlert } from '../../src/incidents/acknowledge.js';
import { escalate } from '../../src/incidents/escalation.js';
import { addNote, changeOwner, changeSeverity, postStatusUpdate } from '../../src/incidents/incident-changes.js';
import { incidentTimeline } from '../../src/incidents/incident-queries.js';
import { markReviewDone, resolveFiringAlerts, resolveIncident } from '../../src/incidents/resolution.js';

import { alertsResolvedText, resolvedText, reviewDoneText } from '../../src/templates/incident-answers.js';
import { INCIDENT_RESOLVE_ALERTS_ACTION, resolveAlertsOffer } from '../../src/templates/incident-buttons.js';
import { reviewDraft } from '../../src/templates/review-draft.js';
import { at, blockText, MIN, ONCALL, openIncidentEnv, OTHER, pendingTimers, raiseAlert, type IncidentEnv } from '../helpers/incident-env.js';

let ie: IncidentEnv;
beforeEach(() => {
  ie = openIncidentEnv();
});
afterEach(() => ie.close());

const deps = () => ie.env.deps;

/** IpfsDown fired 11:57, acknowledged 12:00, resolved 13:00 while the alert still fires. */
async function resolvedP0() {
  await raiseAlert(ie, { name: 'IpfsDown', firedAt: at(-3) });
  const { incident } = await acknowledgeAlert(deps(), 'IpfsDown', ONCALL);
  ie.env.clock.advance(60 * MIN);
  return await resolveIncident(deps(), incident.id, { resolution: 'Switched to dweb.link | pinned again', impact: '1 h of failed retrievals' }, ONCALL);
}

describe('resolveIncident', () => {
  it('closes the incident: timers stopped, review reminder in 48 h, resolution, checklist, the channel told and the card closed', async () => {
    await ie.deliver();
    const r = await resolvedP0();
    expect(resolvedText(r, ie.env.clock())).toBe('INC-20261126-1 resolved after 1 h 3 min; review due by 2026-11-28 13:00 UTC. 1 alert is still firing: IpfsDown.');
    expect(r.firingAlerts).toEqual(['IpfsDown']);
    expect(r.incident).toMatchObject({
      status: 'resolved',
      resolved_at: at(60),
      resolution: 'Switched to dweb.link | pinned again',
      impact: '1 h of failed retrievals',
      next_update_at: null,
    });
    expect(await pendingTimers(ie, r.incident.id)).toEqual([{ kind: 'review-reminder', due_at: at(60 + 48 * 60) }]);
    expect((await deps().state.timeline.list(r.incident.id)).slice(-2)).toMatchObject([
      { actor: ONCALL, kind: 'resolved', text: 'Resolved after 1 h 3 min: Switched to dweb.link | pinned again' },
      { actor: 'bot', kind: 'debrief-offered', text: `Debrief offered to ${ONCALL}, suggested 2026-11-26 14:00 UTC` },
    ]);
    // The answer offers to resolve the alert that still fires.
    const offer = resolveAlertsOffer({ command: 'resolve', level: 'ok', headline: '', sections: [], data: { incidentId: r.incident.id, firingAlerts: r.firingAlerts } });
    expect(JSON.stringify(offer)).toContain(INCIDENT_RESOLVE_ALERTS_ACTION);

    await ie.deliver();
    const [, resolution, checklist] = await ie.thread(r.incident.anchor);
    expect(await ie.thread(r.incident.anchor)).toHaveLength(3);
    expect(resolution!.text).toBe('✅ INC-20261126-1 resolved after 1 h 3 min by <@U0ONCALL1>');
    for (const part of [
      '✅ *RESOLVED*: IpfsDown',
      '*Duration*: 2026-11-26 11:57 UTC – 13:00 UTC (1 h 3 min)',
      '*Resolution*: Switched to dweb.link | pinned again',
      '*Impact*: 1 h of failed retrievals',
      'review due by 2026-11-28 13:00 UTC',
    ]) {
      expect(blockText(resolution)).toContain(part);
    }
    expect(checklist!.text).toBe('📋 INC-20261126-1 post-incident checklist');
    expect(blockText(checklist)).toContain('☐ Clear any firing alerts: 1 still firing (IpfsDown)');
    // The channel is told, after the card, as a message of its own.
    const channel = ie.channel();
    expect(channel).toHaveLength(2);
    expect(channel[1]!.text).toBe('✅ INC-20261126-1 (P0) resolved after 1 h 3 min: IpfsDown: All IPFS gateways failing.');
    expect(channel[1]!.thread_ts).toBeUndefined();
    const card = (await ie.anchored(r.incident.anchor))!;
    expect(card.ts).toBe(channel[0]!.ts);
    expect(card.text).toBe('✅ INC-20261126-1 P0 resolved: IpfsDown: All IPFS gateways failing.');
    expect(blockText(card)).toContain('Resolved 2026-11-26 13:00 UTC: Switched to dweb.link | pinned again');
    for (const m of [resolution!, checklist!, channel[1]!]) assertBlockKitLimits('message', m.blocks!);

    for (const act of [
      async () => await postStatusUpdate(deps(), r.incident.id, { summary: 'x' }, ONCALL),
      async () => await changeSeverity(deps(), r.incident.id, 'P1', ONCALL),
      async () => await escalate(deps(), r.incident.id, 'techlead', {}, ONCALL),
      async () => await resolveIncident(deps(), r.incident.id, { resolution: 'again' }, ONCALL),
      async () => await changeOwner(deps(), r.incident.id, OTHER, ONCALL),
    ]) {
      await expect(act()).rejects.toThrow('INC-20261126-1 is already resolved (2026-11-26 13:00 UTC).');
    }
    await expect(resolveIncident(deps(), 'INC-20261126-1', { resolution: '' }, ONCALL)).rejects.toThrow('The resolution is empty');
  });

  it('says nothing is firing when the alert resolved before the incident did', async () => {
    await raiseAlert(ie, { name: 'IpfsDown', firedAt: at(-3) });
    const { incident } = await acknowledgeAlert(deps(), 'IpfsDown', ONCALL);
    ie.env.clock.advance(10 * MIN);
    await ingestAlert(deps(), { name: 'IpfsDown', status: 'resolved', message: '', source: 'metrics-db' });
    const r = await resolveIncident(deps(), incident.id, { resolution: 'fixed' }, ONCALL);
    expect(r.firingAlerts).toEqual([]);
    expect(resolvedText(r, ie.env.clock())).toBe('INC-20261126-1 resolved after 13 min; review due by 2026-11-28 12:10 UTC.');
  });
});

describe('resolveFiringAlerts', () => {
  it('resolves the alerts still firing in metrics.db and in the bot, once, and says so in the thread', async () => {
    const r = await resolvedP0();
    await ie.deliver();
    const before = (await ie.thread(r.incident.anchor)).length;
    const done = await resolveFiringAlerts(deps(), r.incident.id, ONCALL);
    expect(alertsResolvedText(done)).toBe('Resolved 1 alert of INC-20261126-1: IpfsDown.');
    expect(ie.metrics.prepare('SELECT status, resolved_at FROM alerts').get()).toEqual({ status: 'resolved', resolved_at: '2026-11-26 13:00:00' });
    expect(await deps().state.alerts.get('ipfsdown')).toMatchObject({ status: 'resolved', resolved_at: at(60), resolved_by: `user:${ONCALL}` });
    expect((await deps().state.timeline.list(r.incident.id)).at(-1)).toMatchObject({ actor: ONCALL, kind: 'alerts-resolved', text: 'Resolved firing alerts: IpfsDown' });

    await ie.deliver();
    const added = (await ie.thread(r.incident.anchor)).slice(before);
    expect(added.map((m) => m.text)).toEqual(['🔕 INC-20261126-1: resolved 1 firing alert']);
    expect(blockText(await ie.anchored(r.incident.anchor))).toContain('Alert IpfsDown: resolved 13:00 UTC');
    await expect(resolveFiringAlerts(deps(), r.incident.id, ONCALL)).rejects.toThrow('No alert of INC-20261126-1 is firing any more.');
  });

  it('still resolves them in the bot when metrics.db is locked, and says what was not written', async () => {
    const r = await resolvedP0();
    const locker = new Database(path.join(ie.dataDir, 'metrics.db'));
    locker.exec('BEGIN EXCLUSIVE');
    try {
      const done = await resolveFiringAlerts(deps(), r.incident.id, ONCALL);
      expect(done.resolved).toEqual(['IpfsDown']);
      expect(done.notWritten).toEqual([{ name: 'IpfsDown', problem: expect.stringMatching(/lock/i) as string }]);
      expect(alertsResolvedText(done)).toMatch(/^Resolved 1 alert of INC-20261126-1: IpfsDown\. metrics\.db could not be updated \(.*lock/i);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    expect(ie.metrics.prepare('SELECT status FROM alerts').get()).toEqual({ status: 'firing' });
    expect((await deps().state.timeline.list(r.incident.id)).at(-1)).toMatchObject({ actor: 'bot', kind: 'bot-note', text: expect.stringMatching(/^metrics\.db not updated for IpfsDown: .*lock/i) as string });
    await ie.deliver();
    expect(blockText((await ie.thread(r.incident.anchor)).at(-1))).toContain('metrics.db was not updated for IpfsDown');
  });
});

describe('the review', () => {
  it('drafts the review from the record and stops the reminder when it is done', async () => {
    await raiseAlert(ie, { name: 'IpfsDown', firedAt: at(-3) });
    const { incident } = await acknowledgeAlert(deps(), 'IpfsDown', ONCALL);
    await expect(markReviewDone(deps(), incident.id, ONCALL)).rejects.toThrow('INC-20261126-1 is still open; resolve it first');
    ie.env.clock.advance(10 * MIN);
    await addNote(deps(), incident.id, 'Add a second gateway | with health checks', OTHER);
    ie.env.clock.advance(50 * MIN);
    await resolveIncident(deps(), incident.id, { resolution: 'Switched gateway' }, ONCALL);
    await addNote(deps(), incident.id, 'Alert on pin failures', ONCALL);

    const story = await incidentTimeline(deps().state, incident.id);
    const md = reviewDraft(story.incident, story.events, ie.env.clock());
    expect(md.split('\n').slice(0, 5)).toEqual([
      '# Incident Report: INC-20261126-1 IpfsDown: All IPFS gateways failing.',
      '',
      '**Date**: 2026-11-26',
      '**Severity**: P0',
      '**Duration**: 11:57 UTC - 13:00 UTC (1 h 3 min)',
    ]);
    expect(md).toContain('**Time to acknowledge**: 3 min');
    expect(md).toContain('| 11:57 | bot | Alert IpfsDown fired: All IPFS gateways failing. Retrieval of the current snapshot times out. |');
    expect(md).toContain('| 12:10 | U0ONCALL2 | Add a second gateway \\| with health checks |');
    expect(md).toContain('- [ ] Add a second gateway \\| with health checks (noted by U0ONCALL2, 12:10 UTC)');
    expect(md).toContain('- [ ] Alert on pin failures (noted by U0ONCALL1, 13:00 UTC)');
    expect(md).toContain('**What Went Well**:');
    expect(md).toContain('Escalations: none');

    const done = await markReviewDone(deps(), incident.id, ONCALL);
    expect(reviewDoneText(done)).toBe('Review of INC-20261126-1 marked done; the reminder is off.');
    expect(await pendingTimers(ie, incident.id)).toEqual([]);
    await expect(markReviewDone(deps(), incident.id, ONCALL)).rejects.toThrow('already marked done');
    await ie.deliver();
    expect((await ie.thread(incident.anchor)).at(-1)!.text).toBe('📋 INC-20261126-1 post-incident review marked done by <@U0ONCALL1>');
    const fields = blockText(await ie.anchored(incident.anchor));
    expect(fields).toContain('*Next* review done');
  });
});
