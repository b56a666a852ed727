/**
 * A week of incidents, alerts and pages in a real chatops.db, made through the domain (ingest,
 * acknowledge, updates, resolutions) with the clock set at known times, and the page store for
 * pages at the night's edges. Every figure the reliability report gives for it is computed by
 * hand in test/reports/reliability-report.test.ts.
 *
 * Zone America/New_York (EST, UTC−5, in November): night 00:00–06:00 local is 05:00–11:00 UTC.
 * The report runs at TEST_NOW (2026-11-26 12:00Z) over 7 days: from 2026-11-19 12:00Z.
 */
import { ingestAlert } from '../../src/alerts/alert-ingest.js';
import type { Severity } from '../../src/db/state/state-records.js';
import { acknowledgeAlert, setAckDetails } from '../../src/incidents/acknowledge.js';
import { declareIncident } from '../../src/incidents/declare.js';
import { attachToTimeline, changeSeverity, postStatusUpdate } from '../../src/incidents/incident-changes.js';
import { markReviewDone, resolveIncident } from '../../src/incidents/resolution.js';
import { incidentConfig, ONCALL, OTHER, type IncidentEnv } from '../helpers/incident-env.js';

export const ZONE = 'America/New_York';
export const NIGHT_OWL = 'U0NIGHTOWL';
export const HANDOFF = 'C0HANDOFF';
export const FIXTURE_CONFIG = incidentConfig({ channels: { incidents: 'C0INCIDENT', handoff: HANDOFF }, rotation: { timezone: ZONE } });

const MIN = 60_000;

export interface FixtureIds {
  /** Before the window: resolved, review open (overdue). */
  i0: string;
  i1: string;
  i2: string;
  i3: string;
  i4: string;
  i5: string;
}

