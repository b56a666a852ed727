import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { integrity, QUICK_CHECK_REUSE_MS, quickCheckItems } from '../../src/checks/integrity.js';
import { openAtlasStores, type AtlasStores } from '../../src/db/atlas-database.js';
import { openStateStore } from '../../src/db/state/kysely/sqlite-state-store.js';
import { createAtlasFiles, tempDir } from '../helpers/test-deps.js';
import { buildDatabase, corruptPages } from '../db/integrity-fixtures.js';

describe('integrity checks of the Atlas databases', () => {
  let tmp: ReturnType<typeof tempDir>;
  let stores: AtlasStores;

  beforeEach(() => {
    tmp = tempDir();
    const files = createAtlasFiles(tmp.dir);
    files.metrics.close();
    files.persistence.close();
    stores = openAtlasStores(tmp.dir);
  });
  afterEach(() => {
    stores.close();
    tmp.cleanup();
  });

  it('checks both files by default, persistence first, and finds them ok', async () => {
    const verdicts = await integrity(stores, 'all');
    expect(verdicts.map((v) => [v.label, v.role, v.mode, v.level, v.ok])).toEqual([
      ['persistence.db', 'persistence', 'full', 'ok', true],
      ['metrics.db', 'metrics', 'full', 'ok', true],
    ]);
  });

  it('checks only the file asked for, in the mode asked for', async () => {
    const verdicts = await integrity(stores, 'metrics', 'quick');
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]).toMatchObject({ label: 'metrics.db', mode: 'quick', ok: true });
  });

  it('quick-checks both files for health: ok items', async () => {
    const items = await quickCheckItems(stores);
    expect(items.map((i) => [i.key, i.level, i.value])).toEqual([
      ['integrity:persistence.db', 'ok', 0],
      ['integrity:metrics.db', 'ok', 0],
    ]);
    expect(items[0]?.detail).toMatch(/^quick_check ok \(\d+ ms\)$/);
  });

  it('a missing persistence.db is crit, a missing metrics.db a warning (as health-check.sh)', async () => {
    rmSync(stores.persistence.file);
    rmSync(`${stores.persistence.file}-wal`, { force: true });
    rmSync(`${stores.persistence.file}-shm`, { force: true });
    rmSync(stores.metrics.file);
    const items = await quickCheckItems(stores);
    expect(items.map((i) => [i.key, i.level])).toEqual([
      ['integrity:persistence.db', 'crit'],
      ['integrity:metrics.db', 'warn'],
    ]);
    expect(items[1]?.detail).toContain('metrics.db not found');
    expect(items[1]?.value).toBeNull();
  });

  it('a corrupt file or a non-database file is crit with the first problem in the detail', async () => {
    rmSync(stores.metrics.file);
    buildDatabase(stores.metrics.file);
    corruptPages(stores.metrics.file, [5, 10]);
    writeFileSync(stores.persistence.file, 'garbage '.repeat(1000));
    rmSync(`${stores.persistence.file}-wal`, { force: true });
    rmSync(`${stores.persistence.file}-shm`, { force: true });
    const items = await quickCheckItems(stores);
    expect(items[0]).toMatchObject({ key: 'integrity:persistence.db', level: 'crit', value: null });
    expect(items[0]?.detail).toMatch(/not a readable SQLite database/);
    expect(items[1]).toMatchObject({ key: 'integrity:metrics.db', level: 'crit' });
    expect(items[1]?.value).toBeGreaterThan(0);
    expect(items[1]?.detail).toMatch(/^quick_check: \d+\+? problems?, first: .*page/);

    const verdicts = await integrity(stores, 'all');
    expect(verdicts.map((v) => v.level)).toEqual(['crit', 'crit']);
    expect(verdicts[0]?.problem?.kind).toBe('corrupt');
  });

  it('works when the data directory itself is gone', async () => {
    const gone = openAtlasStores(path.join(tmp.dir, 'missing-dir'));
    const verdicts = await integrity(gone, 'all');
    expect(verdicts.map((v) => [v.problem?.kind, v.level])).toEqual([
      ['missing', 'crit'],
      ['missing', 'warn'],
    ]);
  });
});

