import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config.js';
import { openStateStore, type SqliteStateStore } from '../../src/db/state/kysely/sqlite-state-store.js';
import { configRotation, rotationOf } from '../../src/oncall/config-rotation.js';
import { tempDir } from '../helpers/test-deps.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const d = (iso: string) => new Date(iso);
const isoOf = (dates: readonly Date[]) => dates.map((x) => x.toISOString());

/** The rotation of a config file with `rotation` as given (validated as the bot validates it). */
function rotationConfig(rotation: Record<string, unknown>) {
  return buildConfig('/nowhere', { rotation });
}

const WEEKLY = { handoff: '0 0 * * 1', timezone: 'UTC', start: '2026-01-05', primary: ['U0ANN', 'U0BOB', 'U0CAT'], secondary: ['U0DAN', 'U0EVE'] };

describe('configRotation', () => {
  it('walks a weekly rotation (0 0 * * 1) over months: shift N is the Nth week from start, primary and secondary each in turn', async () => {
    const r = configRotation(rotationConfig(WEEKLY).rotation);
    // 2026-04-13 is 14 weeks after 2026-01-05: primary 14 % 3 = 2, secondary 14 % 2 = 0.
    const mid = (await r.at(d('2026-04-15T10:00:00Z')))!;
    expect(mid).toMatchObject({ primary: 'U0CAT', secondary: 'U0DAN', covering: {} });
    expect(mid.shift).toMatchObject({ index: 14, start: d('2026-04-13T00:00:00Z'), end: d('2026-04-20T00:00:00Z') });
    expect(mid.until).toEqual(d('2026-04-20T00:00:00Z'));
    expect(r.timezone).toBe('UTC');
    // Half a year of shifts: consecutive, a week each, every pair in turn.
    const shifts = await r.shifts(d('2026-01-05T00:00:00Z'), d('2026-07-06T00:00:00Z'));
    expect(shifts).toHaveLength(26);
    shifts.forEach((s, i) => {
      expect(s.index).toBe(i);
      expect(s.end.getTime() - s.start.getTime()).toBe(7 * DAY);
      if (i > 0) expect(s.start).toEqual(shifts[i - 1]!.end);
      expect(s.scheduled).toEqual({ primary: WEEKLY.primary[i % 3], secondary: WEEKLY.secondary[i % 2] });
    });
    // The last second of a shift is still that shift; the change itself belongs to the next.
    expect((await r.at(d('2026-04-19T23:59:59Z')))!.shift.index).toBe(14);
    expect((await r.at(d('2026-04-20T00:00:00Z')))!.shift.index).toBe(15);
  });

  it('walks a daily rotation (0 9 * * *) across month ends and February', async () => {
    const r = configRotation(rotationConfig({ handoff: '0 9 * * *', start: '2026-01-01', primary: ['U0ANN', 'U0BOB'], secondary: ['U0CAT', 'U0DAN', 'U0EVE'] }).rotation);
    // Midnight on the start date is before the first change at 09:00.
    expect(await r.at(d('2026-01-01T08:59:00Z'))).toBeNull();
    expect((await r.at(d('2026-01-01T09:00:00Z')))!.shift.index).toBe(0);
    // 2026-03-01 is day 59 (31 + 28): primary 59 % 2 = 1, secondary 59 % 3 = 2.
    const march = (await r.at(d('2026-03-01T10:00:00Z')))!;
    expect(march).toMatchObject({ primary: 'U0BOB', secondary: 'U0EVE', until: d('2026-03-02T09:00:00Z') });
    expect(march.shift.index).toBe(59);
    expect((await r.at(d('2026-03-01T08:00:00Z')))!.shift.start).toEqual(d('2026-02-28T09:00:00Z'));
    expect(isoOf(r.shiftChanges(d('2026-01-30T09:00:00Z'), d('2026-02-02T09:00:00Z')))).toEqual([
      '2026-01-31T09:00:00.000Z',
      '2026-02-01T09:00:00.000Z',
      '2026-02-02T09:00:00.000Z',
    ]);
    expect(await r.shifts(d('2026-01-01T00:00:00Z'), d('2026-05-01T00:00:00Z'))).toHaveLength(120);
  });

  it('keeps the shift change at 09:00 local across both DST changes in Europe/Berlin (08:00Z in winter, 07:00Z in summer)', async () => {
    const r = configRotation(rotationConfig({ handoff: '0 9 * * 1', timezone: 'Europe/Berlin', start: '2026-01-05', primary: ['U0ANN', 'U0BOB'] }).rotation);
    expect(r.timezone).toBe('Europe/Berlin');
    // Summer time starts on Sunday 2026-03-29 and ends on Sunday 2026-10-25.
    expect(isoOf(r.shiftChanges(d('2026-03-16T00:00:00Z'), d('2026-04-07T00:00:00Z')))).toEqual([
      '2026-03-16T08:00:00.000Z',
      '2026-03-23T08:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
      '2026-04-06T07:00:00.000Z',
    ]);
    expect(isoOf(r.shiftChanges(d('2026-10-12T00:00:00Z'), d('2026-11-03T00:00:00Z')))).toEqual([
      '2026-10-12T07:00:00.000Z',
      '2026-10-19T07:00:00.000Z',
      '2026-10-26T08:00:00.000Z',
      '2026-11-02T08:00:00.000Z',
    ]);
    // The shifts over a change are an hour short (spring) or long (autumn), and the walk goes on in turn.
    const spring = (await r.at(d('2026-03-25T12:00:00Z')))!.shift;
    expect(spring.end.getTime() - spring.start.getTime()).toBe(7 * DAY - HOUR);
    const autumn = (await r.at(d('2026-10-21T12:00:00Z')))!.shift;
    expect(autumn.end.getTime() - autumn.start.getTime()).toBe(7 * DAY + HOUR);
    expect((await r.at(d('2026-03-30T07:00:00Z')))!.shift.index).toBe(spring.index + 1);
    expect((await r.at(d('2026-03-30T06:59:59Z')))!.shift.index).toBe(spring.index);
    expect(r.nextShiftChange(d('2026-10-21T12:00:00Z'))).toEqual(d('2026-10-26T08:00:00Z'));
  });

  it('reads a date start as midnight in the rotation zone, an instant start as that instant; the first shift is the first change at or after it', async () => {
    const base = { handoff: '0 0 * * 1', timezone: 'Europe/Berlin', primary: ['U0ANN', 'U0BOB'] };
    // 2026-03-02 is a Monday: midnight in Berlin is 2026-03-01T23:00Z, itself a shift change.
    const byDate = configRotation(rotationConfig({ ...base, start: '2026-03-02' }).rotation);
    expect(await byDate.at(d('2026-03-01T22:59:59Z'))).toBeNull();
    expect((await byDate.at(d('2026-03-01T23:00:00Z')))!.shift).toMatchObject({ index: 0, start: d('2026-03-01T23:00:00Z'), scheduled: { primary: 'U0ANN' } });
    // The same day as a UTC instant is an hour past that change: the first shift starts a week later.
    const byInstant = configRotation(rotationConfig({ ...base, start: '2026-03-02T00:00:00Z' }).rotation);
    expect(await byInstant.at(d('2026-03-05T12:00:00Z'))).toBeNull();
    expect(byInstant.nextShiftChange(d('2026-03-05T12:00:00Z'))).toEqual(d('2026-03-08T23:00:00Z'));
    expect((await byInstant.at(d('2026-03-08T23:00:00Z')))!.shift).toMatchObject({ index: 0, scheduled: { primary: 'U0ANN' } });
    // An instant with an offset on a change is that change.
    const onChange = configRotation(rotationConfig({ ...base, start: '2026-03-09T00:00:00+01:00' }).rotation);
    expect((await onChange.at(d('2026-03-08T23:00:00Z')))!.shift.index).toBe(0);
  });

  it('has nobody on call before the first shift, and no rotation at all without one configured', async () => {
    const r = configRotation(rotationConfig(WEEKLY).rotation);
    expect(await r.at(d('2026-01-04T23:59:59Z'))).toBeNull();
    expect(r.nextShiftChange(d('2025-12-01T00:00:00Z'))).toEqual(d('2026-01-05T00:00:00Z'));
    expect((await r.shifts(d('2025-12-01T00:00:00Z'), d('2026-01-12T00:00:00Z'))).map((s) => s.index)).toEqual([0]);
    expect(r.shiftChanges(d('2025-12-01T00:00:00Z'), d('2026-01-05T00:00:00Z'))).toEqual([d('2026-01-05T00:00:00Z')]);
    const none = configRotation(buildConfig('/nowhere', {}).rotation);
    expect(await none.at(d('2026-04-15T00:00:00Z'))).toBeNull();
    expect(none.nextShiftChange(d('2026-04-15T00:00:00Z'))).toBeNull();
    expect(await none.shifts(d('2026-01-01T00:00:00Z'), d('2027-01-01T00:00:00Z'))).toEqual([]);
  });

  it('shifts(from, to) holds the shifts overlapping [from, to); shiftChanges(from, to) the changes in (from, to]', async () => {
    const r = configRotation(rotationConfig(WEEKLY).rotation);
    // From the middle of a shift to exactly the start of another: that one is not in it.
    expect((await r.shifts(d('2026-02-04T00:00:00Z'), d('2026-02-16T00:00:00Z'))).map((s) => s.start.toISOString())).toEqual([
      '2026-02-02T00:00:00.000Z',
      '2026-02-09T00:00:00.000Z',
    ]);
    expect((await r.shifts(d('2026-02-09T00:00:00Z'), d('2026-02-09T00:00:01Z'))).map((s) => s.index)).toEqual([5]);
    expect(isoOf(r.shiftChanges(d('2026-02-09T00:00:00Z'), d('2026-02-23T00:00:00Z')))).toEqual(['2026-02-16T00:00:00.000Z', '2026-02-23T00:00:00.000Z']);
    // Asking back in time after asking far ahead gives the same answers (the changes are kept).
    await r.at(d('2027-06-01T00:00:00Z'));
    expect((await r.at(d('2026-04-15T10:00:00Z')))!.shift.index).toBe(14);
  });

  it('lets a config override win for its span: the covering person is on call, `until` stops at its bounds, the shift resumes after', async () => {
    const overrides = [{ user: 'U0FAY', role: 'primary', from: '2026-04-15T12:00:00Z', until: '2026-04-17T12:00:00Z' }];
    const r = configRotation(
      rotationConfig({ ...WEEKLY, overrides }).rotation,
      async (from, to) => overrides.map((o) => ({ id: null, user: o.user, role: 'primary' as const, from: d(o.from), until: d(o.until), by: null, authority: 'config' as const })).filter((o) => o.from < to && from < o.until),
    );
    const before = (await r.at(d('2026-04-14T00:00:00Z')))!;
    expect(before).toMatchObject({ primary: 'U0CAT', covering: {}, until: d('2026-04-15T12:00:00Z') });
    expect(before.shift.overrides).toHaveLength(1);
    const during = (await r.at(d('2026-04-15T12:00:00Z')))!;
    expect(during).toMatchObject({ primary: 'U0FAY', secondary: 'U0DAN', until: d('2026-04-17T12:00:00Z'), shift: { scheduled: { primary: 'U0CAT' } } });
    expect(during.covering.primary).toMatchObject({ user: 'U0FAY', id: null });
    expect(await r.at(d('2026-04-17T12:00:00Z'))).toMatchObject({ primary: 'U0CAT', covering: {}, until: d('2026-04-20T00:00:00Z') });
  });
});

