import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../src/commands/authorize.js';
import type { Actor } from '../../src/commands/command-spec.js';
import { createRegistry } from '../../src/commands/index.js';
import type { CommandRegistry } from '../../src/commands/registry.js';
import { renderedAnswer } from '../helpers/rendered-answer.js';
import { tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';

// TEST_NOW is Thursday 2026-11-26 12:00 UTC. Shifts change Mondays 09:00 from 2026-11-02:
// shift 3 (Nov 23) is ANN and EVE, shift 4 (Nov 30) BOB and DAN, shift 5 (Dec 7) CAT and EVE.
const LEAD = 'U0LEAD';
const STRANGER = 'U0STRANGER';
const CHANNEL = 'C0INCIDENT';
const ROTATION = {
  handoff: '0 9 * * 1',
  start: '2026-11-02',
  primary: ['U0ANN', 'U0BOB', 'U0CAT'],
  secondary: ['U0DAN', 'U0EVE'],
  overrides: [{ user: 'U0FAY', role: 'secondary', from: '2026-12-24T00:00:00Z', until: '2026-12-27T00:00:00Z' }],
};

let cleanup: () => void;
let env: TestEnv;
let registry: CommandRegistry;

function setUp(file: Record<string, unknown>) {
  const t = tempDir();
  cleanup = t.cleanup;
  env = testDeps(path.join(t.dir, '.shadow-atlas'), { file });
  registry = createRegistry(createAuthorizer(env.deps.config, undefined, undefined, async () => await env.deps.rotation.at(env.clock())));
}

beforeEach(() => setUp({ rotation: ROTATION, responders: { users: [LEAD] } }));

afterEach(async () => {
  await env.close();
  cleanup();
});

const slack = (userId = LEAD): Actor => ({ source: 'slack', userId, channelId: CHANNEL });
const terminal: Actor = { source: 'cli', userId: 'ann' };

const run = (text: string, actor: Actor = slack()) => renderedAnswer(registry, env.deps, text, actor);

const overrides = () => env.db.prepare('SELECT id, user_id, role, from_at, until_at, created_by, removed_by FROM oncall_overrides ORDER BY id').all();
const audit = () => env.db.prepare('SELECT command, user_id, outcome FROM command_runs ORDER BY id').all();

describe('/atlas oncall', () => {
  it('answers who is on call now and until when, who is next, and the overrides coming, on its first line', async () => {
    const r = await run('oncall');
    expect(r.outcome).toBe('info');
    expect(r.headline).toBe(
      'On call now: primary <@U0ANN>, secondary <@U0EVE>; until 2026-11-30 09:00 UTC (in 3 d 21 h). Next: primary <@U0BOB>, secondary <@U0DAN> from 2026-11-30 09:00 UTC.',
    );
    expect(r.slack).toContain('*Overrides in force and coming*\nconfig <@U0FAY> covers secondary · Thu 2026-12-24 00:00 → Sun 2026-12-27 00:00 UTC · for <@U0EVE>');
    const t = await run('oncall', terminal);
    expect(t.text).toContain('[INFO] On call now: primary @U0ANN, secondary @U0EVE;');
    expect(t.text).toContain('  config  @U0FAY  secondary  2026-12-24 00:00 UTC  2026-12-27 00:00 UTC  @U0EVE  config  coming\n');
  });

  it('says who covers for whom while an override runs, and when the rotation resumes', async () => {
    await run('oncall cover <@U0GUS|gus> --role primary --until 1d');
    const r = await run('oncall');
    expect(r.headline).toBe(
      'On call now: primary <@U0GUS> (covering for <@U0ANN> until 2026-11-27 12:00 UTC), secondary <@U0EVE>; until 2026-11-27 12:00 UTC (in 1 d). Next: primary <@U0ANN>, secondary <@U0EVE> from 2026-11-27 12:00 UTC.',
    );
    expect(r.slack).toContain('#1 <@U0GUS> covers primary · Thu 2026-11-26 12:00 → Fri 2026-11-27 12:00 UTC · for <@U0ANN> · in force');
    expect((await run('oncall', terminal)).text).toContain('  #1      @U0GUS  primary    2026-11-26 12:00 UTC  2026-11-27 12:00 UTC  @U0ANN  @U0LEAD  in force\n');
  });

  it('shows the rotation zone beside UTC when it is not UTC', async () => {
    await env.close();
    cleanup();
    setUp({ rotation: { ...ROTATION, timezone: 'Europe/Berlin' } });
    // 09:00 in Berlin is 08:00 UTC in winter.
    expect((await run('oncall')).headline).toBe(
      'On call now: primary <@U0ANN>, secondary <@U0EVE>; until 2026-11-30 08:00 UTC (09:00 Europe/Berlin, in 3 d 20 h). Next: primary <@U0BOB>, secondary <@U0DAN> from 2026-11-30 08:00 UTC.',
    );
    const weeks = await run('oncall --weeks 1');
    expect(weeks.slack).toContain('Mon 2026-11-30 08:00 UTC (09:00 local) · primary <@U0BOB> · secondary <@U0DAN>');
    expect((await run('oncall --weeks 1', terminal)).text).toContain('  shift starts                    Europe/Berlin  primary  secondary  overrides');
  });

  it("says when a rotation starts that has not, and what to set when there is none; nobody's shifts are made up", async () => {
    env.clock.set('2026-10-30T12:00:00Z');
    expect((await run('oncall')).headline).toBe(
      'Nobody is on call yet: the rotation starts 2026-11-02 09:00 UTC (in 2 d 21 h): primary <@U0ANN>, secondary <@U0DAN>.',
    );
    await env.close();
    cleanup();
    setUp({ responders: { users: [LEAD] } });
    const none = 'No rotation is configured: set `rotation.start` and `rotation.primary` (and `rotation.secondary`) in the config, and the bot knows who is on call.';
    for (const text of ['oncall', 'oncall --weeks 2', 'oncall <@U0ANN>']) expect((await run(text)).headline).toBe(none);
    const cover = await run('oncall cover <@U0ANN> --role primary --until 2h');
    expect(cover).toMatchObject({ outcome: 'error', headline: none });
    expect(overrides()).toEqual([]);
  });

  it("@user: that person's shifts ahead, saying which parts others cover and whom they cover for", async () => {
    await run('oncall cover <@U0GUS> --role primary --from 2026-12-01T09:00Z --until 2026-12-03T09:00Z');
    await run('oncall cover <@U0BOB> --role secondary --from 2026-12-08T00:00Z --until 2026-12-09T00:00Z');
    const bob = await run('oncall <@U0BOB|bob> --weeks 3');
    expect(bob.headline).toBe('<@U0BOB> is next on call as primary from 2026-11-30 09:00 UTC (in 3 d 21 h) until 2026-12-07 09:00 UTC.');
    expect(bob.slack.split('\n').slice(1)).toEqual([
      '*On call in the next 3 weeks*',
      'primary · Mon 2026-11-30 09:00 → Mon 2026-12-07 09:00 UTC · partly covered by <@U0GUS> Tue 2026-12-01 09:00 → Thu 2026-12-03 09:00 UTC (#1)',
      'secondary · Tue 2026-12-08 00:00 → Wed 2026-12-09 00:00 UTC · covering for <@U0EVE> (#2)',
    ]);
    const ann = await run('oncall U0ANN', terminal);
    expect(ann.headline).toBe('<@U0ANN> is on call now as primary until 2026-11-30 09:00 UTC (in 3 d 21 h).');
    expect(ann.text).toContain('On call in the next 26 weeks (the first 8)\n  role     from                      until                     note\n');
    expect(ann.text).toContain('  primary  Mon 2026-11-23 09:00 UTC  Mon 2026-11-30 09:00 UTC\n');
    expect((await run('oncall <@U0ZED> --weeks 2')).headline).toBe('<@U0ZED> has no shifts in the next 2 weeks, as primary or secondary.');
  });

  it('--weeks N: one line per shift in Slack, an aligned table in the terminal, overrides in their shifts', async () => {
    await run('oncall cover <@U0GUS> --role primary --from 2026-12-01T09:00Z --until 2026-12-03T09:00Z');
    const r = await run('oncall --weeks 2');
    expect(r.headline).toBe('Next 2 weeks: 3 shifts, 1 override.');
    expect(r.slack.split('\n').slice(1, 4)).toEqual([
      'Mon 2026-11-23 09:00 UTC (now) · primary <@U0ANN> · secondary <@U0EVE>',
      'Mon 2026-11-30 09:00 UTC · primary <@U0BOB> · secondary <@U0DAN> · #1 <@U0GUS> covers primary Tue 2026-12-01 09:00 → Thu 2026-12-03 09:00 UTC',
      'Mon 2026-12-07 09:00 UTC · primary <@U0CAT> · secondary <@U0EVE>',
    ]);
    expect(r.slack).not.toContain('```');
    const t = await run('oncall --weeks 2', terminal);
    expect(t.text.split('\n').slice(2, 7)).toEqual([
      '  shift starts                    primary  secondary  overrides',
      '  ------------------------------  -------  ---------  ------------------------------------------------------------------------',
      '  Mon 2026-11-23 09:00 UTC (now)  @U0ANN   @U0EVE',
      '  Mon 2026-11-30 09:00 UTC        @U0BOB   @U0DAN     #1 @U0GUS covers primary Tue 2026-12-01 09:00 → Thu 2026-12-03 09:00 UTC',
      '  Mon 2026-12-07 09:00 UTC        @U0CAT   @U0EVE',
    ]);
    // 26 weeks of daily shifts stay within Slack's limits (cut with a note, not refused).
    await env.close();
    cleanup();
    setUp({ rotation: { ...ROTATION, handoff: '0 9 * * *' } });
    const long = await run('oncall --weeks 26');
    expect(long.headline).toBe('Next 26 weeks: 183 shifts, 1 override.');
  });

  it('refuses bad arguments with one sentence', async () => {
    expect((await run('oncall bob')).headline).toBe(
      '"bob" is not a Slack user: mention them (@name) or give their user ID (U012ABC3DEF); overrides are `oncall cover` and `oncall uncover`. Usage: `/atlas oncall [@user] [--weeks N]`',
    );
    expect((await run('oncall --weeks 27')).headline).toMatch(/^--weeks: takes a whole number of weeks from 1 to 26 \(got "27"\)\. Usage:/);
    expect((await run('oncall <@U0ANN> <@U0BOB>')).headline).toMatch(/^takes one person/);
  });
});

describe('/atlas oncall cover and uncover', () => {
  it('stores the override with who set it, answers in one sentence with the undo, and audits it under its whole name', async () => {
    const r = await run('oncall cover <@U0GUS|gus> --role primary --until 1d');
    expect(r.outcome).toBe('ok');
    expect(r.headline).toBe('<@U0GUS> covers primary from now until 2026-11-27 12:00 UTC (in 1 d); override #1. Undo: /atlas oncall uncover 1');
    expect(r.slack).toContain("Covering for <@U0ANN>, the rotation's primary then.");
    expect(overrides()).toEqual([
      { id: 1, user_id: 'U0GUS', role: 'primary', from_at: '2026-11-26T12:00:00.000Z', until_at: '2026-11-27T12:00:00.000Z', created_by: LEAD, removed_by: null },
    ]);
    expect((await env.deps.rotation.at(env.clock()))?.primary).toBe('U0GUS');
    const t = await run('oncall cover U0HAL --role secondary --from 2026-12-01T10:00+01:00 --until 2d', terminal);
    expect(t.text).toBe('[ERROR] --until: 2026-11-28 12:00 UTC is not after --from (2026-12-01 09:00 UTC).\n');
    const later = await run('oncall cover U0HAL --role secondary --from 2026-12-01T10:00+01:00 --until 2026-12-02T09:00Z', terminal);
    expect(later.text).toBe(
      "[OK] @U0HAL covers secondary from 2026-12-01 09:00 UTC (in 4 d 21 h) until 2026-12-02 09:00 UTC (in 5 d 21 h); override #2. Undo: atlas oncall uncover 2\n\n  Covering for @U0DAN, the rotation's secondary then.\n",
    );
    expect(audit()).toEqual([
      { command: 'oncall cover', user_id: LEAD, outcome: 'ok' },
      { command: 'oncall cover', user_id: 'ann', outcome: 'error' },
      { command: 'oncall cover', user_id: 'ann', outcome: 'ok' },
    ]);
  });

  it('refuses an overlap of the same role, naming the override it clashes with, from chatops.db or the config', async () => {
    await run('oncall cover <@U0GUS> --role primary --from 2026-11-27T18:00Z --until 3d');
    const db = await run('oncall cover <@U0HAL> --role primary --until 2026-11-28T12:00Z');
    expect(db).toMatchObject({ outcome: 'error' });
    expect(db.headline).toBe(
      '<@U0GUS> already covers primary Fri 2026-11-27 18:00 → Sun 2026-11-29 12:00 UTC (override #1, set by <@U0LEAD>); remove it first with `/atlas oncall uncover 1`, or choose a span that does not overlap it.',
    );
    const planned = await run('oncall cover <@U0HAL> --role secondary --from 2026-12-25T00:00Z --until 2026-12-26T00:00Z');
    expect(planned.headline).toBe(
      '<@U0FAY> already covers secondary Thu 2026-12-24 00:00 → Sun 2026-12-27 00:00 UTC, planned in the config (rotation.overrides); choose a span that does not overlap it, or change the config.',
    );
    // The other role, and a span that only touches, are fine.
    expect((await run('oncall cover <@U0HAL> --role secondary --until 2026-11-28T12:00Z')).outcome).toBe('ok');
    expect((await run('oncall cover <@U0HAL> --role primary --from 2026-11-29T12:00Z --until 2026-11-30T12:00Z')).outcome).toBe('ok');
    expect(overrides()).toHaveLength(3);
  });

  it('warns when the person covering holds the other role then, and refuses covering one for their own shift', async () => {
    const r = await run('oncall cover <@U0EVE> --role primary --from 2026-11-28T00:00Z --until 2026-11-28T06:00Z');
    expect(r.outcome).toBe('warn');
    expect(r.slack).toContain(
      '<@U0EVE> is also the secondary Sat 2026-11-28 00:00–06:00 UTC: escalating to the secondary would reach the same person, so cover secondary with someone else.',
    );
    const own = await run('oncall cover <@U0ANN> --role primary --until 1d');
    expect(own.headline).toBe("<@U0ANN> is the rotation's primary for all of that span already; there is nobody to cover for.");
    expect(overrides()).toHaveLength(1);
  });

  it.each([
    ['oncall cover <@U0HAL> --role primary', '--until: needed: an ISO time such as 2026-12-24T09:00Z, now, or a duration such as 2h or 3d. Usage:'],
    ['oncall cover <@U0HAL> --until 2h', '--role: needed: primary or secondary. Usage:'],
    ['oncall cover <@U0HAL> --role boss --until 2h', '--role: takes primary or secondary (got "boss"). Usage:'],
    ['oncall cover bob --role primary --until 2h', '"bob" is not a Slack user: mention them (@name) or give their user ID (U012ABC3DEF). Usage:'],
    ['oncall cover --role primary --until 2h', 'needs the person who covers: `oncall cover @user --role primary --until 3d`. Usage:'],
    ['oncall cover <@U0HAL> --role primary --until tomorrow', '--until: takes an ISO time such as 2026-12-24T09:00Z, now, or a duration such as 2h or 3d (got "tomorrow"). Usage:'],
    ['oncall cover <@U0HAL> --role primary --until 2026-12-24T09:00', '--until: takes an ISO time such as 2026-12-24T09:00Z, now, or a duration such as 2h or 3d (got "2026-12-24T09:00"). Usage:'],
    ['oncall cover <@U0HAL> --role primary --from 2026-11-20T00:00Z --until 2d', '--from: 2026-11-20 00:00 UTC is in the past; an override starts now or later (leave --from out to start now).'],
    ['oncall cover <@U0HAL> --role primary --from 3d --until 2d', '--until: 2026-11-28 12:00 UTC is not after --from (2026-11-29 12:00 UTC).'],
    ['oncall cover <@U0HAL> --role primary --until now', '--until: 2026-11-26 12:00 UTC is not ahead of now; give a later time such as 2026-12-24T09:00Z or a duration such as 2h.'],
    ['oncall cover <@U0HAL> --role primary --until 13w', '--until: 2027-02-25 12:00 UTC is more than 90 days ahead; an override may run until 2027-02-24 12:00 UTC at the latest.'],
  ])('%s: one sentence, nothing stored', async (text, answer) => {
    const r = await run(text);
    expect(r.headline.startsWith(answer)).toBe(true);
    expect(r.headline).not.toContain('\n');
    expect(overrides()).toEqual([]);
  });

  it('uncover removes an override, records who, and the rotation is back at once; what cannot be removed says why', async () => {
    await run('oncall cover <@U0GUS> --role primary --until 1d');
    // ANN, whose primary shift a remediator's override covers, is not on call while it runs.
    expect((await run('oncall uncover 1', slack('U0ANN'))).outcome).toBe('denied');
    // EVE, the secondary on call, is not who covers nor a remediator: one sentence saying who may.
    const eve = await run('oncall uncover 1', slack('U0EVE'));
    expect(eve.headline).toBe('Override #1 may be removed by a remediator (<@U0LEAD>), or by <@U0GUS> who covers.');
    expect(overrides()).toMatchObject([{ id: 1, removed_by: null }]);
    // GUS, who covers, may give it back.
    const r = await run('oncall uncover 1', slack('U0GUS'));
    expect(r.headline).toBe(
      'Removed override #1: <@U0GUS> no longer covers primary from 2026-11-26 12:00 UTC until 2026-11-27 12:00 UTC. The primary now is <@U0ANN>.',
    );
    expect(overrides()).toMatchObject([{ id: 1, removed_by: 'U0GUS' }]);
    expect((await env.deps.rotation.at(env.clock()))?.primary).toBe('U0ANN');
    expect((await run('oncall uncover #1')).headline).toBe('Override #1 was removed already, by <@U0GUS> at 2026-11-26 12:00 UTC.');
    expect((await run('oncall uncover 7')).headline).toBe(
      'There is no override #7 (`/atlas oncall` lists them with their ids); a planned override from the config (rotation.overrides) is removed by editing the config.',
    );
    expect((await run('oncall uncover config')).headline).toMatch(
      /^takes the number of an override, such as 12 \(got "config"\); one planned in the config \(rotation.overrides\) is removed by editing the config\. Usage: `\/atlas oncall uncover <id>`$/,
    );
    await run('oncall cover <@U0GUS> --role secondary --until 2h');
    env.clock.advance(3 * 3_600_000);
    expect((await run('oncall uncover 2')).headline).toBe('Override #2 ended at 2026-11-26 14:00 UTC; there is nothing to undo.');
    expect(audit().filter((a) => (a as { command: string }).command === 'oncall uncover')).toHaveLength(7);
  });
});

describe('on call counts as responders (the incident tier)', () => {
  const decide = (userId: string, tier: 'incident' | 'remediate' = 'incident', channelId = CHANNEL) =>
    createAuthorizer(env.deps.config, undefined, undefined, async () => await env.deps.rotation.at(env.clock())).decide({ source: 'slack', userId, channelId }, tier, 'ack');

  it('lets the primary and secondary act during their shift and not after; remediations only as remediators.onCall says', async () => {
    expect(await decide('U0ANN')).toEqual({ allowed: true });
    expect(await decide('U0EVE')).toEqual({ allowed: true });
    expect(await decide('U0BOB')).toMatchObject({ allowed: false, reason: expect.stringContaining('is for responders') });
    // Being on call is not being a remediator unless the config says so.
    expect(await decide('U0ANN', 'remediate')).toMatchObject({ allowed: false, reason: '`ack` changes Shadow Atlas data: it may be run by <@U0LEAD>, in a DM with the bot.' });
    env.clock.set('2026-11-30T09:00:00Z');
    expect((await decide('U0ANN')).allowed).toBe(false);
    expect(await decide('U0BOB')).toEqual({ allowed: true });
    expect(await decide('U0DAN')).toEqual({ allowed: true });
    for (const [onCall, primary, secondary] of [
      ['primary', true, false],
      ['primary-and-secondary', true, true],
      ['none', false, false],
    ] as const) {
      await env.close();
      cleanup();
      setUp({ rotation: ROTATION, responders: { users: [LEAD] }, remediators: { onCall } });
      expect((await decide('U0ANN', 'remediate')).allowed, `${onCall}: primary`).toBe(primary);
      expect((await decide('U0EVE', 'remediate')).allowed, `${onCall}: secondary`).toBe(secondary);
      env.clock.set('2026-11-30T09:00:00Z');
      expect((await decide('U0ANN', 'remediate')).allowed, `${onCall}: after the shift`).toBe(false);
    }
  });

  it('counts an override for the tiers only when a remediator set it: one set in Slack by the person on call grants nothing', async () => {
    expect((await decide('U0GUS')).allowed).toBe(false);
    // Someone who is neither a responder nor on call may not set an override.
    expect((await run('oncall cover <@U0GUS> --role primary --until 1d', slack(STRANGER))).outcome).toBe('denied');
    // The primary on call may hand over their own shift: GUS is then on call (paged, named) but gains no tier.
    const handed = await run('oncall cover <@U0GUS> --role primary --until 1d', slack('U0ANN'));
    expect(handed.outcome).toBe('ok');
    expect(handed.slack).toContain('Handed over by the primary on call, not by a remediator');
    expect((await env.deps.rotation.at(env.clock()))?.primary).toBe('U0GUS');
    expect((await decide('U0GUS')).allowed).toBe(false);
    expect(await decide('U0ANN')).toEqual({ allowed: true });
    // The secondary may not hand over the primary's shift, nor put themselves on it.
    expect((await run('oncall cover <@U0EVE> --role primary --from 2026-11-28T00:00Z --until 2026-11-28T12:00Z', slack('U0EVE'))).headline).toBe(
      'Changing who is on call as primary then needs a remediator (<@U0LEAD>) or <@U0ANN>, on call as primary then, handing over their own shift: ask them to run it.',
    );
    // GUS, no responder, may not even give it back; ANN, who handed it over, takes it back.
    expect((await run('oncall uncover 1', slack('U0GUS'))).outcome).toBe('denied');
    expect((await run('oncall uncover 1', slack('U0ANN'))).outcome).toBe('ok');
    // A remediator's override counts: GUS may act, ANN, covered for, not.
    expect((await run('oncall cover <@U0GUS> --role primary --until 1d', slack(LEAD))).outcome).toBe('ok');
    expect(await decide('U0GUS')).toEqual({ allowed: true });
    expect((await decide('U0ANN')).allowed).toBe(false);
    expect(overrides()).toMatchObject([
      { created_by: 'U0ANN', removed_by: 'U0ANN' },
      { created_by: LEAD, removed_by: null },
    ]);
    const trail = env.db.prepare('SELECT command, user_id, outcome, undo FROM audit_log ORDER BY id').all();
    expect(trail).toEqual([
      { command: 'oncall cover', user_id: STRANGER, outcome: 'refused', undo: null },
      { command: 'oncall cover', user_id: 'U0ANN', outcome: 'applied', undo: '/atlas oncall uncover 1' },
      { command: 'oncall cover', user_id: 'U0EVE', outcome: 'refused', undo: null },
      { command: 'oncall uncover', user_id: 'U0GUS', outcome: 'refused', undo: null },
      { command: 'oncall uncover', user_id: 'U0ANN', outcome: 'applied', undo: expect.stringContaining('/atlas oncall cover <@U0GUS> --role primary') },
      { command: 'oncall cover', user_id: LEAD, outcome: 'applied', undo: '/atlas oncall uncover 2' },
    ]);
  });

  it('refuses a change of who is on call in one sentence when Slack does not say whether the caller is a remediator', async () => {
    await env.close();
    cleanup();
    setUp({ rotation: ROTATION, responders: { users: [LEAD, 'U0HAL'] }, remediators: { users: [LEAD], usergroups: ['S0LEADS'] } });
    // The remediators' user group never answers: the lookup gives up after 1.5 s.
    registry = createRegistry(createAuthorizer(env.deps.config, () => new Promise<string[]>(() => {}), undefined, async () => await env.deps.rotation.at(env.clock())));
    const r = await run('oncall cover <@U0GUS> --role primary --until 1d', slack('U0HAL'));
    expect(r.headline).toBe('Slack did not say in time whether you are a remediator, which changing who is on call needs; try `oncall cover` again in a moment.');
    expect(overrides()).toEqual([]);
    // The person on call handing over their own shift needs no answer about remediators.
    expect((await run('oncall cover <@U0GUS> --role primary --until 1d', slack('U0ANN'))).outcome).toBe('ok');
  });

  it('keeps responders.channels for those on call too, and decides without a rotation as before', async () => {
    await env.close();
    cleanup();
    setUp({ rotation: ROTATION, responders: { users: [LEAD], channels: [CHANNEL] } });
    expect(await decide('U0ANN')).toEqual({ allowed: true });
    expect(await decide('U0ANN', 'incident', 'C0RANDOM')).toMatchObject({ allowed: false, reason: expect.stringContaining('runs in <#C0INCIDENT>') });
    const withoutRotation = createAuthorizer(env.deps.config);
    expect((await withoutRotation.decide({ source: 'slack', userId: 'U0ANN', channelId: CHANNEL }, 'incident', 'ack')).allowed).toBe(false);
    const broken = createAuthorizer(env.deps.config, undefined, undefined, () => {
      throw new Error('chatops.db is locked');
    });
    expect(await broken.decide({ source: 'slack', userId: LEAD, channelId: CHANNEL }, 'incident', 'ack')).toEqual({ allowed: true });
    expect((await broken.decide({ source: 'slack', userId: 'U0ANN', channelId: CHANNEL }, 'incident', 'ack')).allowed).toBe(false);
  });
});
