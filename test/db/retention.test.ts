import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config.js';
import { retentionCutoffs } from '../../src/db/state/retention-policy.js';
import { openStateStore, type SqliteStateStore } from '../../src/db/state/kysely/sqlite-state-store.js';
import { iso, type Incident } from '../../src/db/state/state-records.js';
import { toSqlTime } from '../../src/time/atlas-time.js';
import { TEST_NOW } from '../helpers/test-deps.js';

const DAY = 86_400_000;
const NOW = new Date(TEST_NOW);
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);

describe('retentionCutoffs', () => {
  it('counts the configured days back from now; by default 14 days of messages, 90 of commands, 30 of timers, a year of timelines', () => {
    const retention = buildConfig('/tmp/atlas-retention-test', {}).retention;
    expect(retention).toEqual({ outboxDays: 14, commandRunsDays: 90, timersDays: 30, timelineDays: 365 });
    expect(retentionCutoffs(retention, NOW)).toEqual({ outbox: ago(14), commandRuns: ago(90), timers: ago(30), timeline: ago(365) });
  });
});

describe('state.retention.prune', () => {
  let state: SqliteStateStore;
  beforeEach(() => {
    state = openStateStore(':memory:');
  });
  afterEach(async () => await state.close());

  const cutoffs = () => retentionCutoffs({ outboxDays: 14, commandRunsDays: 90, timersDays: 30, timelineDays: 365 }, NOW);
  const ids = (table: string, column = 'id') => (state.db.prepare(`SELECT ${column} AS id FROM ${table} ORDER BY ${column}`).all() as { id: unknown }[]).map((r) => r.id);

  /** An incident opened (and, when `resolvedDaysAgo` is given, resolved) that many days ago, with one timeline line and one fired reminder. */
  async function incident(title: string, openedDaysAgo: number, resolvedDaysAgo?: number): Promise<Incident> {
    const opened = ago(openedDaysAgo);
    const created = await state.incidents.create({ title, severity: 'P1', createdBy: 'U0A', ownerId: 'U0A', openedAt: opened, acknowledgedAt: opened }, opened);
    await state.timeline.add(created.id, { at: opened, actor: 'U0A', kind: 'note', text: title });
    const timer = await state.timers.schedule({ kind: 'update-due', due: opened, incidentId: created.id }, opened);
    await state.timers.markFired(timer, opened);
    if (resolvedDaysAgo !== undefined) {
      await state.incidents.markResolved(created.id);
      await state.incidents.update(created.id, { resolved_at: iso(ago(resolvedDaysAgo)) });
    }
    return (await state.incidents.get(created.id))!;
  }

  it('removes old delivered messages, command runs, fired timers and timelines of long-resolved incidents; keeps what is pending or open', async () => {
    // Outbox: delivered long ago, given up long ago, delivered lately, and still pending for weeks (Slack refusing, say).
    await state.outbox.enqueue({ lane: 'a', op: 'post', channel: 'C0X', payload: { text: 'old' } }, ago(20));
    await state.outbox.markSent((await state.outbox.claimHeads({ owner: 'me', now: ago(20), wallNow: ago(20), leaseMs: 1000, limit: 1 }))[0]!, '1.1', ago(20));
    const failedOld = await state.outbox.enqueue({ lane: 'b', op: 'post', channel: 'C0X', payload: { text: 'refused' } }, ago(20));
    await state.outbox.fail(failedOld, 'channel_not_found', ago(19));
    const sentNew = await state.outbox.enqueue({ lane: 'c', op: 'post', channel: 'C0X', payload: { text: 'new' } }, ago(2));
    await state.outbox.markSent((await state.outbox.claimHeads({ owner: 'me', now: ago(2), wallNow: ago(2), leaseMs: 1000, limit: 1 }))[0]!, '1.2', ago(2));
    // A chart shared long ago (its upload's progress goes with it), and one still waiting.
    const chart = { text: 'chart', upload: { filename: 'errors-chart.png', title: 'Errors', altText: 'flat' } };
    await state.outbox.enqueueUpload({ lane: 'e', op: 'upload', channel: 'C0X', payload: chart }, Buffer.from('png'), ago(20));
    await state.outbox.markSent((await state.outbox.claimHeads({ owner: 'me', now: ago(20), wallNow: ago(20), leaseMs: 1000, limit: 1 }))[0]!, '1.3', ago(20));
    const pendingOld = await state.outbox.enqueue({ lane: 'd', op: 'post', channel: 'C0X', payload: { text: 'waiting' } }, ago(30));
    const uploadPending = await state.outbox.enqueueUpload({ lane: 'f', op: 'upload', channel: 'C0X', payload: chart }, Buffer.from('png'), ago(30));
    // Snoozes: one over long ago, one lately.
    await state.alertSnoozes.set({ alert_key: 'old_alert', fire_count: 1, timer_id: 1, snoozed_by: 'U0A', until: ago(45) }, ago(45));
    await state.alertSnoozes.set({ alert_key: 'new_alert', fire_count: 1, timer_id: 2, snoozed_by: 'U0A', until: ago(1) }, ago(1));

    // The audit trail.
    const run = async (at: Date, command: string) =>
      await state.commandRuns.add({ at: toSqlTime(at), source: 'slack', via: 'command', userId: 'U0A', channelId: null, command, args: '', outcome: 'ok', summary: '', durationMs: 1, errorId: null });
    await run(ago(100), 'old');
    await run(ago(80), 'recent');

    // Incidents: resolved two years ago, resolved 20 days ago, still open after 400 days.
    const ancient = await incident('ancient', 800, 730);
    const lately = await incident('lately', 40, 20);
    const open = await incident('open', 400);
    // An unacknowledged alert's reminder cancelled long ago, and one still pending for long.
    await state.alerts.insert(
      'old_alert',
      { name: 'old_alert', severity: 'P2', severityBasis: 0, symptomId: null, message: '', sources: [], fingerprints: [], runbookUrl: null, firedAt: ago(60), sourceFiredAt: null },
      ago(60),
    );
    const cancelledAlertTimer = await state.timers.schedule({ kind: 'ack-reminder', due: ago(60), alertKey: 'old_alert' }, ago(60));
    await state.timers.cancel(cancelledAlertTimer, ago(59));
    const pendingAlertTimer = await state.timers.schedule({ kind: 'ack-secondary', due: ago(58), alertKey: 'old_alert' }, ago(60));
    const pendingReview = await state.timers.schedule({ kind: 'review-reminder', due: ago(728), incidentId: ancient.id }, ago(730));

    const ancientFired = (state.db.prepare("SELECT id FROM timers WHERE incident_id = ? AND kind = 'update-due'").get(ancient.id) as { id: number }).id;
    const timersBefore = ids('timers');
    const pruned = await state.retention.prune(cutoffs());

    expect(ids('outbox')).toEqual([sentNew, pendingOld, uploadPending]);
    expect(ids('outbox_files', 'outbox_id')).toEqual([uploadPending]);
    expect(ids('alert_snoozes', 'alert_key')).toEqual(['new_alert']);
    expect(ids('command_runs', 'command')).toEqual(['recent']);
    // The fired reminder of the incident resolved two years ago, and the alert reminder cancelled long ago, go.
    expect(ids('timers')).toEqual(timersBefore.filter((id) => id !== ancientFired && id !== cancelledAlertTimer));
    expect(await state.timers.isPending(pendingAlertTimer)).toBe(true);
    expect(await state.timers.isPending(pendingReview)).toBe(true);
    expect(await state.timers.firedKinds(lately.id)).toEqual(new Set(['update-due']));
    expect(await state.timers.firedKinds(open.id)).toEqual(new Set(['update-due']));
    // Timelines: only the one resolved more than a year ago goes; the incidents themselves stay.
    expect(await state.timeline.list(ancient.id)).toEqual([]);
    expect((await state.timeline.list(lately.id)).map((e) => e.text)).toEqual(['lately']);
    expect((await state.timeline.list(open.id)).map((e) => e.text)).toEqual(['open']);
    expect(ids('incidents')).toEqual([ancient.id, lately.id, open.id].sort());
    expect(pruned).toEqual({ outbox: 3, commandRuns: 1, timers: 2, timeline: 1 });

    // Nothing more goes the second time.
    expect(await state.retention.prune(cutoffs())).toEqual({ outbox: 0, commandRuns: 0, timers: 0, timeline: 0 });
  });
});