describe('rotationOf: the config rotation with the config file and chatops.db overrides', () => {
  let cleanup: () => void;
  let state: SqliteStateStore;
  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    state = openStateStore(path.join(t.dir, 'chatops.db'));
  });
  afterEach(async () => {
    await state.close();
    cleanup();
  });

  const planned = { user: 'U0FAY', role: 'secondary', from: '2026-04-14T00:00:00Z', until: '2026-04-16T00:00:00Z' };

  it('merges both, by start; a chatops.db override wins while it runs and stops winning once removed', async () => {
    const config = rotationConfig({ ...WEEKLY, overrides: [planned] });
    const r = rotationOf(config, state);
    const added = await state.overrides.add({ user: 'U0GUS', role: 'primary', from: d('2026-04-13T06:00:00Z'), until: d('2026-04-15T06:00:00Z'), createdBy: 'U0LEAD', authority: 'remediator' }, d('2026-04-01T00:00:00Z'));
    if (!('id' in added)) throw new Error('the override was refused');
    const shift = (await r.shifts(d('2026-04-13T00:00:00Z'), d('2026-04-13T00:00:01Z')))[0]!;
    expect(shift.overrides.map((o) => [o.id, o.user, o.role, o.by])).toEqual([
      [added.id, 'U0GUS', 'primary', 'U0LEAD'],
      [null, 'U0FAY', 'secondary', null],
    ]);
    // 2026-04-13 00:00 to 06:00: the rotation's own pair; then each override in turn.
    expect(await r.at(d('2026-04-13T01:00:00Z'))).toMatchObject({ primary: 'U0CAT', secondary: 'U0DAN', until: d('2026-04-13T06:00:00Z') });
    expect(await r.at(d('2026-04-13T06:00:00Z'))).toMatchObject({ primary: 'U0GUS', secondary: 'U0DAN', until: d('2026-04-14T00:00:00Z') });
    const both = (await r.at(d('2026-04-14T12:00:00Z')))!;
    expect(both).toMatchObject({ primary: 'U0GUS', secondary: 'U0FAY', until: d('2026-04-15T06:00:00Z') });
    expect(both.covering.primary?.id).toBe(added.id);
    expect(both.covering.secondary?.id).toBeNull();
    expect(await r.at(d('2026-04-15T06:00:00Z'))).toMatchObject({ primary: 'U0CAT', secondary: 'U0FAY', until: d('2026-04-16T00:00:00Z') });
    expect(await r.at(d('2026-04-16T00:00:00Z'))).toMatchObject({ primary: 'U0CAT', secondary: 'U0DAN', until: d('2026-04-20T00:00:00Z') });
    // Removed: the rotation's primary is back for that span, on the next question.
    expect(await state.overrides.remove(added.id, 'U0LEAD', d('2026-04-13T07:00:00Z'))).toBe(true);
    expect(await r.at(d('2026-04-14T12:00:00Z'))).toMatchObject({ primary: 'U0CAT', secondary: 'U0FAY' });
  });

  it('lets an override run across shift changes: it covers each shift it overlaps, and `until` is the shift end', async () => {
    const r = rotationOf(rotationConfig(WEEKLY), state);
    await state.overrides.add({ user: 'U0GUS', role: 'secondary', from: d('2026-04-18T00:00:00Z'), until: d('2026-04-22T00:00:00Z'), createdBy: 'U0LEAD', authority: 'remediator' }, d('2026-04-01T00:00:00Z'));
    expect(await r.at(d('2026-04-19T00:00:00Z'))).toMatchObject({ secondary: 'U0GUS', until: d('2026-04-20T00:00:00Z'), shift: { index: 14 } });
    expect(await r.at(d('2026-04-20T00:00:00Z'))).toMatchObject({ primary: 'U0ANN', secondary: 'U0GUS', until: d('2026-04-22T00:00:00Z'), shift: { index: 15 } });
    expect(await r.at(d('2026-04-22T00:00:00Z'))).toMatchObject({ secondary: 'U0EVE', until: d('2026-04-27T00:00:00Z') });
  });
});
