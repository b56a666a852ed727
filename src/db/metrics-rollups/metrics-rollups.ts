/**
 * Incremental rollups of metrics.db's `metrics` table, kept in the bot's own file
 * (metrics-rollups.db): per metric type, labels_json text and five-minute bucket, the rows'
 * count, sum, min and max. Before every question the rollups catch up from the last row read
 * (the high-water mark on metrics.id, advanced in the same transaction as the rows it
 * covers), notice a replaced metrics.db (restore) and the service's retention deletes, and are
 * then read for the whole buckets of a window; the window's edges are read from the raw rows
 * (src/checks/metric-window.ts). Rows whose recorded_at is not in one of the three formats are
 * kept verbatim in odd_rows and read with the raw queries, so every answer equals the raw one.
 */
import type Database from 'better-sqlite3';
import { windowRanges } from '../../time/atlas-time.js';
import { fingerprintOf } from '../fingerprint.js';
import { emptyRollups, fileIdentity, openRollupFile, removeRollupFile } from './rollup-file.js';
import { BUCKET_KEY_SQL, BUCKET_MS, bucketOfKey, BUCKETS_PER_DAY, DAY_KEY_SQL, DAY_MS, HISTOGRAM_TYPES } from './rollup-schema.js';

/**
 * Rows of metrics.db aggregated per transaction. The service writes metrics.db in rollback-
 * journal mode, so each read holds off its writers while it runs (they wait up to 5 s): 50,000
 * rows is a read of a few tenths of a second, and the other process catching up waits as little.
 */
export const CATCH_UP_CHUNK_ROWS = 50_000;

/** count, sum, min, max of a set of rows (min/max null when empty). */
export interface RollupAggregate {
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
}

/** What the rollups say about whole buckets [b0, b1) (bucket = epoch ms / BUCKET_MS). */
export interface RollupReader {
  readonly bucketMs: number;
  /** The connection and table holding the odd-format rows, read with the raw row queries. */
  readonly oddDb: Database.Database;
  readonly oddTable: 'odd_rows';
  aggregates(types: readonly string[], b0: number, b1: number): Map<string, RollupAggregate>;
  labelGroups(type: string, b0: number, b1: number): { labelsJson: unknown; count: number; sum: number }[];
  /** Per type, over all labels. */
  typeTotals(b0: number, b1: number): Map<string, RollupAggregate>;
  /** Whether whole days of this type's values are kept (topValues answers for it). */
  hasValues(type: string): boolean;
  /** The k largest values of one type over whole UTC days [d0, d1), largest first (rows in the three formats only). */
  topValues(type: string, d0: number, d1: number, k: number): number[];
}

/** How a catch-up went, for the caller's decision and the benchmark's report. */
export interface CatchUpResult {
  /** The rollups cover every row of metrics.db up to highWaterId; false when the budget ran out first. */
  ready: boolean;
  highWaterId: number;
  rowsRead: number;
  /** Why the file was emptied first, when it was ('metrics.db was replaced', ...). */
  rebuilt: string | null;
  /** Days recomputed because rows went missing from metrics.db (retention). */
  daysRecomputed: number;
  /** Rows of metrics.db the rollups have not read yet (0 when ready). */
  rowsBehind: number;
}

type Row = Record<string, unknown>;

/** A read of the rollup file failed: the answer is read from metrics.db's rows instead. */
export class RollupReadError extends Error {
  override name = 'RollupReadError';
  constructor(readonly reason: unknown) {
    super(`reading the metrics rollups failed: ${reason instanceof Error ? reason.message : String(reason)}`);
  }
}

function addAggregates(a: RollupAggregate, b: RollupAggregate): RollupAggregate {
  return {
    count: a.count + b.count,
    sum: a.sum + b.sum,
    min: a.min === null ? b.min : b.min === null ? a.min : Math.min(a.min, b.min),
    max: a.max === null ? b.max : b.max === null ? a.max : Math.max(a.max, b.max),
  };
}

