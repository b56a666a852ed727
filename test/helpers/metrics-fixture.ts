import path from 'node:path';
import type Database from 'better-sqlite3';
import { AtlasDatabase } from '../../src/db/atlas-database.js';
import { toSqlTime } from '../../src/time/atlas-time.js';
import { createAtlasFiles, tempDir } from './test-deps.js';

/** A metrics.db with the service's schema in a fresh directory, a writer to seed it and the bot's reader. */
export interface MetricsFixture {
  /** The data directory holding metrics.db (and an empty persistence.db). */
  dir: string;
  /** A read-write connection to metrics.db for seeding rows; a test may close it itself. */
  writer: Database.Database;
  /** The read-only AtlasDatabase over the same metrics.db, as the checks open it. */
  atlas: AtlasDatabase;
  /** Closes atlas, closes the writer if it is still open, and removes the directory. */
  close(): void;
}

export function openMetricsFixture(): MetricsFixture {
  const tmp = tempDir();
  const files = createAtlasFiles(tmp.dir);
  files.persistence.close();
  const writer = files.metrics;
  // Fixture speed only; the journal mode (and so the locking) stays the service's.
  writer.pragma('synchronous = OFF');
  const atlas = new AtlasDatabase(path.join(tmp.dir, 'metrics.db'));
  return {
    dir: tmp.dir,
    writer,
    atlas,
    close() {
      atlas.close();
      if (writer.open) writer.close();
      tmp.cleanup();
    },
  };
}

/** The three formats the service writes a time in: SQL datetime, ISO with ms, ISO without ms. */
export function formatsOf(d: Date): string[] {
  return [toSqlTime(d), d.toISOString(), `${d.toISOString().slice(0, 19)}Z`];
}