/** A data directory with both Atlas databases, closed so the code under test opens its own. */
function atlasDir() {
  const t = tempDir();
  const dir = path.join(t.dir, '.shadow-atlas');
  const files = createAtlasFiles(dir);
  files.metrics.close();
  files.persistence.close();
  return { t, dir };
}

describe('quickCheckItems reuse', () => {
  it('reuses a result younger than a minute when given the time, and says when it was taken', async () => {
    const { t, dir } = atlasDir();
    const stores = openAtlasStores(dir);
    try {
      const at = new Date('2026-11-26T12:00:00Z');
      const first = await quickCheckItems(stores, at);
      expect(first.every((i) => i.level === 'ok' && !i.detail.includes('as of'))).toBe(true);
      // Corrupt the file: a reused result cannot know, a fresh check does.
      writeFileSync(path.join(dir, 'metrics.db'), 'not a database any more '.repeat(200));
      const reused = await quickCheckItems(stores, new Date(at.getTime() + QUICK_CHECK_REUSE_MS - 1));
      expect(reused.find((i) => i.label.startsWith('metrics.db'))).toMatchObject({ level: 'ok', detail: expect.stringContaining('(as of 12:00:00 UTC)') });
      const fresh = await quickCheckItems(stores, new Date(at.getTime() + QUICK_CHECK_REUSE_MS));
      expect(fresh.find((i) => i.label.startsWith('metrics.db'))?.level).not.toBe('ok');
    } finally {
      stores.close();
      t.cleanup();
    }
  });
});

describe('quickCheckItems shared through chatops.db', () => {
  it('reuses what another process checked under a minute ago, says when, and checks again after', async () => {
    const { t, dir } = atlasDir();
    // Two processes: each its own AtlasStores (so nothing is shared in memory), one chatops.db.
    const bot = openAtlasStores(dir);
    const terminal = openAtlasStores(dir);
    const stateA = openStateStore(path.join(dir, 'chatops.db'));
    const stateB = openStateStore(path.join(dir, 'chatops.db'));
    try {
      const at = new Date('2026-11-26T12:00:00Z');
      expect((await quickCheckItems(bot, at, stateA.integrityChecks)).every((i) => i.level === 'ok')).toBe(true);
      writeFileSync(path.join(dir, 'metrics.db'), 'not a database any more '.repeat(200));
      const reused = await quickCheckItems(terminal, new Date(at.getTime() + QUICK_CHECK_REUSE_MS - 1), stateB.integrityChecks);
      expect(reused.find((i) => i.label.startsWith('metrics.db'))).toMatchObject({ level: 'ok', detail: expect.stringContaining('(as of 12:00:00 UTC)') });
      const fresh = await quickCheckItems(terminal, new Date(at.getTime() + QUICK_CHECK_REUSE_MS), stateB.integrityChecks);
      expect(fresh.find((i) => i.label.startsWith('metrics.db'))?.level).not.toBe('ok');
      // A check that could not run is not remembered: the next caller asks SQLite again.
      expect((await stateA.integrityChecks.latest(bot.metrics.file))?.at).toEqual(at);
    } finally {
      for (const c of [bot, terminal, stateA, stateB]) await c.close();
      t.cleanup();
    }
  });

  it('does not trust a remembered row it cannot read', async () => {
    const { t, dir } = atlasDir();
    const stores = openAtlasStores(dir);
    const state = openStateStore(path.join(dir, 'chatops.db'));
    try {
      const at = new Date('2026-11-26T12:00:00Z');
      state.db.prepare('INSERT INTO integrity_checks (file, checked_at, result) VALUES (?, ?, ?)').run(stores.metrics.file, at.toISOString(), '{"ok": true}');
      expect(await state.integrityChecks.latest(stores.metrics.file)).toBeNull();
      const items = await quickCheckItems(stores, new Date(at.getTime() + 1000), state.integrityChecks);
      expect(items.find((i) => i.label.startsWith('metrics.db'))?.detail).not.toContain('as of');
      expect((await state.integrityChecks.latest(stores.metrics.file))?.result.ok).toBe(true);
    } finally {
      stores.close();
      await state.close();
      t.cleanup();
    }
  });
});
