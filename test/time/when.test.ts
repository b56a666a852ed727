import { describe, expect, it } from 'vitest';
import { parseWhen, resolveSpan, resolveWhen, type SpanRules } from '../../src/time/when.js';

const NOW = new Date('2026-11-26T12:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('parseWhen', () => {
  it.each([
    ['now', 0],
    ['NOW', 0],
    ['30m', 30 * MIN],
    ['2h', 2 * HOUR],
    ['3d', 3 * DAY],
    ['1w', 7 * DAY],
    ['2w3d', 17 * DAY],
    ['1h30m', 90 * MIN],
  ])('reads %s as that long from now', (text, ms) => {
    expect(resolveWhen(parseWhen(text)!, NOW).getTime()).toBe(NOW.getTime() + ms);
  });

  it.each([
    ['2026-12-24T09:00Z', '2026-12-24T09:00:00.000Z'],
    ['2026-12-24t09:00z', '2026-12-24T09:00:00.000Z'],
    ['2026-12-24T09:00:30Z', '2026-12-24T09:00:30.000Z'],
    ['2026-12-24T09:00:30.25Z', '2026-12-24T09:00:30.250Z'],
    ['2026-12-24T10:00+01:00', '2026-12-24T09:00:00.000Z'],
    ['2026-12-24T04:30-0430', '2026-12-24T09:00:00.000Z'],
    ['2026-12-24T00:30+05:30', '2026-12-23T19:00:00.000Z'],
  ])('reads the ISO instant %s', (text, iso) => {
    expect(parseWhen(text)).toEqual({ kind: 'at', at: new Date(iso) });
  });

  it.each([
    // Without an offset a wall-clock time is no instant: whose 09:00?
    '2026-12-24T09:00',
    '2026-12-24',
    '2026-02-30T09:00Z',
    '2026-12-24T24:00Z',
    '2026-12-24T09:60Z',
    '2026-12-24T09:00+25:00',
    'tomorrow',
    'yesterday',
    '0h',
    '-2h',
    '2 h',
    '2x',
    '',
  ])('refuses %j', (text) => {
    expect(parseWhen(text)).toBeNull();
  });
});

describe('resolveSpan', () => {
  const rules: SpanRules = { maxAheadMs: 90 * DAY, pastToleranceMs: 5 * MIN, show: (t) => t.toISOString() };
  const at = (iso: string) => ({ kind: 'at' as const, at: new Date(iso) });

  it('starts now without --from, and takes a span ahead', () => {
    expect(resolveSpan(undefined, { kind: 'in', ms: 2 * HOUR }, NOW, rules)).toEqual({ ok: true, from: NOW, until: new Date(NOW.getTime() + 2 * HOUR) });
    expect(resolveSpan({ kind: 'in', ms: DAY }, { kind: 'in', ms: 3 * DAY }, NOW, rules)).toEqual({
      ok: true,
      from: new Date(NOW.getTime() + DAY),
      until: new Date(NOW.getTime() + 3 * DAY),
    });
  });

  it('reads a --from a few minutes ago as now, and refuses one further back', () => {
    expect(resolveSpan(at('2026-11-26T11:57:00Z'), { kind: 'in', ms: HOUR }, NOW, rules)).toMatchObject({ ok: true, from: NOW });
    expect(resolveSpan(at('2026-11-26T11:00:00Z'), { kind: 'in', ms: HOUR }, NOW, rules)).toEqual({
      ok: false,
      field: 'from',
      message: '--from: 2026-11-26T11:00:00.000Z is in the past; an override starts now or later (leave --from out to start now).',
    });
  });

  it('refuses an --until not ahead of now, not after --from, or past the limit, in one sentence each', () => {
    expect(resolveSpan(undefined, { kind: 'now' }, NOW, rules)).toMatchObject({ ok: false, field: 'until', message: expect.stringMatching(/^--until: .* is not ahead of now;/) });
    expect(resolveSpan({ kind: 'in', ms: 3 * DAY }, { kind: 'in', ms: 2 * DAY }, NOW, rules)).toEqual({
      ok: false,
      field: 'until',
      message: '--until: 2026-11-28T12:00:00.000Z is not after --from (2026-11-29T12:00:00.000Z).',
    });
    expect(resolveSpan(undefined, { kind: 'in', ms: 91 * DAY }, NOW, rules)).toEqual({
      ok: false,
      field: 'until',
      message: '--until: 2027-02-25T12:00:00.000Z is more than 90 days ahead; an override may run until 2027-02-24T12:00:00.000Z at the latest.',
    });
    expect(resolveSpan(undefined, { kind: 'in', ms: 90 * DAY }, NOW, rules)).toMatchObject({ ok: true });
  });
});
