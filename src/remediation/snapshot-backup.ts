/**
 * The room `snapshot rollback`'s preview needs for its backup (taken by the shared engine,
 * backup-take.ts, when the rollback is confirmed), measured synchronously with the plan.
 */
import { existsSync, statfsSync } from 'node:fs';
import path from 'node:path';
import type { AtlasDatabase } from '../db/atlas-database.js';

/** What a backup of `database` needs (the file and its WAL) and what is free where it goes. */
export function backupSpace(database: AtlasDatabase, backupsDir: string): { needBytes: number; freeBytes: number } {
  const size = database.sizeBytes();
  // The backups folder may not exist yet: it is made next to the database.
  const where = existsSync(backupsDir) ? backupsDir : path.dirname(database.file);
  const fs = statfsSync(where);
  return { needBytes: size ? size.db + size.wal : 0, freeBytes: Number(fs.bavail) * Number(fs.bsize) };
}