export async function buildFixture(ie: IncidentEnv): Promise<FixtureIds> {
  const deps = ie.env.deps;
  const set = (at: string | number) => ie.env.clock.set(new Date(at));
  const fire = async (name: string, at: string) => {
    set(at);
    return (await ingestAlert(deps, { name, status: 'firing', message: `${name} is unhappy`, firedAt: new Date(at), source: 'atlas-webhook' })).alert!;
  };
  const clear = async (name: string, at: string) => {
    set(at);
    await ingestAlert(deps, { name, status: 'resolved', message: `${name} is unhappy`, resolvedAt: new Date(at), source: 'atlas-webhook' });
  };
  const severity = async (id: string, want: Severity) => {
    if ((await deps.state.incidents.get(id))!.severity !== want) await changeSeverity(deps, id, want, ONCALL);
  };
  const after = (start: string, minutes: number) => new Date(Date.parse(start) + minutes * MIN).toISOString();

  // I0, before the window (2026-11-18 10:00Z), P3, resolved an hour later: its review is still open.
  set('2026-11-18T10:00:00.000Z');
  const i0 = (await declareIncident(deps, { title: 'Registry stale', severity: 'P3', actorId: ONCALL })).incident.id;
  set('2026-11-18T11:00:00.000Z');
  await resolveIncident(deps, i0, { resolution: 'refreshed' }, ONCALL);

  // I1: IpfsDown (P0) fires 2026-11-20 14:00Z; ack +3, impact +8 (assessed), identified +20 (triaged), resolved +42.
  const b1 = '2026-11-20T14:00:00.000Z';
  await fire('IpfsDown', b1);
  set(after(b1, 3));
  const i1 = (await acknowledgeAlert(deps, 'IpfsDown', ONCALL)).incident.id;
  await severity(i1, 'P0');
  set(after(b1, 8));
  await setAckDetails(deps, i1, { impact: 'Proofs cannot fetch the snapshot' }, ONCALL);
  set(after(b1, 20));
  await postStatusUpdate(deps, i1, { summary: 'Gateway w3s is down', status: 'identified' }, ONCALL);
  await clear('IpfsDown', after(b1, 40));
  set(after(b1, 42));
  await resolveIncident(deps, i1, { resolution: 'switched gateway' }, ONCALL);

  // I2: SlowProofs fires 2026-11-21 14:00Z (made P1); ack +9 (4 over), an update +12 (assessed), identified +45 (15 over), resolved +120.
  const b2 = '2026-11-21T14:00:00.000Z';
  await fire('SlowProofs', b2);
  set(after(b2, 9));
  const i2 = (await acknowledgeAlert(deps, 'SlowProofs', OTHER)).incident.id;
  await severity(i2, 'P1');
  set(after(b2, 12));
  await postStatusUpdate(deps, i2, { summary: 'Looking at the prover' }, OTHER);
  set(after(b2, 45));
  await postStatusUpdate(deps, i2, { summary: 'Prover memory', status: 'identified' }, OTHER);
  set(after(b2, 120));
  await resolveIncident(deps, i2, { resolution: 'restarted the prover' }, OTHER);
  await clear('SlowProofs', after(b2, 120));
  // It fires again 2026-11-25 20:00Z and is still firing, unacknowledged: 2 firings, none cleared unacknowledged.
  await fire('SlowProofs', '2026-11-25T20:00:00.000Z');

  // I3: declared P2 2026-11-22 14:00Z; a result attached +20 (assessed, 5 over), resolved +25 (triaged); review done.
  const b3 = '2026-11-22T14:00:00.000Z';
  set(b3);
  const i3 = (await declareIncident(deps, { title: 'Extraction slow', severity: 'P2', actorId: ONCALL })).incident.id;
  set(after(b3, 20));
  await attachToTimeline(deps, i3, { headline: 'jobs: 2 running', command: 'jobs' }, ONCALL);
  set(after(b3, 25));
  await resolveIncident(deps, i3, { resolution: 'it finished' }, ONCALL);
  set(after(b3, 30));
  await markReviewDone(deps, i3, ONCALL);

  // I4: QueueStuck fires 2026-11-24 14:00Z (P2); ack at +5 exactly, impact at +15 exactly (no breach: the SLA is "within");
  // never triaged: at the report's end (2026-11-26 12:00Z) 46 h have passed, 45 h 30 min over.
  const b4 = '2026-11-24T14:00:00.000Z';
  await fire('QueueStuck', b4);
  set(after(b4, 5));
  const i4 = (await acknowledgeAlert(deps, 'QueueStuck', ONCALL)).incident.id;
  await severity(i4, 'P2');
  set(after(b4, 15));
  await setAckDetails(deps, i4, { impact: 'Jobs wait' }, ONCALL);
  await clear('QueueStuck', after(b4, 60));

  // I5: declared P0 2026-11-25 14:00Z; monitoring at +10 (assessed and triaged); resolved 2026-11-26 11:00Z (+21 h); review due in 48 h.
  const b5 = '2026-11-25T14:00:00.000Z';
  set(b5);
  const i5 = (await declareIncident(deps, { title: 'Merkle root mismatch', severity: 'P0', actorId: OTHER })).incident.id;
  set(after(b5, 10));
  await postStatusUpdate(deps, i5, { summary: 'Rolled back, watching', status: 'monitoring' }, OTHER);
  set('2026-11-26T11:00:00.000Z');
  await resolveIncident(deps, i5, { resolution: 'rolled back' }, OTHER);

  // Noisy alerts. DiskFlap: 3 fire/resolve cycles within 24 h (the third resolves 1 ms before the span ends): flapping.
  for (const [f, r] of [
    ['2026-11-22T00:00:00.000Z', '2026-11-22T00:10:00.000Z'],
    ['2026-11-22T08:00:00.000Z', '2026-11-22T08:10:00.000Z'],
    ['2026-11-22T23:50:00.000Z', '2026-11-22T23:59:59.999Z'],
  ] as const) {
    await fire('DiskFlap', f);
    await clear('DiskFlap', r);
  }
  // CacheFlap: 3 cycles, but the third resolves exactly 24 h after the first fired: at most 2 within one span.
  for (const [f, r] of [
    ['2026-11-20T00:00:00.000Z', '2026-11-20T00:10:00.000Z'],
    ['2026-11-20T08:00:00.000Z', '2026-11-20T08:10:00.000Z'],
    ['2026-11-20T23:50:00.000Z', '2026-11-21T00:00:00.000Z'],
  ] as const) {
    await fire('CacheFlap', f);
    await clear('CacheFlap', r);
  }
  // A firing before the window is not counted.
  await fire('OldNoise', '2026-11-19T11:59:59.999Z');
  await clear('OldNoise', '2026-11-19T12:10:00.000Z');

  // Pages at the night's edges (EST): 00:00 and 05:59:59.999 are night; 06:00 and 23:59:59.999 are not.
  const page = async (userId: string, at: string) => await deps.state.pages.record({ userId, at: new Date(at), kind: 'posted' });
  await page(NIGHT_OWL, '2026-11-23T05:00:00.000Z');
  await page(NIGHT_OWL, '2026-11-23T10:59:59.999Z');
  await page(NIGHT_OWL, '2026-11-23T11:00:00.000Z');
  await page(NIGHT_OWL, '2026-11-23T04:59:59.999Z');
  // The window's edges: its first instant counts, the one before does not.
  await page(OTHER, '2026-11-19T12:00:00.000Z');
  await page(ONCALL, '2026-11-19T11:59:59.999Z');

  ie.env.clock.set(new Date('2026-11-26T12:00:00.000Z'));
  return { i0, i1, i2, i3, i4, i5 };
}
