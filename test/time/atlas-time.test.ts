import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseAtlasTime, parseDuration, windowRanges } from '../../src/time/atlas-time.js';

describe('parseAtlasTime', () => {
  it('reads all three formats as UTC', () => {
    const want = Date.parse('2026-11-26T10:15:30Z');
    expect(parseAtlasTime('2026-11-26 10:15:30')?.getTime()).toBe(want);
    expect(parseAtlasTime('2026-11-26T10:15:30Z')?.getTime()).toBe(want);
    expect(parseAtlasTime('2026-11-26T10:15:30.000Z')?.getTime()).toBe(want);
  });
  it('returns null for anything else', () => {
    for (const bad of ['', 'yesterday', '2026-13-45 99:99:99', '1764151200', null, 42, "'; DROP TABLE x;--"]) {
      expect(parseAtlasTime(bad)).toBeNull();
    }
  });
});

describe('windowRanges', () => {
  // Every format, on both sides of each boundary and of midnight; the truth is the parsed time.
  const db = new Database(':memory:');
  db.exec('CREATE TABLE m (t TEXT NOT NULL); CREATE INDEX m_t ON m(t DESC);');
  const stamps: string[] = [];
  const base = Date.parse('2026-11-25T23:40:00Z');
  for (let s = 0; s < 3600; s += 7) {
    const d = new Date(base + s * 1000);
    const iso = d.toISOString();
    stamps.push(iso, iso.replace('.000Z', 'Z'), iso.slice(0, 19).replace('T', ' '));
  }
  // Rows of the same day far outside the window, in each format.
  stamps.push('2026-11-25T01:00:00.000Z', '2026-11-25 01:00:00', '2026-11-26T23:00:00Z', '2026-11-26 23:00:00');
  const insert = db.prepare('INSERT INTO m (t) VALUES (?)');
  for (const t of stamps) insert.run(t);
  const count = db.prepare('SELECT COUNT(*) AS n FROM m WHERE t >= ? AND t < ?');

  it.each([
    ['inside one day', '2026-11-25T23:45:00Z', '2026-11-25T23:55:00Z'],
    ['across midnight', '2026-11-25T23:50:00Z', '2026-11-26T00:10:00Z'],
    ['ending exactly at midnight', '2026-11-25T23:41:00Z', '2026-11-26T00:00:00Z'],
    ['several days', '2026-11-24T00:00:00Z', '2026-11-27T00:00:00Z'],
  ])('selects exactly the rows in the window %s', (_name, from, to) => {
    const lo = Date.parse(from);
    const hi = Date.parse(to);
    const truth = stamps.filter((s) => {
      const t = parseAtlasTime(s)!.getTime();
      return t >= lo && t < hi;
    }).length;
    const ranges = windowRanges(new Date(lo), new Date(hi));
    const got = ranges.reduce((n, r) => n + (count.get(r.from, r.to) as { n: number }).n, 0);
    expect(truth).toBeGreaterThan(0);
    expect(got).toBe(truth);
  });

  it('uses the index for each range', () => {
    const plan = db.prepare('EXPLAIN QUERY PLAN SELECT COUNT(*) FROM m WHERE t >= ? AND t < ?').all('a', 'b') as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING COVERING INDEX m_t/);
  });

  it('is empty for an empty or inverted window', () => {
    const t = new Date('2026-11-26T00:00:00Z');
    expect(windowRanges(t, t)).toEqual([]);
    expect(windowRanges(new Date(t.getTime() + 1000), t)).toEqual([]);
  });
});

describe('durations', () => {
  it('parses what people type', () => {
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('45s')).toBe(45_000);
    for (const bad of ['', '0m', '10', 'ten minutes', '-5m', '1h; DROP']) expect(parseDuration(bad)).toBeNull();
  });
  it('formats short', () => {
    expect(formatDuration(3 * 60_000)).toBe('3 min');
    expect(formatDuration(2 * 3_600_000 + 5 * 60_000)).toBe('2 h 5 min');
    expect(formatDuration(4 * 86_400_000 + 3 * 3_600_000)).toBe('4 d 3 h');
    expect(formatDuration(12_000)).toBe('12 s');
  });
});
