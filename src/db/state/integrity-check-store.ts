import type Database from 'better-sqlite3';
import { z } from 'zod';
import type { IntegrityResult } from '../integrity-check.js';
import { iso } from './state-records.js';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

/** A quick_check that ran, as remembered: what SQLite said and when. */
export interface RememberedCheck {
  at: Date;
  result: IntegrityResult;
}

/**
 * The last quick_check of each Atlas database, shared by every process on this chatops.db: the
 * bot's watchdog checks every minute, and a terminal's `health` then reuses that answer instead
 * of reading the whole file again. Only checks that ran are remembered (a missing or locked file
 * is asked again each time).
 */
export interface IntegrityCheckStore {
  latest(file: string): Promise<RememberedCheck | null>;
  remember(check: IntegrityResult, at: Date): Promise<void>;
}

const resultSchema = z.object({
  file: z.string(),
  label: z.string(),
  mode: z.enum(['quick', 'full']),
  ok: z.boolean(),
  problems: z.array(z.string()),
  truncated: z.boolean(),
  durationMs: z.number(),
});

/** A remembered row as this version reads it; null for a row it cannot read (not trusted: the check runs again and replaces it). */
export function rememberedCheck(row: { checked_at: string; result: string } | undefined): RememberedCheck | null {
  if (!row) return null;
  let parsed: ReturnType<typeof resultSchema.safeParse>;
  try {
    parsed = resultSchema.safeParse(JSON.parse(row.result));
  } catch {
    return null;
  }
  const at = new Date(row.checked_at);
  if (!parsed.success || Number.isNaN(at.getTime())) return null;
  return { at, result: { ...parsed.data, problem: null } };
}

/** What `remember` keeps of a check: the result without its `problem` (null, or it is not kept). */
export function rememberedResult(check: IntegrityResult): string | null {
  if (check.problem !== null) return null;
  const { problem: _problem, ...result } = check;
  return JSON.stringify(result);
}

export function integrityCheckStore(db: Database.Database): Synchronous<IntegrityCheckStore> {
  const sql = statements(db);
  return {
    latest: (file) => rememberedCheck(sql('SELECT checked_at, result FROM integrity_checks WHERE file = ?').get(file) as { checked_at: string; result: string } | undefined),
    remember(check, at) {
      const result = rememberedResult(check);
      if (result === null) return;
      sql('INSERT INTO integrity_checks (file, checked_at, result) VALUES (?, ?, ?) ON CONFLICT (file) DO UPDATE SET checked_at = excluded.checked_at, result = excluded.result').run(
        check.file,
        iso(at),
        result,
      );
    },
  };
}
