import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { METRICS_DDL } from '../demo/atlas-schema.js';
import { seededRng, type Rng } from '../demo/generate-atlas-data.js';
import { parseAtlasTime, toSqlTime } from '../time/atlas-time.js';

/**
 * The benchmark's big metrics.db: 5,000,000 rows over the 30 days up to the real now (so the
 * guide's `datetime('now')` means something), a third of them ISO-formatted. Cached under
 * bench-data/; a re-run appends the rows the service would have written since and drops what
 * fell out of the 30-day retention, so the window "last 10 minutes" always has rows.
 * The `error-storm` mix is the same size with about 1.9 million error rows (38 %): a month
 * of a service failing hard, the worst case for `errors --window 30d`.
 */

const DAY = 86_400_000;
const FORMAT_VERSION = 1;

/** The types the guide's error query lists; proof failures are labelled, not typed. */
export const GUIDE_ERROR_TYPES = ['extraction_failure', 'validation_fail', 'provider_error', 'request_error'] as const;
const PROOF_TYPES = new Set(['proof_generation', 'merkle_proof']);
const ERROR_TYPE_SET = new Set<string>(GUIDE_ERROR_TYPES);

export interface BigMetricsFile {
  file: string;
  rows: number;
  isoRows: number;
  /** First and last row times (ISO). */
  from: string;
  to: string;
  action: 'built' | 'reused' | 'topped-up';
  ms: number;
}

const metaSchema = z.object({
  version: z.literal(FORMAT_VERSION),
  rows: z.number().int().positive(),
  days: z.number().positive(),
  isoRows: z.number().int().nonnegative(),
  nextIndex: z.number().int().nonnegative(),
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  /** Absent in files built before the mixes existed: the normal mix. */
  mix: z.enum(['normal', 'error-storm']).optional(),
});
type Meta = z.infer<typeof metaSchema>;

// --- a realistic type mix (per mille), error types included ------------------------------------

const PROVIDERS = ['Census TIGER', 'ArcGIS Hub', 'UK ONS', 'Statistics Canada', 'Australia ABS'];
const STATES = ['CA', 'TX', 'NY', 'FL', 'PA', 'IL', 'OH', 'GA', 'NC', 'MI'];
const LAYERS = ['congressional', 'state_senate', 'state_house'];
const PATHS = ['/v1/districts/:coord', '/v1/proof/:hex', '/v1/snapshot/current', '/health'];

const j = (o: Record<string, string>) => JSON.stringify(o);
const byProvider = PROVIDERS.map((provider) => j({ provider }));
const byStateLayer = STATES.flatMap((state) => LAYERS.map((layer) => j({ state, layer })));

interface TypeSpec {
  type: string;
  weight: number;
  labels: string[];
  value: (rng: Rng) => number;
}

