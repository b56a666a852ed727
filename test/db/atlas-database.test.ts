import { existsSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtlasDatabase } from '../../src/db/atlas-database.js';
import { DbProblemError } from '../../src/db/sqlite-problem.js';
import { METRICS_DDL } from '../../src/demo/atlas-schema.js';
import { tempDir } from '../helpers/test-deps.js';

function problemOf(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    if (err instanceof DbProblemError) return err.problem;
    throw err;
  }
  return null;
}

describe('AtlasDatabase', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  function metricsFile(name = 'metrics.db', rows = 1) {
    const file = path.join(dir, name);
    const db = new Database(file);
    db.exec(METRICS_DDL);
    for (let i = 0; i < rows; i++) db.prepare("INSERT INTO metrics (type, value, labels_json) VALUES ('health_check', 1, '{}')").run();
    db.close();
    return file;
  }

  it('never creates a missing file, and says where it looked', () => {
    const file = path.join(dir, 'metrics.db');
    const db = new AtlasDatabase(file);
    expect(problemOf(() => db.connection())).toMatchObject({ kind: 'missing', message: expect.stringContaining(file) });
    expect(existsSync(file)).toBe(false);
  });

  it('names a file that is not a database as corrupt', () => {
    const file = path.join(dir, 'metrics.db');
    writeFileSync(file, 'this is not SQLite '.repeat(500));
    expect(new AtlasDatabase(file).problem()).toMatchObject({ kind: 'corrupt' });
  });

  it('answers locked while a writer holds the lock, and reads again after', () => {
    const file = metricsFile();
    const db = new AtlasDatabase(file, 'metrics.db', 50);
    const writer = new Database(file);
    writer.exec('BEGIN EXCLUSIVE');
    expect(problemOf(() => db.read((c) => c.prepare('SELECT COUNT(*) AS n FROM metrics').get()))).toMatchObject({ kind: 'locked' });
    writer.exec('COMMIT');
    expect(db.read((c) => c.prepare('SELECT COUNT(*) AS n FROM metrics').get())).toEqual({ n: 1 });
    writer.close();
    db.close();
  });

  it('reports the tables and columns the live file lacks', () => {
    const file = path.join(dir, 'metrics.db');
    const raw = new Database(file);
    raw.exec('CREATE TABLE metrics (id INTEGER PRIMARY KEY, type TEXT, value REAL)');
    raw.close();
    const db = new AtlasDatabase(file);
    expect(db.missing({ metrics: ['type', 'recorded_at'], alerts: ['name'] })).toEqual(['metrics.recorded_at', 'alerts']);
    expect(db.hasColumn('metrics', 'value')).toBe(true);
    db.close();
  });

  it('reopens a file replaced under it (a restore from backup)', () => {
    const file = metricsFile('metrics.db', 1);
    const db = new AtlasDatabase(file, 'metrics.db', 200, 0);
    const count = () => db.read((c) => (c.prepare('SELECT COUNT(*) AS n FROM metrics').get() as { n: number }).n);
    expect(count()).toBe(1);
    renameSync(metricsFile('restored.db', 3), file);
    expect(count()).toBe(3);
    db.close();
  });

  it('opens read-only: a write through its connection fails', () => {
    const db = new AtlasDatabase(metricsFile());
    expect(() => db.read((c) => c.exec("INSERT INTO metrics (type, value, labels_json) VALUES ('x', 1, '{}')"))).toThrow(/readonly/i);
    db.close();
  });
});
