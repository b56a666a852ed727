import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { classifySqliteError, DbProblemError, type DbProblem } from './sqlite-problem.js';

/** Table name -> its column names, read from the live file. */
export type LiveSchema = Map<string, Set<string>>;

/** Tables and columns a check needs: `{ metrics: ['type', 'recorded_at'] }`. */
export type SchemaNeeds = Record<string, readonly string[]>;

/**
 * One of the service's databases (persistence.db, metrics.db), opened read-only.
 * It never creates a missing file, never writes, and reopens when the file is replaced
 * (a restore from backup), so the bot does not have to restart.
 */
export class AtlasDatabase {
  private db: Database.Database | null = null;
  private schema: LiveSchema | null = null;
  private openedIdentity = '';
  private checkedAt = -Infinity;

  constructor(
    readonly file: string,
    /** Short name for messages: "metrics.db". */
    readonly label = path.basename(file),
    /**
     * How long a read waits for a writer's lock. Kept short: better-sqlite3 is synchronous,
     * so waiting here blocks every other request.
     */
    private readonly busyTimeoutMs = 200,
    /** How often an open file is checked for having been removed or replaced (two stat calls). */
    private readonly recheckMs = 1000,
  ) {}

  exists(): boolean {
    return existsSync(this.file);
  }

  /** File size plus its -wal, in bytes; null when the file is missing. */
  sizeBytes(): { db: number; wal: number } | null {
    if (!this.exists()) return null;
    const wal = `${this.file}-wal`;
    return { db: statSync(this.file).size, wal: existsSync(wal) ? statSync(wal).size : 0 };
  }

  private identity(): string {
    const s = statSync(this.file);
    return `${s.ino}:${s.dev}`;
  }

  /** The open connection, or a DbProblemError naming what is wrong. */
  connection(): Database.Database {
    const now = performance.now();
    if (this.db && now - this.checkedAt < this.recheckMs) return this.db;
    this.checkedAt = now;
    if (!this.exists()) {
      this.close();
      throw new DbProblemError({
        kind: 'missing',
        message: `${this.label} not found at ${this.file}; check ATLAS_DATA_DIR.`,
      });
    }
    if (this.db && this.openedIdentity !== this.identity()) this.close();
    if (!this.db) {
      try {
        const db = new Database(this.file, { readonly: true, fileMustExist: true });
        db.pragma(`busy_timeout = ${Math.max(0, Math.floor(this.busyTimeoutMs))}`);
        // Reading the schema is the first real read: a file that is not a database fails here.
        this.schema = readSchema(db);
        this.db = db;
        this.openedIdentity = this.identity();
      } catch (err) {
        throw this.toProblemError(err);
      }
    }
    return this.db;
  }

  /** Runs a read, turning lock and corruption errors into a DbProblemError. */
  read<T>(fn: (db: Database.Database) => T): T {
    const db = this.connection();
    try {
      return fn(db);
    } catch (err) {
      throw this.toProblemError(err);
    }
  }

  liveSchema(): LiveSchema {
    this.connection();
    return this.schema ?? new Map();
  }

  /** Names of the tables/columns in `needs` that the live file lacks ("alerts.severity"). */
  missing(needs: SchemaNeeds): string[] {
    const schema = this.liveSchema();
    const out: string[] = [];
    for (const [table, columns] of Object.entries(needs)) {
      const have = schema.get(table);
      if (!have) {
        out.push(table);
        continue;
      }
      for (const c of columns) if (!have.has(c)) out.push(`${table}.${c}`);
    }
    return out;
  }

  hasColumn(table: string, column: string): boolean {
    return this.liveSchema().get(table)?.has(column) ?? false;
  }

  /** Checks the file without throwing: null when it opens and reads. */
  problem(): DbProblem | null {
    try {
      this.connection();
      return null;
    } catch (err) {
      if (err instanceof DbProblemError) return err.problem;
      throw err;
    }
  }

  close(): void {
    this.db?.close();
    this.db = null;
    this.schema = null;
  }

  private toProblemError(err: unknown): Error {
    if (err instanceof DbProblemError) return err;
    const problem = classifySqliteError(err, this.label);
    if (problem) {
      if (problem.kind === 'corrupt') this.close();
      return new DbProblemError(problem);
    }
    return err instanceof Error ? err : new Error(String(err));
  }
}

function readSchema(db: Database.Database): LiveSchema {
  const schema: LiveSchema = new Map();
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type IN ('table','view') AND name NOT LIKE 'sqlite_%'")
    .all() as { name: string }[];
  for (const { name } of tables) {
    const cols = db.prepare('SELECT name FROM pragma_table_info(?)').all(name) as { name: string }[];
    schema.set(name, new Set(cols.map((c) => c.name)));
  }
  return schema;
}

/** The service's data directory: the two databases, the jobs folder and the backups. */
export interface AtlasStores {
  dataDir: string;
  persistence: AtlasDatabase;
  metrics: AtlasDatabase;
  jobsDir: string;
  backupsDir: string;
  close(): void;
}

export function openAtlasStores(dataDir: string): AtlasStores {
  const persistence = new AtlasDatabase(path.join(dataDir, 'persistence.db'));
  const metrics = new AtlasDatabase(path.join(dataDir, 'metrics.db'));
  return {
    dataDir,
    persistence,
    metrics,
    jobsDir: path.join(dataDir, 'jobs'),
    backupsDir: path.join(dataDir, 'backups'),
    close() {
      persistence.close();
      metrics.close();
    },
  };
}
