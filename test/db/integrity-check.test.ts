import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIntegrityCheck } from '../../src/db/integrity-check.js';
import { tempDir } from '../helpers/test-deps.js';
import { buildDatabase, corruptPages } from './integrity-fixtures.js';

const fixtureWorker = (name: string) => new URL(`../fixtures/integrity-workers/${name}`, import.meta.url);
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('runIntegrityCheck', () => {
  const tmp = tempDir();
  const healthy = path.join(tmp.dir, 'healthy.db');
  const corrupt = path.join(tmp.dir, 'corrupt.db');
  const big = path.join(tmp.dir, 'big.db');

  beforeAll(() => {
    buildDatabase(healthy);
    buildDatabase(corrupt);
    corruptPages(corrupt, [5, 10, 20]);
    // ~6 MB: big enough that a full check takes a while, small enough for a fast suite.
    buildDatabase(big, 60_000);
  });
  afterAll(() => tmp.cleanup());

  it('reports ok for a healthy file, full and quick, without changing it', async () => {
    const before = sha(healthy);
    const full = await runIntegrityCheck(healthy, 'full');
    const quick = await runIntegrityCheck(healthy, 'quick');
    for (const [result, mode] of [
      [full, 'full'],
      [quick, 'quick'],
    ] as const) {
      expect(result).toMatchObject({ file: healthy, label: 'healthy.db', mode, ok: true, problems: [], truncated: false, problem: null });
      expect(result.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(sha(healthy)).toBe(before);
    expect(existsSync(`${healthy}-journal`)).toBe(false);
  });

  it('reports the problems of a file with garbage in its pages, one per line, without the header', async () => {
    for (const mode of ['full', 'quick'] as const) {
      const result = await runIntegrityCheck(corrupt, mode);
      expect(result.ok).toBe(false);
      expect(result.problem).toBeNull();
      expect(result.problems.length).toBeGreaterThan(0);
      expect(result.problems.length).toBeLessThanOrEqual(20);
      expect(result.problems[0]).toMatch(/page \d+/i);
      expect(result.problems.some((p) => p.includes('\n') || p.startsWith('***'))).toBe(false);
    }
  });

  it('keeps the first maxErrors problems and says when there were more', async () => {
    const result = await runIntegrityCheck(corrupt, 'full', 2);
    expect(result.problems).toHaveLength(2);
    expect(result.truncated).toBe(true);
  });

  it('says a missing file is missing and does not create it', async () => {
    const missing = path.join(tmp.dir, 'nope', 'persistence.db');
    const result = await runIntegrityCheck(missing, 'full');
    expect(result.ok).toBe(false);
    expect(result.problem).toMatchObject({ kind: 'missing' });
    expect(result.problem?.message).toContain('persistence.db not found');
    expect(existsSync(missing)).toBe(false);
  });

  it('classifies a file that is not a database as corrupt', async () => {
    const notDb = path.join(tmp.dir, 'metrics.db');
    writeFileSync(notDb, 'this is a text file, not SQLite\n'.repeat(200));
    const result = await runIntegrityCheck(notDb, 'quick');
    expect(result.ok).toBe(false);
    expect(result.problem?.kind).toBe('corrupt');
    expect(result.problem?.message).toMatch(/^metrics\.db is not a readable SQLite database/);
  });

  it('classifies a file held by a writer as locked', async () => {
    const locked = path.join(tmp.dir, 'locked.db');
    buildDatabase(locked, 10);
    const writer = new Database(locked);
    try {
      writer.exec('BEGIN EXCLUSIVE; INSERT INTO t(v) VALUES (1);');
      const result = await runIntegrityCheck(locked, 'quick', 20, { busyTimeoutMs: 20 });
      expect(result.problem?.kind).toBe('locked');
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
  });

  it('shares one run between concurrent requests for the same file and mode', async () => {
    const a = runIntegrityCheck(big, 'full');
    const b = runIntegrityCheck(big, 'full');
    const other = runIntegrityCheck(big, 'quick');
    expect(b).toBe(a);
    expect(other).not.toBe(a);
    await Promise.all([a, other]);
    // Once finished, a new request runs a new check.
    const c = runIntegrityCheck(big, 'full');
    expect(c).not.toBe(a);
    expect((await c).ok).toBe(true);
  });

  it('keeps the event loop free while a full check runs', async () => {
    let immediates = 0;
    let running = true;
    const spin = () => {
      if (!running) return;
      immediates++;
      setImmediate(spin);
    };
    setImmediate(spin);
    let timerFired = false;
    setTimeout(() => {
      timerFired = true;
    }, 1);
    const result = await runIntegrityCheck(big, 'full');
    running = false;
    expect(result.ok).toBe(true);
    // Had the check run on this thread, nothing could have run before the promise settled.
    expect(immediates).toBeGreaterThan(1);
    expect(timerFired).toBe(true);
  });

  it('rejects cleanly when the worker crashes, exits without answering, or answers nonsense', async () => {
    await expect(runIntegrityCheck(healthy, 'full', 20, { workerUrl: fixtureWorker('throws.js') })).rejects.toThrow(
      /integrity check of healthy\.db crashed: simulated crash/,
    );
    await expect(runIntegrityCheck(healthy, 'full', 20, { workerUrl: fixtureWorker('exits.js') })).rejects.toThrow(/exit code 3/);
    await expect(runIntegrityCheck(healthy, 'full', 20, { workerUrl: fixtureWorker('garbage.js') })).rejects.toThrow(/unexpected reply/);
    // And the real worker still works afterwards.
    expect((await runIntegrityCheck(healthy, 'quick')).ok).toBe(true);
  });

  it('refuses a nonsensical maxErrors', () => {
    expect(() => runIntegrityCheck(healthy, 'full', 0)).toThrow(RangeError);
    expect(() => runIntegrityCheck(healthy, 'full', 1.5)).toThrow(RangeError);
  });
});