const TYPE_MIX: TypeSpec[] = [
  { type: 'health_check', weight: 190, labels: byProvider, value: (r) => (r.chance(0.02) ? 0 : 1) },
  { type: 'provider_latency', weight: 190, labels: byProvider, value: (r) => r.int(80, 1500) },
  {
    type: 'provider_error', weight: 15, value: () => 1,
    labels: PROVIDERS.flatMap((provider) => ['503 Service Unavailable', '429 Too Many Requests', 'Request timed out'].map((error) => j({ provider, error }))),
  },
  {
    type: 'request_count', weight: 110, value: () => 1,
    labels: PATHS.flatMap((p) => ['200', '200', '200', '404'].map((status) => j({ method: 'GET', path: p, status }))),
  },
  { type: 'request_latency', weight: 110, labels: PATHS.map((p) => j({ method: 'GET', path: p })), value: (r) => r.int(2, 400) },
  { type: 'request_error', weight: 10, labels: PATHS.flatMap((p) => ['404', '500'].map((status) => j({ method: 'GET', path: p, status }))), value: () => 1 },
  { type: 'cache_hit', weight: 70, labels: ['{}'], value: () => 1 },
  { type: 'cache_miss', weight: 30, labels: ['{}'], value: () => 1 },
  { type: 'db_query', weight: 120, labels: ['district_lookup', 'snapshot_lookup', 'merkle_path', 'job_state'].map((queryType) => j({ queryType })), value: (r) => r.int(1, 300) },
  // One label in 33 / 50 is a failure: proofs are errors only when success = 'false'.
  { type: 'proof_generation', weight: 30, labels: [...Array<string>(32).fill(j({ success: 'true' })), j({ success: 'false' })], value: (r) => r.int(800, 4200) },
  { type: 'merkle_proof', weight: 30, labels: [...Array<string>(49).fill(j({ success: 'true' })), j({ success: 'false' })], value: (r) => r.int(4, 60) },
  { type: 'extraction_success', weight: 15, labels: byStateLayer, value: () => 1 },
  { type: 'extraction_failure', weight: 3, labels: byStateLayer, value: () => 1 },
  { type: 'job_duration', weight: 18, labels: byStateLayer, value: (r) => r.int(3000, 90_000) },
  { type: 'boundary_count', weight: 15, labels: byStateLayer, value: (r) => r.int(1, 400) },
  { type: 'validation_pass', weight: 14, labels: byStateLayer, value: (r) => r.between(0.9, 1) },
  { type: 'validation_fail', weight: 3, labels: byStateLayer, value: (r) => r.between(0.3, 0.8) },
  { type: 'active_connections', weight: 27, labels: ['{}'], value: (r) => r.int(0, 20) },
];

/**
 * A month of a service failing hard: provider and request errors dominate and a third of the
 * proofs fail. 380 error rows per mille: 1.9 million of 5 million.
 */
const ERROR_STORM_WEIGHTS: Record<string, number> = {
  health_check: 130, provider_latency: 120, provider_error: 170, request_count: 90, request_latency: 90, request_error: 150,
  cache_hit: 40, cache_miss: 20, db_query: 60, proof_generation: 30, merkle_proof: 20, extraction_success: 10,
  extraction_failure: 30, job_duration: 10, boundary_count: 5, validation_pass: 5, validation_fail: 10, active_connections: 10,
};
const ERROR_STORM_MIX: TypeSpec[] = TYPE_MIX.map((t) => {
  const weight = ERROR_STORM_WEIGHTS[t.type] ?? 0;
  // Half the proofs fail (15 per mille), a quarter of the Merkle proofs (5 per mille).
  if (t.type === 'proof_generation') return { ...t, weight, labels: [j({ success: 'true' }), j({ success: 'false' })] };
  if (t.type === 'merkle_proof') return { ...t, weight, labels: [...Array<string>(3).fill(j({ success: 'true' })), j({ success: 'false' })] };
  return { ...t, weight };
});

export type MetricsMix = 'normal' | 'error-storm';

/** Weighted choice by table lookup: one slot per unit of weight. */
function typeSlots(mix: MetricsMix): TypeSpec[] {
  return (mix === 'error-storm' ? ERROR_STORM_MIX : TYPE_MIX).flatMap((t) => Array<TypeSpec>(t.weight).fill(t));
}

/** Every third row (by global index) is ISO: alternately with and without milliseconds. */
function formatRow(index: number, t: number): string {
  if (index % 3 !== 0) return toSqlTime(new Date(t));
  const isoText = new Date(t).toISOString();
  return index % 6 === 0 ? isoText : `${isoText.slice(0, 19)}Z`;
}

