/**
 * `health`'s quick checks, started by the terminal's entry (src/atlas.ts) before the rest of
 * the terminal loads. A cold `atlas` spends its first ~0.9 s loading modules on one core while
 * the other is idle, and `health` then waits on the quick_check of metrics.db (a read of the
 * whole file, ~1 s on 750 MB): started first, the check runs during the start-up instead of
 * after it. `quickCheckItems` joins a check started here (runIntegrityCheck shares a check in
 * flight), or stops it when it reuses a kept result instead (the bot's watchdog checked within a
 * minute), so a terminal beside a running bot does not read the files for nothing.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { runIntegrityCheck, stopIntegrityCheck, type IntegrityResult } from '../db/integrity-check.js';
import { integrityCheckStore } from '../db/state/integrity-check-store.js';
import { stateFileOf } from '../db/state/state-file.js';

/** Files whose early check nobody has claimed yet. */
const unclaimed = new Set<string>();

/**
 * When each file was last checked, as chatops.db keeps it (null: never, or chatops.db cannot
 * say). Read-only. A state kept elsewhere (PostgreSQL) is not asked here: the checks then start,
 * and `health` stops them if it reuses a kept result.
 */
function keptCheckTimes(dataDir: string, files: readonly string[]): Map<string, Date | null> {
  const out = new Map<string, Date | null>(files.map((f) => [f, null]));
  const stateFile = stateFileOf({ dataDir });
  if (!existsSync(stateFile)) return out;
  let db: Database.Database | null = null;
  try {
    db = new Database(stateFile, { readonly: true, fileMustExist: true });
    const store = integrityCheckStore(db);
    for (const f of files) out.set(f, store.latest(f)?.at ?? null);
  } catch {
    // No table yet, or the file is busy: as if never checked.
  } finally {
    db?.close();
  }
  return out;
}

/**
 * For `atlas health`: starts the quick checks of persistence.db and metrics.db in the data
 * directory the configuration will name (ATLAS_DATA_DIR, else .shadow-atlas), except those
 * chatops.db says were checked within `reuseMs` of `now` (health will reuse them: beside a
 * running bot, whose watchdog checks every minute, nothing is started). Not when a `.env` file
 * may still set ATLAS_DATA_DIR (the config reads it later): then `health` checks as usual.
 * Returns the checks started (none for other commands).
 */
export function startQuickChecksEarly(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string, now: Date, reuseMs: number): Promise<IntegrityResult>[] {
  if (argv.filter((a) => a !== '--json')[0] !== 'health') return [];
  if (!env.ATLAS_DATA_DIR && existsSync(path.join(cwd, '.env'))) return [];
  const dataDir = path.resolve(cwd, env.ATLAS_DATA_DIR || '.shadow-atlas');
  const files = ['persistence.db', 'metrics.db'].map((name) => path.join(dataDir, name));
  const kept = keptCheckTimes(dataDir, files);
  const fresh = (file: string) => {
    const at = kept.get(file);
    return at != null && now.getTime() - at.getTime() >= 0 && now.getTime() - at.getTime() < reuseMs;
  };
  return files.filter((file) => !fresh(file)).map((file) => {
    unclaimed.add(file);
    const check = runIntegrityCheck(file, 'quick');
    // Its outcome is read by quickCheckItems, which joins it; a stopped check is nobody's error.
    check.catch(() => undefined);
    return check;
  });
}

/** `file`'s check is needed: an early one in flight is joined, no longer stopped. */
export function claimEarlyQuickCheck(file: string): void {
  unclaimed.delete(path.resolve(file));
}

/** `file`'s check is not needed (a kept result answers): an early one still running is stopped. */
export function dropEarlyQuickCheck(file: string): void {
  const resolved = path.resolve(file);
  if (unclaimed.delete(resolved)) void stopIntegrityCheck(resolved, 'quick');
}

/** Stops every early check nobody claimed (the command ended another way: a usage or config error). */
export function dropEarlyQuickChecks(): void {
  for (const file of [...unclaimed]) dropEarlyQuickCheck(file);
}
