import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRegistry } from '../../src/commands/index.js';
import { declareIncident } from '../../src/incidents/declare.js';
import { changeOwner } from '../../src/incidents/incident-changes.js';
import { resolveIncident } from '../../src/incidents/resolution.js';
import { renderPlainText } from '../../src/templates/plain-text.js';
import { allowEveryone } from '../helpers/authorizers.js';
import { CHANNEL, openIncidentEnv, type IncidentEnv } from '../helpers/incident-env.js';

const CONFIG = {
  channels: { incidents: CHANNEL },
  responders: { users: ['U0PRIMARY', 'U0SECONDA'] },
  rotation: { start: '2026-11-16', handoff: '0 9 * * 1', primary: ['U0SECONDA', 'U0PRIMARY'], secondary: ['U0PRIMARY', 'U0SECONDA'] },
};

let ie: IncidentEnv;
beforeEach(() => {
  ie = openIncidentEnv(CONFIG);
});
afterEach(() => ie.close());

const deps = () => ie.env.deps;
const page = async (at: string, userId: string, kind: 'posted' | 'acknowledged' = 'posted') => await deps().state.pages.record({ userId, at: new Date(at), kind });
const setClock = (at: string) => ie.env.clock.set(new Date(at));

async function run(args: Record<string, unknown>, source: 'slack' | 'cli') {
  const actor = source === 'slack' ? { source, userId: 'U0PRIMARY', channelId: CHANNEL } : { source, userId: 'ann' };
  return createRegistry(allowEveryone).invoke('oncall load', { _: [], ...args }, actor, deps());
}

describe('oncall load', () => {
  it('counts pages, night pages, incidents and time owned per person and shift', async () => {
    deps().userTimeZone = async (u) => (u === 'U0PRIMARY' ? 'America/Los_Angeles' : 'Asia/Kolkata');
    // Last week's shift (16–23 Nov): U0SECONDA primary, paged once at 20:00Z = 01:30 in Kolkata.
    await page('2026-11-18T20:00:00Z', 'U0SECONDA');
    // This shift (23–30 Nov): U0PRIMARY primary, paged at 09:00Z = 01:00 in LA, and at 18:00Z = 10:00.
    await page('2026-11-24T09:00:00Z', 'U0PRIMARY');
    await page('2026-11-24T18:00:00Z', 'U0PRIMARY', 'acknowledged');
    // An incident owned 2 h by U0PRIMARY, then 1 h by U0SECONDA.
    setClock('2026-11-25T10:00:00Z');
    const { incident } = await declareIncident(deps(), { title: 'Proofs failing', severity: 'P2', actorId: 'U0PRIMARY' });
    setClock('2026-11-25T12:00:00Z');
    await changeOwner(deps(), incident.id, 'U0SECONDA', 'U0PRIMARY');
    setClock('2026-11-25T13:00:00Z');
    await resolveIncident(deps(), incident.id, { resolution: 'fixed' }, 'U0SECONDA');
    setClock('2026-11-26T12:00:00Z');

    const slack = await run({ weeks: '2' }, 'slack');
    expect(slack.outcome).not.toBe('error');
    const rows = slack.report.data as Array<Record<string, unknown>>;
    const pick = (user: string, start: string) => rows.find((r) => r.user === user && (r.shift as { start: string }).start.startsWith(start));
    expect(pick('U0SECONDA', '2026-11-16')).toMatchObject({ role: 'primary', pages: 1, nightPages: 1, incidentsOwned: 0 });
    expect(pick('U0PRIMARY', '2026-11-23')).toMatchObject({ role: 'primary', pages: 2, nightPages: 1, incidentsOpened: 1, incidentsOwned: 1, ownedMs: 2 * 3_600_000 });
    expect(pick('U0SECONDA', '2026-11-23')).toMatchObject({ role: 'secondary', pages: 0, incidentsOpened: 0, incidentsOwned: 1, ownedMs: 3_600_000 });
    const lines = slack.report.slackSections![0]!.lines!;
    expect(lines).toContain('<@U0PRIMARY> (primary) · 2026-11-23 → 2026-11-30: 2 pages (1 at night), 1 owned, 1 opened, 2 h on incidents');
    expect(lines.every((l) => l.length < 160)).toBe(true);
    expect(slack.report.headline).toBe('On-call load, shifts of the last 2 weeks: 3 pages, 2 at night.');

    // The terminal: an aligned table, and its zone note (no Slack there: the rotation's zone).
    deps().userTimeZone = undefined;
    const cli = await run({ weeks: '2' }, 'cli');
    const text = renderPlainText(cli.report);
    expect(text).toMatch(/Person\s+Role\s+Shift\s+Pages\s+Night/);
    expect(text).toContain("the terminal has none, so the rotation's (UTC) is used");
  });

  it('refuses a bad --weeks', async () => {
    const r = await run({ weeks: '0' }, 'cli');
    expect(r.outcome).toBe('usage');
  });
});