/** Whole UTC days [d0, d1) inside buckets [b0, b1), and the bucket ranges left at either side. */
function splitDays(b0: number, b1: number): { days: [number, number] | null; buckets: [number, number][] } {
  const d0 = Math.ceil(b0 / BUCKETS_PER_DAY);
  const d1 = Math.floor(b1 / BUCKETS_PER_DAY);
  if (d0 >= d1) return { days: null, buckets: [[b0, b1]] };
  const buckets: [number, number][] = [];
  if (b0 < d0 * BUCKETS_PER_DAY) buckets.push([b0, d0 * BUCKETS_PER_DAY]);
  if (d1 * BUCKETS_PER_DAY < b1) buckets.push([d1 * BUCKETS_PER_DAY, b1]);
  return { days: [d0, d1], buckets };
}

const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0);
const numOrNull = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null);

/** The raw query behind a bucket group: one statement per connection, from the rollup SQL. */
const GROUPS_SQL = `SELECT type, labels_json, ${BUCKET_KEY_SQL} AS k, COUNT(*) AS n, SUM(value) AS sum, MIN(value) AS min, MAX(value) AS max
  FROM metrics WHERE id > ? AND id <= ? GROUP BY 1, 2, 3`;
const DAY_GROUPS_SQL = `SELECT type, labels_json, ${BUCKET_KEY_SQL} AS k, COUNT(*) AS n, SUM(value) AS sum, MIN(value) AS min, MAX(value) AS max
  FROM metrics WHERE recorded_at >= ? AND recorded_at < ? AND id <= ? GROUP BY 1, 2, 3`;
const ODD_ROWS_SQL = `SELECT id, type, value, labels_json, recorded_at FROM metrics WHERE id > ? AND id <= ? AND (${BUCKET_KEY_SQL}) IS ?`;
const DAY_ODD_ROWS_SQL = `SELECT id, type, value, labels_json, recorded_at FROM metrics WHERE recorded_at >= ? AND recorded_at < ? AND id <= ? AND (${BUCKET_KEY_SQL}) IS ?`;
const HISTOGRAM_IN = `type IN (${HISTOGRAM_TYPES.map((t) => `'${t}'`).join(', ')})`;
const VALUES_SQL = `SELECT type, ${DAY_KEY_SQL} AS k, value, COUNT(*) AS n FROM metrics WHERE id > ? AND id <= ? AND ${HISTOGRAM_IN} GROUP BY 1, 2, 3`;
const DAY_VALUES_SQL = `SELECT type, ${DAY_KEY_SQL} AS k, value, COUNT(*) AS n FROM metrics WHERE recorded_at >= ? AND recorded_at < ? AND id <= ? AND ${HISTOGRAM_IN} GROUP BY 1, 2, 3`;
const RANGE_COUNT_SQL = 'SELECT COUNT(*) AS n FROM metrics WHERE recorded_at >= ? AND recorded_at < ? AND id <= ?';

interface Group {
  type: unknown;
  labels: unknown;
  key: unknown;
  n: number;
  sum: number;
  min: number | null;
  max: number | null;
}

function groupOf(r: Row): Group {
  return { type: r.type, labels: r.labels_json, key: r.k, n: num(r.n), sum: num(r.sum), min: numOrNull(r.min), max: numOrNull(r.max) };
}

function anchorOf(metrics: Database.Database, upTo: number): string | null {
  const row = metrics.prepare('SELECT id, type, value, labels_json, recorded_at FROM metrics WHERE id <= ? ORDER BY id DESC LIMIT 1').get(upTo);
  return row ? fingerprintOf(row) : null;
}

/**
 * One rollup file, opened on first use. Not shared between threads: each metrics reader worker
 * keeps its own, and SQLite's locks keep two catching up at once from counting a row twice.
 */
export class MetricsRollups {
  private db: Database.Database | null = null;
  private openedIdentity: string | null = null;

  constructor(
    readonly file: string,
    /** Rows per catch-up transaction; tests make it small to interleave two processes. */
    private readonly chunkRows = CATCH_UP_CHUNK_ROWS,
  ) {}

  close(): void {
    this.db?.close();
    this.db = null;
  }

