import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startQuickChecksEarly } from '../../src/checks/early-quick-check.js';
import { QUICK_CHECK_REUSE_MS, quickCheckItems, type QuickCheckMemory } from '../../src/checks/integrity.js';
import { openAtlasStores, type AtlasStores } from '../../src/db/atlas-database.js';
import type { IntegrityResult } from '../../src/db/integrity-check.js';
import { openStateStore } from '../../src/db/state/kysely/sqlite-state-store.js';
import { buildDatabase, corruptPages } from '../db/integrity-fixtures.js';
import { createAtlasFiles, tempDir } from '../helpers/test-deps.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NOW = new Date('2026-11-26T12:00:00Z');

let tmp: ReturnType<typeof tempDir>;
let stores: AtlasStores;

/** A memory that keeps what it is told, as chatops.db does. */
function memory(kept = new Map<string, { at: Date; result: IntegrityResult }>()): QuickCheckMemory & { kept: typeof kept } {
  return {
    kept,
    latest: async (file) => kept.get(file) ?? null,
    remember: async (result, at) => void kept.set(result.file, { at, result }),
  };
}

function corruptMetrics(): void {
  rmSync(stores.metrics.file);
  buildDatabase(stores.metrics.file);
  corruptPages(stores.metrics.file, [5, 10]);
}

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

describe("health's quick checks started with the terminal", () => {
  it('are joined by health, which still reports a corrupt metrics.db', async () => {
    corruptMetrics();
    const early = startQuickChecksEarly(['health', '--window', '30d'], { ATLAS_DATA_DIR: tmp.dir }, ROOT, NOW, QUICK_CHECK_REUSE_MS);
    expect(early).toHaveLength(2);
    const kept = memory();
    const items = await quickCheckItems(stores, NOW, kept);
    expect(items[1]).toMatchObject({ key: 'integrity:metrics.db', level: 'crit' });
    expect(items[1]?.detail).toMatch(/^quick_check: \d+\+? problems?, first: .*page/);
    // The check health used is the one started early (one read of the file, not two).
    expect(kept.kept.get(stores.metrics.file)?.result).toBe(await early[1]);
    expect(kept.kept.get(stores.persistence.file)?.result).toBe(await early[0]);
  });

  it('are stopped when health reuses a result kept within the minute', async () => {
    const early = startQuickChecksEarly(['health'], { ATLAS_DATA_DIR: tmp.dir }, ROOT, NOW, QUICK_CHECK_REUSE_MS);
    expect(early).toHaveLength(2);
    const ok = (file: string): IntegrityResult => ({ file, label: path.basename(file), mode: 'quick', ok: true, problems: [], truncated: false, durationMs: 7, problem: null });
    const at = new Date(NOW.getTime() - 10_000);
    const kept = memory(new Map([stores.persistence.file, stores.metrics.file].map((f) => [f, { at, result: ok(f) }])));
    const items = await quickCheckItems(stores, NOW, kept);
    expect(items.map((i) => i.detail)).toEqual(['quick_check ok (7 ms) (as of 11:59:50 UTC)', 'quick_check ok (7 ms) (as of 11:59:50 UTC)']);
    // Not needed, so not left to read the files: their workers were stopped.
    for (const check of early) await expect(check).rejects.toThrow(/stopped/);
  });

  it('are not started beside a bot that checked within the minute (chatops.db), nor for other commands', async () => {
    expect(startQuickChecksEarly(['errors', '--window', '30d'], { ATLAS_DATA_DIR: tmp.dir }, ROOT, NOW, QUICK_CHECK_REUSE_MS)).toEqual([]);
    const state = openStateStore(path.join(tmp.dir, 'chatops.db'));
    try {
      const at = new Date(NOW.getTime() - 30_000);
      await quickCheckItems(stores, at, state.integrityChecks);
      expect(startQuickChecksEarly(['health'], { ATLAS_DATA_DIR: tmp.dir }, ROOT, NOW, QUICK_CHECK_REUSE_MS)).toEqual([]);
      // A minute later the kept result is too old for health: the checks start early again.
      const later = startQuickChecksEarly(['health'], { ATLAS_DATA_DIR: tmp.dir }, ROOT, new Date(at.getTime() + QUICK_CHECK_REUSE_MS), QUICK_CHECK_REUSE_MS);
      expect(later).toHaveLength(2);
      expect((await Promise.all(later)).map((r) => r.ok)).toEqual([true, true]);
    } finally {
      await state.close();
    }
  });

  it('the atlas command reports a corrupt metrics.db with the head start', async () => {
    corruptMetrics();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/atlas.ts'), 'health', '--json'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ATLAS_DATA_DIR: tmp.dir, USER: 'ann' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(err).toBe('');
    expect(code).toBe(2);
    const answer = JSON.parse(out) as { command: string; data: { items: { key: string; level: string }[] } };
    expect(answer.command).toBe('health');
    expect(answer.data.items.find((i) => i.key === 'integrity:metrics.db')?.level).toBe('crit');
  });
});
