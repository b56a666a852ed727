import { closeSync, openSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';

/**
 * A real SQLite file with a table and an index, `rows` rows of ~80 bytes each, in rollback-journal
 * mode (so a writer's lock blocks readers, which the lock test needs).
 */
export function buildDatabase(file: string, rows = 3000): void {
  const db = new Database(file);
  db.pragma('journal_mode = DELETE');
  db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL); CREATE INDEX t_v ON t(v);');
  const insert = db.prepare('INSERT INTO t(v) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(`value-${i}-${'x'.repeat(60)}`);
  })();
  db.close();
}

/** Writes garbage into the middle of the given pages (never page 1, so the file still opens). */
export function corruptPages(file: string, pages: readonly number[], pageSize = 4096): void {
  const fd = openSync(file, 'r+');
  try {
    const garbage = Buffer.alloc(1000, 0xa5);
    for (const p of pages) writeSync(fd, garbage, 0, garbage.length, (p - 1) * pageSize + 1000);
  } finally {
    closeSync(fd);
  }
}
