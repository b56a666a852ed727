import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { STATE_MIGRATIONS } from './state-migrations.js';

export type StateDb = Database.Database;

/**
 * Opens (creating if needed) the bot's own chatops.db and brings it to the newest schema.
 * Each migration runs in its own transaction with `user_version`, so a crash leaves the file
 * at a whole version.
 */
export function openStateDb(file: string, migrations: readonly string[] = STATE_MIGRATIONS): StateDb {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // WAL with NORMAL survives a crash of the bot intact; only an OS crash can lose the newest
  // commits. FULL would fsync on every audit row, stalling every request behind the disk.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 2000');
  db.pragma('foreign_keys = ON');
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    db.close();
    throw new Error(
      `${file} is at schema version ${current}, newer than this bot knows (${migrations.length}); run a newer bot or restore a backup.`,
    );
  }
  for (let version = current + 1; version <= migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version - 1]!);
      db.pragma(`user_version = ${version}`);
    })();
  }
  return db;
}