  private connection(): Database.Database {
    // Another process may have deleted and rebuilt a damaged file: follow it.
    if (this.db && fileIdentity(this.file) !== this.openedIdentity) this.close();
    if (!this.db) {
      this.db = openRollupFile(this.file);
      this.openedIdentity = fileIdentity(this.file);
    }
    return this.db;
  }

  /**
   * Brings the rollups up to the newest row of `metrics` (an open read connection of
   * metrics.db): first checks that they still describe this metrics.db, then reads new rows in
   * chunks, each committed with its high-water mark, then makes the oldest days agree with
   * what retention left. Stops between chunks once `budgetMs` has passed (ready: false), and
   * reads nothing when more than `maxRows` rows are new (ready: false, rowsBehind says how
   * many): a first build is left to a background process (background-build.ts), not a question.
   */
  catchUp(
    metrics: Database.Database,
    budgetMs = Number.POSITIVE_INFINITY,
    now: () => number = () => performance.now(),
    maxRows = Number.POSITIVE_INFINITY,
  ): CatchUpResult {
    const started = now();
    let db: Database.Database;
    try {
      db = this.connection();
    } catch (err) {
      // A damaged file is removed and rebuilt by openRollupFile; a second failure is the file system's.
      this.close();
      throw err;
    }
    try {
      const rebuilt = db.transaction(() => this.checkIdentity(db, metrics)).immediate();
      const target = num((metrics.prepare('SELECT MAX(id) AS id FROM metrics').get() as Row | undefined)?.id);
      let rowsRead = 0;
      let hw = this.highWater(db);
      if (target - hw > maxRows) return { ready: false, highWaterId: hw, rowsRead, rebuilt, daysRecomputed: 0, rowsBehind: target - hw };
      while (hw < target) {
        if (rowsRead > 0 && now() - started >= budgetMs) return { ready: false, highWaterId: hw, rowsRead, rebuilt, daysRecomputed: 0, rowsBehind: target - hw };
        const chunk = db.transaction(() => this.catchUpChunk(db, metrics, target)).immediate();
        rowsRead += chunk.rows;
        hw = chunk.highWater;
      }
      const daysRecomputed = this.followRetention(db, metrics);
      return { ready: true, highWaterId: hw, rowsRead, rebuilt, daysRecomputed, rowsBehind: 0 };
    } catch (err) {
      // A page the quick check missed: next time the file is rebuilt, this time the raw rows answer.
      if (/SQLITE_CORRUPT|SQLITE_NOTADB/.test(String((err as { code?: unknown }).code))) {
        this.close();
        removeRollupFile(this.file);
      }
      throw err;
    }
  }

  private highWater(db: Database.Database): number {
    return num((db.prepare("SELECT value FROM meta WHERE key = 'high_water_id'").get() as Row | undefined)?.value);
  }

  /**
   * The rollups describe this metrics.db while the row at their high-water mark is still there
   * unchanged: a restore from a backup (fewer rows, or other rows under the same ids) or
   * another metrics.db fails the check, and the file is emptied to be built again.
   */
  private checkIdentity(db: Database.Database, metrics: Database.Database): string | null {
    const hw = this.highWater(db);
    if (hw === 0) return null;
    const anchor = (db.prepare("SELECT value FROM meta WHERE key = 'anchor'").get() as Row | undefined)?.value ?? null;
    const maxId = num((metrics.prepare('SELECT MAX(id) AS id FROM metrics').get() as Row | undefined)?.id);
    let why: string | null = null;
    if (maxId < hw) why = `metrics.db has fewer rows than the rollups have read (newest id ${maxId} < ${hw})`;
    else if (anchorOf(metrics, hw) !== anchor) why = 'metrics.db is not the file the rollups were built from';
    if (why) emptyRollups(db);
    return why;
  }