/** Appends `count` rows evenly spread over [from, to), in time order. Returns how many were ISO. */
function appendRows(db: Database.Database, fromMs: number, toMs: number, count: number, firstIndex: number, rng: Rng, mix: MetricsMix): number {
  const slots = typeSlots(mix);
  const insert = db.prepare('INSERT INTO metrics (type, value, labels_json, recorded_at) VALUES (?, ?, ?, ?)');
  const step = (toMs - fromMs) / count;
  let iso = 0;
  const batch = 250_000;
  for (let start = 0; start < count; start += batch) {
    db.transaction(() => {
      const end = Math.min(count, start + batch);
      for (let i = start; i < end; i++) {
        const spec = slots[Math.floor(rng.next() * slots.length)]!;
        const labels = spec.labels[Math.floor(rng.next() * spec.labels.length)]!;
        const t = Math.floor(fromMs + i * step + rng.next() * step);
        const index = firstIndex + i;
        if (index % 3 === 0) iso++;
        insert.run(spec.type, spec.value(rng), labels, formatRow(index, t));
      }
    })();
  }
  return iso;
}

function readMeta(file: string): Meta | null {
  try {
    const parsed = metaSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function rowTime(db: Database.Database, sql: string, ...params: unknown[]): { id: number; t: number } | null {
  const row = db.prepare(sql).get(...params) as { id: number; recorded_at: string } | undefined;
  const t = row ? parseAtlasTime(row.recorded_at) : null;
  return row && t ? { id: row.id, t: t.getTime() } : null;
}

/** Smallest id whose time is >= cutoff (ids grow with time here), by binary search on rowid. */
function firstIdAtOrAfter(db: Database.Database, cutoffMs: number): number | null {
  const first = rowTime(db, 'SELECT id, recorded_at FROM metrics ORDER BY id LIMIT 1');
  const last = rowTime(db, 'SELECT id, recorded_at FROM metrics ORDER BY id DESC LIMIT 1');
  if (!first || !last || last.t < cutoffMs) return null;
  let lo = first.id;
  let hi = last.id;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const row = rowTime(db, 'SELECT id, recorded_at FROM metrics WHERE id >= ? ORDER BY id LIMIT 1', mid)!;
    if (row.t >= cutoffMs) hi = row.id;
    else lo = row.id + 1;
  }
  return lo;
}

/**
 * The cached 5M-row file, built or brought up to `now`. A cache older than 2 days, or of a
 * different size, is rebuilt (one pass, no indexes while loading, then the service's indexes).
 */
export function ensureBigMetrics(
  benchDir: string,
  opts: { now: Date; rows?: number; days?: number; seed?: number; mix?: MetricsMix; log?: (line: string) => void },
): BigMetricsFile {
  const rows = opts.rows ?? 5_000_000;
  const mix = opts.mix ?? 'normal';
  const days = opts.days ?? 30;
  const now = opts.now.getTime();
  const log = opts.log ?? (() => {});
  mkdirSync(benchDir, { recursive: true });
  const file = path.join(benchDir, mix === 'normal' ? `metrics-${rows}.db` : `metrics-${rows}-${mix}.db`);
  const metaFile = `${file}.json`;
  const started = performance.now();
  const meta = existsSync(file) ? readMeta(metaFile) : null;
  const usable = meta && (meta.mix ?? 'normal') === mix && meta.rows === rows && meta.days === days && now - Date.parse(meta.to) < 2 * DAY && Date.parse(meta.to) <= now;
  const rng = seededRng((opts.seed ?? 5) + (usable ? meta.nextIndex : 0));

  if (usable) {
    const lastMs = Date.parse(meta.to);
    const missing = Math.floor(((now - lastMs) / (days * DAY)) * rows);
    if (missing < 1) return { file, rows, isoRows: meta.isoRows, from: meta.from, to: meta.to, action: 'reused', ms: performance.now() - started };
    log(`topping up ${path.basename(file)} with ${missing.toLocaleString('en-US')} rows written since ${meta.to}`);
    const db = new Database(file);
    try {
      db.pragma('synchronous = OFF');
      const addedIso = appendRows(db, lastMs + 1, now, missing, meta.nextIndex, rng, mix);
      // Retention, like the service's cleanup(): drop what is older than `days`.
      const keepFrom = firstIdAtOrAfter(db, now - days * DAY);
      let droppedIso = 0;
      if (keepFrom !== null) {
        droppedIso = (db.prepare(
          "SELECT COUNT(*) AS n FROM metrics WHERE id < ? AND recorded_at LIKE '%T%'",
        ).get(keepFrom) as { n: number }).n;
        db.prepare('DELETE FROM metrics WHERE id < ?').run(keepFrom);
      }
      const total = (db.prepare('SELECT COUNT(*) AS n FROM metrics').get() as { n: number }).n;
      const firstRow = rowTime(db, 'SELECT id, recorded_at FROM metrics ORDER BY id LIMIT 1');
      const lastRow = rowTime(db, 'SELECT id, recorded_at FROM metrics ORDER BY id DESC LIMIT 1');
      const next: Meta = {
        ...meta,
        isoRows: meta.isoRows + addedIso - droppedIso,
        nextIndex: meta.nextIndex + missing,
        from: new Date(firstRow?.t ?? now).toISOString(),
        to: new Date(lastRow?.t ?? now).toISOString(),
      };
      writeFileSync(metaFile, JSON.stringify(next, null, 2));
      return { file, rows: total, isoRows: next.isoRows, from: next.from, to: next.to, action: 'topped-up', ms: performance.now() - started };
    } finally {
      db.close();
    }
  }

  log(`building ${path.basename(file)}: ${rows.toLocaleString('en-US')} rows over ${days} days (about a minute on 2 cores)`);
  const tmp = `${file}.tmp`;
  rmSync(tmp, { force: true });
  const db = new Database(tmp);
  let isoRows: number;
  const from = now - days * DAY;
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    db.exec(METRICS_DDL);
    // Loading without indexes and building them afterwards (one sort each) is several times faster.
    db.exec('DROP INDEX idx_metrics_type_time; DROP INDEX idx_metrics_time;');
    isoRows = appendRows(db, from, now, rows, 0, rng, mix);
    log('creating the indexes');
    db.exec(METRICS_DDL);
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
  rmSync(file, { force: true });
  renameSync(tmp, file);
  const reopened = new Database(file, { readonly: true });
  let last: { t: number } | null;
  try {
    last = rowTime(reopened, 'SELECT id, recorded_at FROM metrics ORDER BY id DESC LIMIT 1');
  } finally {
    reopened.close();
  }
  const meta2: Meta = {
    version: FORMAT_VERSION, rows, days, isoRows, nextIndex: rows, mix,
    from: new Date(from).toISOString(), to: new Date(last?.t ?? now).toISOString(),
  };
  writeFileSync(metaFile, JSON.stringify(meta2, null, 2));
  return { file, rows, isoRows, from: meta2.from, to: meta2.to, action: 'built', ms: performance.now() - started };
}

/**
 * The exact error counts in [from, to), by a full scan that parses every timestamp format:
 * the guide's four error types, plus proof rows labelled success = 'false'.
 */
export function countErrorsExactly(file: string, from: Date, to: Date): Record<string, number> {
  const db = new Database(file, { readonly: true });
  const counts: Record<string, number> = Object.fromEntries([...GUIDE_ERROR_TYPES, 'proof_generation', 'merkle_proof'].map((t) => [t, 0]));
  const a = from.getTime();
  const b = to.getTime();
  try {
    const scan = db.prepare('SELECT type, labels_json, recorded_at FROM metrics').raw(true);
    for (const row of scan.iterate() as IterableIterator<[string, string, string]>) {
      const [type, labels, recordedAt] = row;
      const isProof = PROOF_TYPES.has(type);
      if (!isProof && !ERROR_TYPE_SET.has(type)) continue;
      const t = parseAtlasTime(recordedAt)?.getTime();
      if (t === undefined || t < a || t >= b) continue;
      if (isProof && (JSON.parse(labels) as { success?: string }).success !== 'false') continue;
      counts[type] = (counts[type] ?? 0) + 1;
    }
  } finally {
    db.close();
  }
  return counts;
}
