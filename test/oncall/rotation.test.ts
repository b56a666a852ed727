import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config.js';
import { currentOnCall, zonedInstant } from '../../src/oncall/rotation.js';

describe('currentOnCall', () => {
  const rotation = buildConfig('/x', {
    rotation: { timezone: 'America/New_York', handoffTime: '09:00', shiftDays: 7, start: '2026-11-02', primary: ['U0AAA', 'U0BBB'], secondary: ['U0BBB', 'U0AAA'] },
  }).rotation;

  it('walks the lists shift by shift from the start, in the rotation time zone', () => {
    // 2026-11-02 09:00 in New York is 14:00 UTC (EST).
    expect(zonedInstant('2026-11-02', '09:00', 'America/New_York').toISOString()).toBe('2026-11-02T14:00:00.000Z');
    expect(currentOnCall(rotation, new Date('2026-11-02T13:59:00Z'))?.primary).toBe('U0BBB');
    const first = currentOnCall(rotation, new Date('2026-11-02T14:00:00Z'))!;
    expect(first).toMatchObject({ primary: 'U0AAA', secondary: 'U0BBB' });
    expect(first.shiftEnd.toISOString()).toBe('2026-11-09T14:00:00.000Z');
    expect(currentOnCall(rotation, new Date('2026-11-10T00:00:00Z'))).toMatchObject({ primary: 'U0BBB', secondary: 'U0AAA' });
    expect(currentOnCall(rotation, new Date('2026-11-26T12:00:00Z'))).toMatchObject({ primary: 'U0BBB' });
  });

  it('is null without a rotation', () => {
    expect(currentOnCall(undefined, new Date())).toBeNull();
  });
});
