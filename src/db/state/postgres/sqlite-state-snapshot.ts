/**
 * chatops.db opened read-only and held at one moment: a read transaction (WAL) sees the file as
 * it was at its first read, while a running bot may go on writing. Table-generic: the tables and
 * their columns come from the file itself, so a copy carries every table whatever its name.
 */
import Database from 'better-sqlite3';

export interface SnapshotTable {
  name: string;
  /** Its columns in declaration order. */
  columns: string[];
  rows: number;
}

/** A cell as PostgreSQL is given it: integers beyond 2^53 as decimal text, blobs as Buffers. */
export type Cell = string | number | Buffer | null;

export interface StateSnapshot {
  /** For reads in the snapshot (the audit verification); closed by `close`. */
  db: Database.Database;
  /** PRAGMA user_version: the chatops.db schema version. */
  schemaVersion: number;
  /** Every table but SQLite's own (sqlite_sequence, sqlite_stat*), by name. */
  tables: SnapshotTable[];
  /** The highest id each AUTOINCREMENT table has handed out (sqlite_sequence): ids are never reused. */
  handedOut: Map<string, number>;
  /** The first few rows whose references point nowhere (PRAGMA foreign_key_check). */
  danglingReferences: { table: string; rowid: number; parent: string }[];
  /** The rows of `table`, `batch` at a time, in rowid order, cells in `columns` order. */
  batches(table: SnapshotTable, batch: number): Generator<Cell[][]>;
  close(): void;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

function cell(value: unknown): Cell {
  if (typeof value === 'bigint') return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  return value as Cell;
}

/** Opens `file` read-only (it must exist) and starts the snapshot. */
export function openStateSnapshot(file: string): StateSnapshot {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.exec('BEGIN');
    const schemaVersion = db.pragma('user_version', { simple: true }) as number;
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").pluck().all() as string[];
    const count = (name: string) => db.prepare(`SELECT COUNT(*) FROM ${quote(name)}`).pluck().get() as number;
    const tables = names.map((name) => ({
      name,
      columns: (db.prepare(`PRAGMA table_info(${quote(name)})`).all() as { name: string }[]).map((c) => c.name),
      rows: count(name),
    }));
    const hasSequence = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").get() !== undefined;
    const handedOut = new Map<string, number>(
      hasSequence ? (db.prepare('SELECT name, seq FROM sqlite_sequence').raw().all() as [string, number][]) : [],
    );
    const danglingReferences = (db.prepare('PRAGMA foreign_key_check').all() as { table: string; rowid: number; parent: string }[]).slice(0, 5);
    return {
      db,
      schemaVersion,
      tables,
      handedOut,
      danglingReferences,
      *batches(table, batch) {
        const select = db
          .prepare(`SELECT rowid, ${table.columns.map(quote).join(', ')} FROM ${quote(table.name)} WHERE rowid > ? ORDER BY rowid LIMIT ?`)
          .raw(true)
          .safeIntegers(true);
        // Below any rowid SQLite hands out (its smallest, -2^63, is never chosen by itself).
        let after = -9223372036854775808n;
        for (;;) {
          const rows = select.all(after, batch) as unknown[][];
          if (rows.length === 0) return;
          after = rows[rows.length - 1]![0] as bigint;
          yield rows.map((r) => r.slice(1).map(cell));
        }
      },
      close() {
        if (db.inTransaction) db.exec('COMMIT');
        db.close();
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}
