/**
 * The Kysely incidents, alerts, integrityChecks and retention stores, tested once and run against
 * both engines (kysely-stores.test.ts: SQLite; kysely-stores.pg.test.ts: PostgreSQL). Answers are
 * checked for exact values; the "from two states at once" cases are the replicas' races.
 */
import { sql } from 'kysely';
import { beforeEach, describe, expect, it } from 'vitest';
import type { IntegrityResult } from '../../../src/db/integrity-check.js';
import type { AlertFiring } from '../../../src/db/state/alert-store.js';
import type { NewIncident } from '../../../src/db/state/incident-store.js';
import type { KyselyState } from '../../../src/db/state/kysely/kysely-state.js';
import { retentionCutoffs } from '../../../src/db/state/retention-policy.js';
import { iso, type Incident } from '../../../src/db/state/state-records.js';
import { toSqlTime } from '../../../src/time/atlas-time.js';
import { freshStates, type KyselyEngineUnderTest } from './kysely-store-cases.js';

const NOW = new Date('2026-12-07T12:00:00.000Z');
const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);

/** A promise and the function that settles it: holds a transaction open until the test lets it go. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const newIncident = (title: string, over: Partial<NewIncident> = {}): NewIncident => ({
  title,
  severity: 'P1',
  createdBy: 'U1',
  ownerId: 'U1',
  openedAt: NOW,
  ...over,
});

const firing = (name: string, over: Partial<AlertFiring> = {}): AlertFiring => ({
  name,
  severity: 'P2',
  severityBasis: 1,
  symptomId: null,
  message: `${name} fires`,
  sources: ['metrics'],
  fingerprints: ['fp1'],
  runbookUrl: null,
  firedAt: NOW,
  sourceFiredAt: '2026-12-07 11:59:00',
  ...over,
});

const check = (file: string, over: Partial<IntegrityResult> = {}): IntegrityResult => ({
  file,
  label: 'metrics.db',
  mode: 'quick',
  ok: true,
  problems: [],
  truncated: false,
  durationMs: 12,
  problem: null,
  ...over,
});

export function incidentsAlertsStoreCases(engine: KyselyEngineUnderTest): void {
  describe(`the Kysely incidents, alerts, integrity checks and retention on ${engine.engine}`, () => {
    const states = freshStates(engine);
    let state: KyselyState;
    beforeEach(() => {
      state = states.state();
    });
    const anotherState = states.another;

    /**
     * Resolves once a session of this database waits for a lock (PostgreSQL): a second replica's
     * call has reached the server and waits for the first's open transaction.
     */
    const someoneWaitsForALock = async () => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const { rows } = await sql<{ n: number }>`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(state.kysely);
        if (Number(rows[0]!.n) > 0) return;
        if (Date.now() > deadline) throw new Error("no session waited for a lock: the second replica's call did not wait for the first's open transaction");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    describe('incidents', () => {
      it('number incidents per UTC day, INC-YYYYMMDD-N, and keep the row whole', async () => {
        const first = await state.incidents.create(newIncident('Disk full', { openedAt: at(-10), acknowledgedAt: at(-5), impact: 'uploads fail' }), NOW);
        expect(first).toStrictEqual({
          id: 'INC-20261207-1',
          day: '20261207',
          seq: 1,
          title: 'Disk full',
          severity: 'P1',
          status: 'investigating',
          owner_id: 'U1',
          created_by: 'U1',
          alert_key: null,
          anchor: 'incident:INC-20261207-1',
          opened_at: '2026-12-07T11:50:00.000Z',
          acknowledged_at: '2026-12-07T11:55:00.000Z',
          ack_seconds: 300,
          impact: 'uploads fail',
          next_update_at: null,
          last_update_at: null,
          resolved_at: null,
          resolution: null,
          review_done_at: null,
        });
        const fromAlert = await state.incidents.create(newIncident('Queue stuck', { alertKey: 'queue', anchor: 'alert:queue:1', ownerId: null, acknowledgedAt: at(-1) }), NOW);
        expect(fromAlert).toMatchObject({ id: 'INC-20261207-2', seq: 2, alert_key: 'queue', anchor: 'alert:queue:1', owner_id: null, ack_seconds: 0 });
        // The day is the creation's UTC day, not the opening's.
        const nextDay = await state.incidents.create(newIncident('Late', { openedAt: NOW }), new Date('2026-12-08T00:00:01.000Z'));
        expect(nextDay).toMatchObject({ id: 'INC-20261208-1', day: '20261208', seq: 1, ack_seconds: null, acknowledged_at: null });
        expect(await state.incidents.get('INC-20261207-2')).toStrictEqual(fromAlert);
        expect(await state.incidents.get('INC-20261207-9')).toBeNull();
        expect(await state.incidents.byAnchor('alert:queue:1')).toStrictEqual(fromAlert);
        expect(await state.incidents.byAnchor('alert:queue:2')).toBeNull();
      });

      it('list open ones oldest first (ties in creation order), update only patchable columns, resolve once', async () => {
        const b = await state.incidents.create(newIncident('b', { openedAt: at(-30) }), NOW);
        const c = await state.incidents.create(newIncident('c', { openedAt: at(-60) }), NOW);
        await state.incidents.create(newIncident('d', { openedAt: at(-30) }), NOW);
        expect((await state.incidents.open()).map((i) => i.title)).toEqual(['c', 'b', 'd']);
        const patch = { status: 'identified', impact: null, next_update_at: iso(at(30)), id: 'INC-X', day: 'x' } as unknown as Parameters<KyselyState['incidents']['update']>[1];
        expect(await state.incidents.update(b.id, patch)).toStrictEqual({ ...b, status: 'identified', impact: null, next_update_at: '2026-12-07T12:30:00.000Z' });
        // A key given as undefined clears its column; no patchable key changes nothing.
        expect(await state.incidents.update(b.id, { next_update_at: undefined })).toMatchObject({ id: b.id, next_update_at: null, status: 'identified' });
        expect(await state.incidents.update(b.id, {})).toMatchObject({ id: b.id, status: 'identified' });
        expect(await state.incidents.update('INC-20990101-1', { title: 'nobody' })).toBeNull();
        expect(await state.incidents.markResolved(c.id)).toBe(true);
        expect(await state.incidents.markResolved(c.id)).toBe(false);
        expect((await state.incidents.open()).map((i) => i.title)).toEqual(['b', 'd']);
        expect((await state.incidents.get(c.id))!.status).toBe('resolved');
      });

      it('list the ones opened in [from, to) and the resolved ones whose review is not done', async () => {
        const early = await state.incidents.create(newIncident('early', { openedAt: at(-120) }), NOW);
        const edge = await state.incidents.create(newIncident('edge', { openedAt: at(-60) }), NOW);
        const late = await state.incidents.create(newIncident('late', { openedAt: at(0) }), NOW);
        expect((await state.incidents.openedBetween(at(-120), at(0))).map((i) => i.id)).toEqual([early.id, edge.id]);
        expect(await state.incidents.openedBetween(at(1), at(2))).toEqual([]);
        for (const [i, resolvedAt] of [[late, at(5)], [early, at(10)], [edge, at(1)]] as const) {
          await state.incidents.markResolved(i.id);
          await state.incidents.update(i.id, { resolved_at: iso(resolvedAt) });
        }
        await state.incidents.update(edge.id, { review_done_at: iso(at(20)) });
        expect((await state.incidents.reviewsOpen()).map((i) => i.id)).toEqual([late.id, early.id]);
      });

      it('number incidents created by two replicas at once one after the other (PostgreSQL: serialized per day)', async () => {
        const other = await anotherState();
        const created = gate();
        const held = gate();
        const first = state.transaction(async (tx) => {
          const incident = await tx.incidents.create(newIncident('first'), NOW);
          created.open();
          await held.opened;
          return incident;
        });
        await created.opened;
        // It reads the day's highest number while the first's insert is not committed yet.
        const second = other.incidents.create(newIncident('second'), NOW);
        try {
          if (engine.concurrentTransactions) await someoneWaitsForALock();
        } finally {
          held.open();
        }
        expect((await first).id).toBe('INC-20261207-1');
        expect((await second).id).toBe('INC-20261207-2');
        // Six more at once from both: every number once, none skipped.
        const more = await Promise.all([state, other, state, other, state, other].map((s, i) => s.incidents.create(newIncident(`more ${i}`), NOW)));
        expect(more.map((i) => i.seq).sort((x, y) => x - y)).toEqual([3, 4, 5, 6, 7, 8]);
        const resolutions = await Promise.all([state, other, state, other].map((s) => s.incidents.markResolved('INC-20261207-1')));
        expect(resolutions.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('alerts', () => {
      const firings = async () =>
        await state.kysely.selectFrom('alert_firings').selectAll().orderBy('alert_key').orderBy('firing').execute();

      it('insert a first firing once, the row whole and its firing kept', async () => {
        expect(await state.alerts.insert('disk_full', firing('disk_full', { firedAtNote: 'clamped', groupKey: 'host:a', groupReason: 'same host' }), at(1))).toBe(true);
        const row = {
          key: 'disk_full',
          name: 'disk_full',
          status: 'firing',
          severity: 'P2',
          severity_known: 1,
          symptom_id: null,
          message: 'disk_full fires',
          sources: '["metrics"]',
          fingerprints: '["fp1"]',
          runbook_url: null,
          fired_at: '2026-12-07T12:00:00.000Z',
          resolved_at: null,
          source_fired_at: '2026-12-07 11:59:00',
          fire_count: 1,
          incident_id: null,
          acknowledged_by: null,
          acknowledged_at: null,
          updated_at: '2026-12-07T12:01:00.000Z',
          resolved_sources: '[]',
          resolved_by: null,
          fired_at_note: 'clamped',
          group_key: 'host:a',
          group_reason: 'same host',
          group_lead: null,
        };
        expect(await state.alerts.get('disk_full')).toStrictEqual(row);
        // A concurrent report lost: nothing changes.
        expect(await state.alerts.insert('disk_full', firing('other name'), at(2))).toBe(false);
        expect(await state.alerts.get('disk_full')).toStrictEqual(row);
        expect(await state.alerts.get('nothing')).toBeNull();
        expect(await firings()).toStrictEqual([
          { alert_key: 'disk_full', firing: 1, name: 'disk_full', severity: 'P2', fired_at: '2026-12-07T12:00:00.000Z', resolved_at: null, acknowledged_at: null },
        ]);
      });

      it('resolve a firing alert once, re-fire a resolved one once as a new firing, link an incident once; each firing kept', async () => {
        await state.alerts.insert('disk_full', firing('disk_full'), NOW);
        await state.alerts.noteReport('disk_full', { sources: ['metrics', 'am'], resolvedSources: ['am'], fingerprints: ['fp1', 'fp2'], sourceFiredAt: '2026-12-07 11:59:30', runbookUrl: 'https://rb' }, at(1));
        expect(await state.alerts.get('disk_full')).toMatchObject({
          sources: '["metrics","am"]',
          resolved_sources: '["am"]',
          fingerprints: '["fp1","fp2"]',
          source_fired_at: '2026-12-07 11:59:30',
          runbook_url: 'https://rb',
          updated_at: '2026-12-07T12:01:00.000Z',
        });
        expect(await state.alerts.refire('disk_full', firing('disk_full'), at(2))).toBe(false);
        expect(await state.alerts.resolve('disk_full', at(3), at(4), 'sources:metrics')).toBe(true);
        expect(await state.alerts.resolve('disk_full', at(5), at(5))).toBe(false);
        expect(await state.alerts.get('disk_full')).toMatchObject({ status: 'resolved', resolved_at: '2026-12-07T12:03:00.000Z', resolved_by: 'sources:metrics', updated_at: '2026-12-07T12:04:00.000Z' });
        // Re-fired: a new firing, unacknowledged, the source's fired_at kept when the report has none.
        await state.kysely.insertInto('incidents').values({ id: 'INC-1', day: '20261207', seq: 1, title: 't', severity: 'P2', status: 'investigating', created_by: 'U1', opened_at: iso(NOW), anchor: 'a' }).execute();
        expect(await state.alerts.linkIncident('disk_full', 'INC-1', 'U1', at(4))).toBe(true);
        expect(await state.alerts.refire('disk_full', firing('disk_full', { firedAt: at(10), sourceFiredAt: null, severity: 'P1', groupLead: 'lead' }), at(11))).toBe(true);
        expect(await state.alerts.refire('disk_full', firing('disk_full'), at(12))).toBe(false);
        expect(await state.alerts.get('disk_full')).toMatchObject({
          status: 'firing',
          severity: 'P1',
          fired_at: '2026-12-07T12:10:00.000Z',
          resolved_at: null,
          source_fired_at: '2026-12-07 11:59:30',
          fire_count: 2,
          incident_id: null,
          acknowledged_by: null,
          acknowledged_at: null,
          resolved_sources: '[]',
          resolved_by: null,
          group_lead: 'lead',
          updated_at: '2026-12-07T12:11:00.000Z',
        });
        expect(await state.alerts.linkIncident('disk_full', 'INC-1', 'U2', at(13))).toBe(true);
        expect(await state.alerts.linkIncident('disk_full', 'INC-1', 'U3', at(14))).toBe(false);
        expect(await state.alerts.get('disk_full')).toMatchObject({ incident_id: 'INC-1', acknowledged_by: 'U2', acknowledged_at: '2026-12-07T12:13:00.000Z' });
        const first = { alert_key: 'disk_full', firing: 1, name: 'disk_full', severity: 'P2', fired_at: '2026-12-07T12:00:00.000Z', resolved_at: '2026-12-07T12:03:00.000Z', acknowledged_at: '2026-12-07T12:04:00.000Z' };
        const second = { alert_key: 'disk_full', firing: 2, name: 'disk_full', severity: 'P1', fired_at: '2026-12-07T12:10:00.000Z', resolved_at: null, acknowledged_at: '2026-12-07T12:13:00.000Z' };
        expect(await firings()).toStrictEqual([first, second]);
        // Firings since a time: begun since, or still firing then; between: begun in [from, to).
        expect(await state.alerts.firingsSince(at(5))).toStrictEqual([second]);
        expect(await state.alerts.firingsSince(at(2))).toStrictEqual([first, second]);
        expect(await state.alerts.firingsBetween(NOW, at(10))).toStrictEqual([first]);
        expect(await state.alerts.firingsBetween(NOW, at(11))).toStrictEqual([first, second]);
        expect(await state.alerts.firingOf('INC-1')).toEqual([{ key: 'disk_full', name: 'disk_full' }]);
      });

      it('list firing alerts, those awaiting acknowledgement, resolved ones, and names by exact prefix', async () => {
        await state.alerts.insert('b_alert', firing('b alert', { firedAt: at(-5) }), NOW);
        await state.alerts.insert('a_alert', firing('a alert', { firedAt: at(-5) }), NOW);
        await state.alerts.insert('c_alert', firing('c alert', { firedAt: at(-10) }), NOW);
        await state.alerts.insert('C_upper', firing('C upper', { firedAt: at(-1) }), NOW);
        await state.alerts.insert('d_gone', firing('d gone', { firedAt: at(-20) }), NOW);
        await state.alerts.resolve('d_gone', at(1), at(1));
        await state.kysely.insertInto('incidents').values({ id: 'INC-1', day: '20261207', seq: 1, title: 't', severity: 'P2', status: 'investigating', created_by: 'U1', opened_at: iso(NOW), anchor: 'a' }).execute();
        await state.alerts.linkIncident('c_alert', 'INC-1', 'U1', NOW);
        expect((await state.alerts.firing()).map((a) => a.key)).toEqual(['c_alert', 'a_alert', 'b_alert', 'C_upper']);
        expect((await state.alerts.awaitingAck()).map((a) => a.key)).toEqual(['C_upper', 'a_alert', 'b_alert']);
        expect((await state.alerts.resolvedSince(at(1))).map((a) => a.key)).toEqual(['d_gone']);
        expect(await state.alerts.resolvedSince(at(2))).toEqual([]);
        // Case matters, and wildcards in the prefix are taken as nothing (as GLOB's were stripped).
        expect(await state.alerts.firingNamesWithPrefix('c_')).toEqual(['c alert']);
        expect(await state.alerts.firingNamesWithPrefix('C')).toEqual(['C upper']);
        expect(await state.alerts.firingNamesWithPrefix('[a*?')).toEqual(['a alert']);
        expect(await state.alerts.firingNamesWithPrefix('')).toEqual(['C upper', 'a alert', 'b alert', 'c alert']);
        expect(await state.alerts.firingNamesWithPrefix('d_')).toEqual([]);
      });

      it('group alerts: the open group lead, its members, firing and ungrouped ones, provider groups', async () => {
        await state.alerts.insert('lead', firing('lead', { firedAt: at(-10) }), NOW);
        await state.alerts.insert('member', firing('member', { firedAt: at(-5), groupKey: 'provider:tiger', groupReason: 'same provider', groupLead: 'lead' }), NOW);
        await state.alerts.insert('loner', firing('loner', { firedAt: at(-7) }), NOW);
        await state.alerts.insert('upper', firing('upper', { groupKey: 'Provider:x', groupReason: 'r' }), NOW);
        expect((await state.alerts.ungroupedFiring()).map((a) => a.key)).toEqual(['lead', 'loner']);
        await state.alerts.setGroup('lead', 'provider:tiger', 'same provider', null, at(1));
        expect(await state.alerts.get('lead')).toMatchObject({ group_key: 'provider:tiger', group_reason: 'same provider', group_lead: null, updated_at: '2026-12-07T12:01:00.000Z' });
        // The alert that leads comes first, not the older member.
        expect((await state.alerts.openGroupLead('provider:tiger', 'new'))?.key).toBe('lead');
        expect(await state.alerts.openGroupLead('provider:tiger', 'lead')).toBeNull();
        expect(await state.alerts.openGroupLead('provider:none', 'new')).toBeNull();
        expect((await state.alerts.membersOf('lead')).map((a) => a.key)).toEqual(['member']);
        expect((await state.alerts.firingInGroup('provider:tiger')).map((a) => a.key)).toEqual(['lead', 'member']);
        expect(await state.alerts.openProviderGroups()).toEqual(['provider:tiger']);
        // Resolved, the group stays open while the lead's incident does.
        await state.kysely.insertInto('incidents').values({ id: 'INC-1', day: '20261207', seq: 1, title: 't', severity: 'P2', status: 'investigating', created_by: 'U1', opened_at: iso(NOW), anchor: 'a' }).execute();
        await state.alerts.linkIncident('lead', 'INC-1', 'U1', NOW);
        await state.alerts.resolve('lead', at(2), at(2));
        await state.alerts.resolve('member', at(2), at(2));
        expect((await state.alerts.openGroupLead('provider:tiger', 'new'))?.key).toBe('lead');
        expect(await state.alerts.openProviderGroups()).toEqual([]);
        await state.kysely.updateTable('incidents').set({ status: 'resolved' }).execute();
        expect(await state.alerts.openGroupLead('provider:tiger', 'new')).toBeNull();
      });

      it('post an alert read by two replicas at once once: the unique key decides, not timing', async () => {
        const other = await anotherState();
        const replicas = [state, other, state, other];
        /** What ingesting a report does with the state: a new or re-fired alert gets its message posted. */
        const ingest = (s: KyselyState, firedAt: Date) =>
          s.transaction(async (tx) => {
            const existing = await tx.alerts.get('disk_full');
            if (existing?.status === 'firing') return false;
            const won = existing ? await tx.alerts.refire('disk_full', firing('disk_full', { firedAt }), firedAt) : await tx.alerts.insert('disk_full', firing('disk_full', { firedAt }), firedAt);
            if (won) await tx.outbox.enqueue({ lane: 'alerts', op: 'post', channel: 'C1', payload: { text: `disk_full fired at ${iso(firedAt)}` } }, firedAt);
            return won;
          });
        const posts = async () => (await state.kysely.selectFrom('outbox').select('payload').orderBy('id').execute()).map((r) => r.payload);
        expect((await Promise.all(replicas.map((s) => ingest(s, NOW)))).filter(Boolean)).toHaveLength(1);
        expect(await posts()).toEqual(['{"text":"disk_full fired at 2026-12-07T12:00:00.000Z"}']);
        expect((await Promise.all(replicas.map((s) => s.alerts.resolve('disk_full', at(5), at(5), 'sources:metrics')))).filter(Boolean)).toHaveLength(1);
        expect((await Promise.all(replicas.map((s) => ingest(s, at(10))))).filter(Boolean)).toHaveLength(1);
        expect(await posts()).toEqual(['{"text":"disk_full fired at 2026-12-07T12:00:00.000Z"}', '{"text":"disk_full fired at 2026-12-07T12:10:00.000Z"}']);
        await state.kysely.insertInto('incidents').values({ id: 'INC-1', day: '20261207', seq: 1, title: 't', severity: 'P2', status: 'investigating', created_by: 'U1', opened_at: iso(NOW), anchor: 'a' }).execute();
        const links = await Promise.all(replicas.map((s, i) => s.alerts.linkIncident('disk_full', 'INC-1', `U${i}`, at(11))));
        expect(links.filter(Boolean)).toHaveLength(1);
        expect((await state.alerts.get('disk_full'))!.acknowledged_by).toBe(`U${links.indexOf(true)}`);
        expect((await firings()).map((f) => [f.firing, f.resolved_at, f.acknowledged_at])).toEqual([
          [1, '2026-12-07T12:05:00.000Z', null],
          [2, null, '2026-12-07T12:11:00.000Z'],
        ]);
      });
    });

    describe('integrity checks', () => {
      it('remember the newest check that ran, per file; not one that could not run, nor a row it cannot read', async () => {
        expect(await state.integrityChecks.latest('/data/metrics.db')).toBeNull();
        await state.integrityChecks.remember(check('/data/metrics.db'), NOW);
        expect(await state.integrityChecks.latest('/data/metrics.db')).toStrictEqual({ at: NOW, result: check('/data/metrics.db') });
        const corrupt = check('/data/metrics.db', { ok: false, problems: ['page 5: btree'], truncated: true, durationMs: 40 });
        await state.integrityChecks.remember(corrupt, at(1));
        expect(await state.integrityChecks.latest('/data/metrics.db')).toStrictEqual({ at: at(1), result: corrupt });
        await state.integrityChecks.remember(check('/data/metrics.db', { problem: { kind: 'missing', message: 'gone' } as unknown as IntegrityResult['problem'] }), at(2));
        expect((await state.integrityChecks.latest('/data/metrics.db'))?.at).toEqual(at(1));
        await state.integrityChecks.remember(check('/data/persistence.db', { label: 'persistence.db' }), at(3));
        expect((await state.integrityChecks.latest('/data/persistence.db'))?.result.label).toBe('persistence.db');
        await state.kysely.updateTable('integrity_checks').set({ result: '{"file":"x"}' }).where('file', '=', '/data/metrics.db').execute();
        expect(await state.integrityChecks.latest('/data/metrics.db')).toBeNull();
        await state.kysely.updateTable('integrity_checks').set({ result: 'not json' }).where('file', '=', '/data/persistence.db').execute();
        expect(await state.integrityChecks.latest('/data/persistence.db')).toBeNull();
      });

      it('take checks remembered by two replicas at once, the row replaced and never refused', async () => {
        const other = await anotherState();
        await Promise.all([state, other, state, other].map((s, i) => s.integrityChecks.remember(check('/data/metrics.db', { durationMs: i }), at(i))));
        const latest = await state.integrityChecks.latest('/data/metrics.db');
        expect([0, 1, 2, 3].map((i) => at(i).getTime())).toContain(latest!.at.getTime());
        expect(await state.kysely.selectFrom('integrity_checks').select('file').execute()).toEqual([{ file: '/data/metrics.db' }]);
      });
    });

    describe('retention', () => {
      const cutoffs = () => retentionCutoffs({ outboxDays: 14, commandRunsDays: 90, timersDays: 30, timelineDays: 365 }, NOW);
      const claimOne = async (when: Date) => (await state.outbox.claimHeads({ owner: 'me', now: when, wallNow: when, leaseMs: 1000, limit: 1 }))[0]!;

      /** An incident opened (and, when `resolvedDaysAgo` is given, resolved) that many days ago, with one timeline line and one fired reminder. */
      async function incident(title: string, openedDaysAgo: number, resolvedDaysAgo?: number): Promise<Incident> {
        const opened = ago(openedDaysAgo);
        const created = await state.incidents.create(newIncident(title, { openedAt: opened, acknowledgedAt: opened }), opened);
        await state.timeline.add(created.id, { at: opened, actor: 'U1', kind: 'note', text: title });
        const timer = await state.timers.schedule({ kind: 'update-due', due: opened, incidentId: created.id }, opened);
        await state.timers.markFired(timer, opened);
        if (resolvedDaysAgo !== undefined) {
          await state.incidents.markResolved(created.id);
          await state.incidents.update(created.id, { resolved_at: iso(ago(resolvedDaysAgo)) });
        }
        return (await state.incidents.get(created.id))!;
      }

      /** Old and new rows of every table prune touches (retention.test.ts's, on both engines). */
      async function seed() {
        await state.outbox.enqueue({ lane: 'a', op: 'post', channel: 'C1', payload: { text: 'old' } }, ago(20));
        await state.outbox.markSent(await claimOne(ago(20)), '1.1', ago(20));
        const failedOld = await state.outbox.enqueue({ lane: 'b', op: 'post', channel: 'C1', payload: { text: 'refused' } }, ago(20));
        await state.outbox.fail(failedOld, 'channel_not_found', ago(19));
        const sentNew = await state.outbox.enqueue({ lane: 'c', op: 'post', channel: 'C1', payload: { text: 'new' } }, ago(2));
        await state.outbox.markSent(await claimOne(ago(2)), '1.2', ago(2));
        const chart = { text: 'chart', upload: { filename: 'errors-chart.png', title: 'Errors', altText: 'flat' } };
        await state.outbox.enqueueUpload({ lane: 'e', op: 'upload', channel: 'C1', payload: chart }, Buffer.from('png'), ago(20));
        await state.outbox.markSent(await claimOne(ago(20)), '1.3', ago(20));
        const pendingOld = await state.outbox.enqueue({ lane: 'd', op: 'post', channel: 'C1', payload: { text: 'waiting' } }, ago(30));
        const uploadPending = await state.outbox.enqueueUpload({ lane: 'f', op: 'upload', channel: 'C1', payload: chart }, Buffer.from('png'), ago(30));
        await state.alertSnoozes.set({ alert_key: 'old_alert', fire_count: 1, timer_id: 1, snoozed_by: 'U1', until: ago(45) }, ago(45));
        await state.alertSnoozes.set({ alert_key: 'new_alert', fire_count: 1, timer_id: 2, snoozed_by: 'U1', until: ago(1) }, ago(1));
        const run = async (when: Date, command: string) =>
          await state.commandRuns.add({ at: toSqlTime(when), source: 'slack', via: 'command', userId: 'U1', channelId: null, command, args: '', outcome: 'ok', summary: '', durationMs: 1, errorId: null });
        await run(ago(100), 'old');
        await run(ago(80), 'recent');
        const ancient = await incident('ancient', 800, 730);
        const lately = await incident('lately', 40, 20);
        const open = await incident('open', 400);
        await state.alerts.insert('old_alert', firing('old_alert', { firedAt: ago(60) }), ago(60));
        const cancelledAlertTimer = await state.timers.schedule({ kind: 'ack-reminder', due: ago(60), alertKey: 'old_alert' }, ago(60));
        await state.timers.cancel(cancelledAlertTimer, ago(59));
        const pendingAlertTimer = await state.timers.schedule({ kind: 'ack-secondary', due: ago(58), alertKey: 'old_alert' }, ago(60));
        const pendingReview = await state.timers.schedule({ kind: 'review-reminder', due: ago(728), incidentId: ancient.id }, ago(730));
        const ancientFired = (await state.kysely.selectFrom('timers').select('id').where('incident_id', '=', ancient.id).where('kind', '=', 'update-due').executeTakeFirstOrThrow()).id;
        return { sentNew, pendingOld, uploadPending, ancient, lately, open, cancelledAlertTimer, pendingAlertTimer, pendingReview, ancientFired };
      }
      const timerIds = async () => (await state.kysely.selectFrom('timers').select('id').orderBy('id').execute()).map((r) => r.id);

      it('remove old delivered messages, command runs, fired timers and timelines of long-resolved incidents; keep what is pending or open', async () => {
        const s = await seed();
        const timersBefore = await timerIds();
        const pruned = await state.retention.prune(cutoffs());
        expect((await state.kysely.selectFrom('outbox').select('id').orderBy('id').execute()).map((r) => r.id)).toEqual([s.sentNew, s.pendingOld, s.uploadPending]);
        expect(await state.kysely.selectFrom('outbox_files').select('outbox_id').execute()).toEqual([{ outbox_id: s.uploadPending }]);
        expect(await state.kysely.selectFrom('alert_snoozes').select('alert_key').execute()).toEqual([{ alert_key: 'new_alert' }]);
        expect(await state.kysely.selectFrom('command_runs').select('command').execute()).toEqual([{ command: 'recent' }]);
        expect(await timerIds()).toEqual(timersBefore.filter((id) => id !== s.ancientFired && id !== s.cancelledAlertTimer));
        expect(await state.timers.isPending(s.pendingAlertTimer)).toBe(true);
        expect(await state.timers.isPending(s.pendingReview)).toBe(true);
        expect(await state.timers.firedKinds(s.lately.id)).toEqual(new Set(['update-due']));
        expect(await state.timers.firedKinds(s.open.id)).toEqual(new Set(['update-due']));
        expect(await state.timeline.list(s.ancient.id)).toEqual([]);
        expect((await state.timeline.list(s.lately.id)).map((e) => e.text)).toEqual(['lately']);
        expect((await state.timeline.list(s.open.id)).map((e) => e.text)).toEqual(['open']);
        expect((await state.kysely.selectFrom('incidents').select('id').orderBy('id').execute()).map((r) => r.id)).toEqual([s.ancient.id, s.lately.id, s.open.id].sort());
        expect(pruned).toEqual({ outbox: 3, commandRuns: 1, timers: 2, timeline: 1 });
        expect(await state.retention.prune(cutoffs())).toEqual({ outbox: 0, commandRuns: 0, timers: 0, timeline: 0 });
      });

      it('prune from two replicas at once without failing or counting a row twice', async () => {
        await seed();
        const other = await anotherState();
        const counts = await Promise.all([state, other, state, other].map((s) => s.retention.prune(cutoffs())));
        const total = { outbox: 0, commandRuns: 0, timers: 0, timeline: 0 };
        for (const c of counts) for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += c[k];
        expect(total).toEqual({ outbox: 3, commandRuns: 1, timers: 2, timeline: 1 });
        // One after the other: the first took everything, the others found nothing left.
        expect(counts.filter((c) => c.outbox + c.commandRuns + c.timers + c.timeline > 0)).toEqual([{ outbox: 3, commandRuns: 1, timers: 2, timeline: 1 }]);
      });
    });
  });
}