  private catchUpChunk(db: Database.Database, metrics: Database.Database, target: number): { rows: number; highWater: number } {
    const lo = this.highWater(db);
    if (lo >= target) return { rows: 0, highWater: lo };
    const hi = Math.min(target, lo + this.chunkRows);
    const groups = (metrics.prepare(GROUPS_SQL).all(lo, hi) as Row[]).map(groupOf);
    const rows = this.store(db, groups, (key) => metrics.prepare(ODD_ROWS_SQL).all(lo, hi, key) as Row[]);
    this.storeValues(db, metrics.prepare(VALUES_SQL).all(lo, hi) as Row[]);
    db.prepare("UPDATE meta SET value = ? WHERE key = 'high_water_id'").run(hi);
    db.prepare("UPDATE meta SET value = ? WHERE key = 'anchor'").run(anchorOf(metrics, hi));
    return { rows, highWater: hi };
  }

  /** Adds groups to buckets, days and types; the rows of odd groups are copied into odd_rows. */
  private store(db: Database.Database, groups: readonly Group[], oddRows: (key: unknown) => Row[]): number {
    const upsert = db.prepare(`INSERT INTO buckets (type, bucket, labels_json, n, sum, min, max) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (type, bucket, labels_json) DO UPDATE SET n = n + excluded.n, sum = sum + excluded.sum,
        min = min(min, excluded.min), max = max(max, excluded.max)`);
    const upsertDay = db.prepare(`INSERT INTO day_groups (type, day, labels_json, n, sum, min, max) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (type, day, labels_json) DO UPDATE SET n = n + excluded.n, sum = sum + excluded.sum,
        min = min(min, excluded.min), max = max(max, excluded.max)`);
    const addDay = db.prepare('INSERT INTO days (day, n) VALUES (?, ?) ON CONFLICT (day) DO UPDATE SET n = n + excluded.n');
    const dayGroups = new Map<string, { type: unknown; day: number; labels: unknown; agg: RollupAggregate }>();
    const addType = db.prepare('INSERT OR IGNORE INTO types (type) VALUES (?)');
    const copyOdd = db.prepare('INSERT OR IGNORE INTO odd_rows (id, type, value, labels_json, recorded_at) VALUES (?, ?, ?, ?, ?)');
    const perDay = new Map<number, number>();
    const types = new Set<unknown>();
    const oddKeys = new Set<unknown>();
    let rows = 0;
    for (const g of groups) {
      rows += g.n;
      const bucket = typeof g.key === 'string' ? bucketOfKey(g.key) : null;
      if (bucket === null) {
        oddKeys.add(g.key);
        continue;
      }
      upsert.run(g.type, bucket, g.labels, g.n, g.sum, g.min, g.max);
      const day = Math.floor(bucket / BUCKETS_PER_DAY);
      perDay.set(day, (perDay.get(day) ?? 0) + g.n);
      types.add(g.type);
      // Keyed by the exact values (a Buffer's bytes, not its identity) so equal labels add up.
      const dayKey = JSON.stringify([typeof g.type, String(g.type), day, Buffer.isBuffer(g.labels) ? `b:${g.labels.toString('hex')}` : `${typeof g.labels}:${String(g.labels)}`]);
      const prev = dayGroups.get(dayKey);
      const agg: RollupAggregate = { count: g.n, sum: g.sum, min: g.min, max: g.max };
      if (prev) prev.agg = addAggregates(prev.agg, agg);
      else dayGroups.set(dayKey, { type: g.type, day, labels: g.labels, agg });
    }
    for (const d of dayGroups.values()) upsertDay.run(d.type, d.day, d.labels, d.agg.count, d.agg.sum, d.agg.min, d.agg.max);
    for (const [day, n] of perDay) addDay.run(day, n);
    for (const t of types) addType.run(t);
    for (const key of oddKeys) {
      for (const r of oddRows(key)) copyOdd.run(r.id, r.type, r.value, r.labels_json, r.recorded_at);
    }
    return rows;
  }

  /** Adds (type, day key, value, rows) groups to the value histograms; rows of odd days stay out, as in buckets. */
  private storeValues(db: Database.Database, groups: readonly Row[]): void {
    const upsert = db.prepare('INSERT INTO value_days (type, day, value, n) VALUES (?, ?, ?, ?) ON CONFLICT (type, day, value) DO UPDATE SET n = n + excluded.n');
    for (const g of groups) {
      const bucket = typeof g.k === 'string' ? bucketOfKey(g.k) : null;
      if (bucket !== null && typeof g.value === 'number') upsert.run(g.type, bucket / BUCKETS_PER_DAY, g.value, num(g.n));
    }
  }

