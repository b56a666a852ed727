import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config.js';
import { backupHealthItem, newestBackup } from '../../src/checks/backups.js';
import { tempDir } from '../helpers/test-deps.js';
import { NOW } from './data-fixtures.js';

let dir: string;
let backupsDir: string;
let cleanup: () => void;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  backupsDir = path.join(dir, 'backups');
});

afterEach(() => cleanup());

function backup(name: string, hoursAgo: number, bytes = 1024): void {
  const file = path.join(backupsDir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, Buffer.alloc(bytes, 1));
  const t = new Date(NOW.getTime() - hoursAgo * 3_600_000);
  utimesSync(file, t, t);
}

const thresholds = () => buildConfig(dir).thresholds;

describe('newestBackup', () => {
  it('finds the newest file by modification time, also in subfolders', async () => {
    backup('persistence-2026-11-24.db', 50);
    backup('daily/persistence-2026-11-26.db', 3, 2048);
    backup('persistence-2026-11-25.db', 27);
    expect(await newestBackup(backupsDir, NOW)).toEqual({
      kind: 'found',
      dir: backupsDir,
      name: 'daily/persistence-2026-11-26.db',
      modifiedAt: new Date(NOW.getTime() - 3 * 3_600_000).toISOString(),
      ageMs: 3 * 3_600_000,
      sizeBytes: 2048,
      files: 3,
    });
  });

  it('tells a missing folder from an empty one', async () => {
    expect(await newestBackup(backupsDir, NOW)).toEqual({ kind: 'no-folder', dir: backupsDir });
    mkdirSync(path.join(backupsDir, 'daily'), { recursive: true });
    expect(await newestBackup(backupsDir, NOW)).toEqual({ kind: 'empty', dir: backupsDir });
  });

  it('says when backups/ is not a folder', async () => {
    writeFileSync(backupsDir, 'oops');
    const status = await newestBackup(backupsDir, NOW);
    expect(status).toMatchObject({ kind: 'unreadable' });
    const item = await backupHealthItem(backupsDir, NOW, thresholds());
    expect(item).toMatchObject({ key: 'backup', level: 'unknown' });
    expect(item.detail).toContain('is not a folder');
  });
});

describe('backupHealthItem', () => {
  it('is ok for a backup younger than backupMaxAgeHours', async () => {
    backup('persistence.db.bak', 20, 3 * 1024 * 1024);
    const item = await backupHealthItem(backupsDir, NOW, thresholds());
    expect(item).toMatchObject({ key: 'backup', level: 'ok', value: 20, unit: 'h', target: '≤ 48 h', alert: '> 48 h' });
    expect(item.detail).toBe('persistence.db.bak, 20 h old, 3.0 MB');
  });

  it('warns when the newest backup is older than backupMaxAgeHours', async () => {
    backup('persistence.db.bak', 49);
    const item = await backupHealthItem(backupsDir, NOW, thresholds());
    expect(item).toMatchObject({ level: 'warn', value: 49 });
    expect(item.detail).toContain('2 d 1 h old');
    const lenient = await backupHealthItem(backupsDir, NOW, buildConfig(dir, { thresholds: { backupMaxAgeHours: 72 } }).thresholds);
    expect(lenient.level).toBe('ok');
  });

  it('warns when there is no folder, no file, or the newest file is empty', async () => {
    expect(await backupHealthItem(backupsDir, NOW, thresholds())).toMatchObject({ level: 'warn', value: null });
    mkdirSync(backupsDir);
    const empty = await backupHealthItem(backupsDir, NOW, thresholds());
    expect(empty).toMatchObject({ level: 'warn', value: null });
    expect(empty.detail).toContain('no backup files');
    backup('persistence.db.bak', 1, 0);
    const zero = await backupHealthItem(backupsDir, NOW, thresholds());
    expect(zero.level).toBe('warn');
    expect(zero.detail).toContain('(EMPTY file)');
  });
});
