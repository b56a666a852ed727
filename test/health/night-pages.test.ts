import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlert } from '../../src/alerts/alert-ingest.js';
import { acknowledgeAlert } from '../../src/incidents/acknowledge.js';
import { checkNightPages, nightsPaged } from '../../src/oncall-health/night-pages.js';
import { CHANNEL, openIncidentEnv, type IncidentEnv } from '../helpers/incident-env.js';

const CONFIG = {
  channels: { incidents: CHANNEL },
  responders: { users: ['U0PRIMARY', 'U0SECONDA'] },
  rotation: { start: '2026-11-23', handoff: '0 9 * * 1', primary: ['U0PRIMARY'], secondary: ['U0SECONDA'] },
};

let ie: IncidentEnv;
beforeEach(() => {
  ie = openIncidentEnv(CONFIG);
});
afterEach(() => ie.close());

const deps = () => ie.env.deps;
const page = async (at: string, userId = 'U0PRIMARY') => await deps().state.pages.record({ userId, at: new Date(at), kind: 'posted', alertKey: 'x' });
const dms = () =>
  (ie.env.db.prepare('SELECT channel, payload FROM outbox ORDER BY id').all() as Array<{ channel: string | null; payload: string | null }>)
    .filter((r) => r.channel?.startsWith('U'))
    .map((r) => ({ channel: r.channel, text: (JSON.parse(r.payload ?? '{}') as { text?: string }).text ?? '' }));

// The same instants, read in two zones: 09:00Z is 01:00 in Los Angeles and 14:30 in Kolkata.
const PAGES = ['2026-11-24T09:00:00Z', '2026-11-25T07:30:00Z', '2026-11-25T13:00:00Z', '2026-11-25T20:00:00Z'];

describe('night pages', () => {
  it('counts distinct local nights 00:00–06:00 in each person’s zone, across UTC midnight', () => {
    const pages = PAGES.map((at) => ({ at }));
    // LA (UTC-8): 01:00 on the 24th, 23:30 on the 24th (evening), 05:00 on the 25th, 12:00 on the 25th.
    expect(nightsPaged(pages, 'America/Los_Angeles')).toEqual(['2026-11-24', '2026-11-25']);
    // Kolkata (UTC+5:30): 14:30, 13:00, 18:30 on the 25th, then 01:30 on the 26th: one night.
    expect(nightsPaged(pages, 'Asia/Kolkata')).toEqual(['2026-11-26']);
    expect(nightsPaged(pages, 'UTC')).toEqual([]);
  });

  it('suggests relief to a primary in Los Angeles paged on two nights of the shift, tells the secondary, once per shift', async () => {
    deps().userTimeZone = async (u) => (u === 'U0PRIMARY' ? 'America/Los_Angeles' : 'Asia/Kolkata');
    // Before the shift (it starts Mon 23 Nov 09:00 UTC): not counted.
    await page('2026-11-23T08:00:00Z');
    await page(PAGES[0]!);
    expect(await checkNightPages(deps())).toMatchObject({ primary: 'U0PRIMARY', suggested: false });
    await page(PAGES[2]!);
    const first = await checkNightPages(deps());
    expect(first).toMatchObject({ primary: 'U0PRIMARY', nights: ['2026-11-24', '2026-11-25'], suggested: true });
    const sent = dms();
    expect(sent.map((m) => m.channel)).toEqual(['U0PRIMARY', 'U0SECONDA']);
    expect(sent[0]!.text).toContain('Paged on 2 nights this shift: ask for relief');
    expect(sent[1]!.text).toContain('The primary was paged on 2 nights this shift');
    // Again, and after a third night: already suggested this shift.
    await page('2026-11-26T10:00:00Z');
    expect(await checkNightPages(deps())).toMatchObject({ suggested: false });
    expect(dms()).toHaveLength(2);
  });

  it('does not suggest relief to a primary in Kolkata for the same pages (one night there)', async () => {
    deps().userTimeZone = async () => 'Asia/Kolkata';
    for (const at of PAGES) await page(at);
    expect(await checkNightPages(deps())).toMatchObject({ nights: ['2026-11-26'], suggested: false });
    expect(dms()).toEqual([]);
  });

  it('uses the rotation’s zone without Slack (the terminal), and says so', async () => {
    for (const at of ['2026-11-24T01:00:00Z', '2026-11-25T03:00:00Z']) await page(at);
    const check = await checkNightPages(deps());
    expect(check.suggested).toBe(true);
    const row = ie.env.db.prepare("SELECT payload FROM outbox WHERE channel = 'U0PRIMARY'").get() as { payload: string };
    expect(row.payload).toContain("the rotation's zone: Slack did not give a time zone");
  });

  it('records a page for the primary when an alert is posted and for whoever acknowledges it', async () => {
    await ingestAlert(deps(), { name: 'proof_generation_failing', status: 'firing', message: 'failing', source: 'atlas-webhook' });
    // A repeat is the same alert: no second page.
    await ingestAlert(deps(), { name: 'proof_generation_failing', status: 'firing', message: 'failing', source: 'file' });
    await acknowledgeAlert(deps(), 'proof_generation_failing', 'U0SECONDA');
    const pages = await deps().state.pages.between(new Date('2026-11-01'), new Date('2026-12-01'));
    expect(pages.map((p) => [p.user_id, p.kind, p.alert_key, p.incident_id !== null])).toEqual([
      ['U0PRIMARY', 'posted', 'proof_generation_failing', false],
      ['U0SECONDA', 'acknowledged', 'proof_generation_failing', true],
    ]);
  });
});
