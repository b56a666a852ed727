import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * A ~1 GB SQLite file for timing acknowledgements while `PRAGMA integrity_check` reads every
 * page: three million rows of random text and blobs with three indexes (shaped like a busy
 * persistence.db rather than one big blob table, so the check takes long), built by SQLite
 * itself (no JavaScript per row) and cached under bench-data/.
 */

export interface BigDatabaseFile {
  file: string;
  bytes: number;
  rows: number;
  action: 'built' | 'reused';
  ms: number;
}

/** Small rows and three indexes: integrity_check cross-checks every index entry, which is where its time goes. */
const BLOB_BYTES = 160;
/** Bytes of file per row, measured (row, page overhead and the three indexes). */
const FILE_BYTES_PER_ROW = 306;

export function ensureBigDatabase(benchDir: string, opts: { targetBytes?: number; log?: (line: string) => void } = {}): BigDatabaseFile {
  const targetBytes = opts.targetBytes ?? 1_000_000_000;
  const log = opts.log ?? (() => {});
  mkdirSync(benchDir, { recursive: true });
  const file = path.join(benchDir, `integrity-${Math.round(targetBytes / 1e6)}mb.db`);
  const started = performance.now();
  // A cached file counts when it is at least 90 % of the target and opens as a database.
  if (existsSync(file) && statSync(file).size >= targetBytes * 0.9) {
    try {
      const db = new Database(file, { readonly: true, fileMustExist: true });
      try {
        const { n } = db.prepare('SELECT MAX(id) AS n FROM payload').get() as { n: number };
        return { file, bytes: statSync(file).size, rows: n, action: 'reused', ms: performance.now() - started };
      } finally {
        db.close();
      }
    } catch {
      // Not a usable cache: rebuild below.
    }
  }

  const rows = Math.ceil(targetBytes / FILE_BYTES_PER_ROW);
  log(`building ${path.basename(file)}: ${rows.toLocaleString('en-US')} rows, about ${Math.round(targetBytes / 1e6)} MB (tens of seconds)`);
  const tmp = `${file}.tmp`;
  rmSync(tmp, { force: true });
  const db = new Database(tmp);
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    db.exec('CREATE TABLE payload (id INTEGER PRIMARY KEY, k TEXT NOT NULL, grp INTEGER NOT NULL, note TEXT NOT NULL, body BLOB NOT NULL)');
    const fill = db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO payload (k, grp, note, body)
       SELECT lower(hex(randomblob(16))), abs(random()) % 1000, 'row ' || (? + i), randomblob(?) FROM n`,
    );
    const batch = 200_000;
    for (let done = 0; done < rows; done += batch) fill.run(Math.min(batch, rows - done), done, BLOB_BYTES);
    db.exec('CREATE INDEX idx_payload_k ON payload(k)');
    db.exec('CREATE INDEX idx_payload_grp ON payload(grp, id)');
    db.exec('CREATE INDEX idx_payload_note ON payload(note)');
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
  rmSync(file, { force: true });
  renameSync(tmp, file);
  return { file, bytes: statSync(file).size, rows, action: 'built', ms: performance.now() - started };
}