  /**
   * Retention deletes the oldest rows of metrics.db (the service's cleanup compares an ISO
   * cutoff as text, so it removes whole days of one format and part of a day of the other).
   * The rollups follow: from their oldest day on, a day whose row count differs from the raw
   * table's (rows up to the high-water mark) is recomputed from the raw rows, until a day
   * agrees. A day costs two index-range counts; a recomputed day one read of its raw rows.
   */
  private followRetention(db: Database.Database, metrics: Database.Database): number {
    let recomputed = 0;
    const days = db.prepare('SELECT day, n FROM days ORDER BY day').raw(true);
    for (const [dayValue, nValue] of days.all() as [unknown, unknown][]) {
      const day = num(dayValue);
      const ok = db.transaction(() => {
        const hw = this.highWater(db);
        const ranges = windowRanges(new Date(day * DAY_MS), new Date((day + 1) * DAY_MS));
        const raw = ranges.reduce((n, r) => n + num((metrics.prepare(RANGE_COUNT_SQL).get(r.from, r.to, hw) as Row).n), 0);
        const odd = ranges.reduce(
          (n, r) => n + num((db.prepare('SELECT COUNT(*) AS n FROM odd_rows WHERE recorded_at >= ? AND recorded_at < ?').get(r.from, r.to) as Row).n),
          0,
        );
        const current = num((db.prepare('SELECT n FROM days WHERE day = ?').get(day) as Row | undefined)?.n ?? nValue);
        if (raw === current + odd) return true;
        this.recomputeDay(db, metrics, day, ranges, hw);
        return false;
      }).immediate();
      if (ok) break;
      recomputed++;
    }
    return recomputed;
  }

  private recomputeDay(db: Database.Database, metrics: Database.Database, day: number, ranges: ReturnType<typeof windowRanges>, hw: number): void {
    const b0 = day * BUCKETS_PER_DAY;
    db.prepare('DELETE FROM buckets WHERE type IN (SELECT type FROM types) AND bucket >= ? AND bucket < ?').run(b0, b0 + BUCKETS_PER_DAY);
    db.prepare('DELETE FROM day_groups WHERE type IN (SELECT type FROM types) AND day = ?').run(day);
    db.prepare('DELETE FROM value_days WHERE type IN (SELECT type FROM types) AND day = ?').run(day);
    db.prepare('DELETE FROM days WHERE day = ?').run(day);
    for (const r of ranges) db.prepare('DELETE FROM odd_rows WHERE recorded_at >= ? AND recorded_at < ?').run(r.from, r.to);
    for (const r of ranges) {
      const groups = (metrics.prepare(DAY_GROUPS_SQL).all(r.from, r.to, hw) as Row[]).map(groupOf);
      this.store(db, groups, (key) => metrics.prepare(DAY_ODD_ROWS_SQL).all(r.from, r.to, hw, key) as Row[]);
      this.storeValues(db, metrics.prepare(DAY_VALUES_SQL).all(r.from, r.to, hw) as Row[]);
    }
  }

  /**
   * The reader of the rollups as they are now; call after catchUp. Its failures are thrown as
   * RollupReadError, so a caller answers from the raw rows instead (and a damaged file is
   * removed, to be rebuilt by the next question).
   */
  reader(): RollupReader {
    const db = this.connection();
    const guard = <A extends unknown[], R>(fn: (...args: A) => R) => (...args: A): R => {
      try {
        return fn(...args);
      } catch (err) {
        if (/SQLITE_CORRUPT|SQLITE_NOTADB/.test(String((err as { code?: unknown }).code))) {
          this.close();
          removeRollupFile(this.file);
        }
        throw new RollupReadError(err);
      }
    };
    const prepared = new Map<string, Database.Statement>();
    const stmt = (sql: string) => {
      let st = prepared.get(sql);
      if (!st) prepared.set(sql, (st = db.prepare(sql)));
      return st;
    };
    const aggSql = (table: string) =>
      stmt(`SELECT SUM(n) AS n, SUM(sum) AS sum, MIN(min) AS min, MAX(max) AS max FROM ${table} WHERE type = ? AND ${table === 'buckets' ? 'bucket' : 'day'} >= ? AND ${table === 'buckets' ? 'bucket' : 'day'} < ?`);
    const groupSql = (table: string) =>
      stmt(`SELECT labels_json, SUM(n) AS n, SUM(sum) AS sum FROM ${table} WHERE type = ? AND ${table === 'buckets' ? 'bucket' : 'day'} >= ? AND ${table === 'buckets' ? 'bucket' : 'day'} < ? GROUP BY labels_json`);
    // CROSS JOIN keeps types as the outer loop: one primary-key range per type, not a scan of every bucket.
    const totalsSql = (table: string) =>
      stmt(
        `SELECT b.type AS type, SUM(n) AS n, SUM(sum) AS sum, MIN(min) AS min, MAX(max) AS max FROM types t CROSS JOIN ${table} b ON b.type = t.type AND b.${table === 'buckets' ? 'bucket' : 'day'} >= ? AND b.${table === 'buckets' ? 'bucket' : 'day'} < ? GROUP BY b.type`,
      );
    const aggregateOf = (r: Row | undefined): RollupAggregate => {
      const count = num(r?.n);
      return count > 0 ? { count, sum: num(r?.sum), min: numOrNull(r?.min), max: numOrNull(r?.max) } : { count: 0, sum: 0, min: null, max: null };
    };
    /** The ranges of [b0, b1) with the table that answers each: whole days from day_groups, the rest from buckets. */
    const parts = (b0: number, b1: number): [string, number, number][] => {
      const split = splitDays(b0, b1);
      return [...(split.days ? [['day_groups', ...split.days] as [string, number, number]] : []), ...split.buckets.map(([a, b]) => ['buckets', a, b] as [string, number, number])];
    };
    const aggregates = (types: readonly string[], b0: number, b1: number) =>
      new Map(types.map((t) => [t, parts(b0, b1).reduce((agg, [table, a, b]) => addAggregates(agg, aggregateOf(aggSql(table).get(t, a, b) as Row | undefined)), aggregateOf(undefined))]));
    const labelGroups = (type: string, b0: number, b1: number) =>
      parts(b0, b1).flatMap(([table, a, b]) => (groupSql(table).all(type, a, b) as Row[]).map((r) => ({ labelsJson: r.labels_json, count: num(r.n), sum: num(r.sum) })));
    const typeTotals = (b0: number, b1: number) => {
      const out = new Map<string, RollupAggregate>();
      for (const [table, a, b] of parts(b0, b1)) {
        for (const r of totalsSql(table).all(a, b) as Row[]) {
          const type = String(r.type);
          out.set(type, addAggregates(out.get(type) ?? aggregateOf(undefined), aggregateOf(r)));
        }
      }
      return out;
    };
    const topValues = (type: string, d0: number, d1: number, k: number): number[] => {
      const out: number[] = [];
      if (k < 1) return out;
      for (const [value, n] of stmt('SELECT value, SUM(n) AS n FROM value_days WHERE type = ? AND day >= ? AND day < ? GROUP BY value ORDER BY value DESC')
        .raw(true)
        .iterate(type, d0, d1) as IterableIterator<[number, number]>) {
        for (let i = 0; i < n && out.length < k; i++) out.push(value);
        if (out.length >= k) break;
      }
      return out;
    };
    return {
      bucketMs: BUCKET_MS,
      hasValues: (type) => HISTOGRAM_TYPES.includes(type),
      topValues: guard(topValues),
      oddDb: db,
      oddTable: 'odd_rows',
      aggregates: guard(aggregates),
      labelGroups: guard(labelGroups),
      typeTotals: guard(typeTotals),
    };
  }

  /** Runs `fn` in one read transaction of the rollups, so every part of an answer sees the same rollups. */
  reading<T>(fn: () => T): T {
    return this.connection().transaction(fn).deferred();
  }
}
