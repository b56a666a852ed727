import type { AtlasStores } from '../db/atlas-database.js';
import type { IntegrityCheckStore, RememberedCheck } from '../db/state/integrity-check-store.js';
import { runIntegrityCheck, type IntegrityMode, type IntegrityResult } from '../db/integrity-check.js';
import type { Level } from './check-item.js';
import { claimEarlyQuickCheck, dropEarlyQuickCheck } from './early-quick-check.js';
import { unknownItem, type CheckItem } from './check-item.js';

export type IntegrityTarget = 'persistence' | 'metrics' | 'all';

export type DatabaseRole = 'persistence' | 'metrics';

/** persistence.db holds the jobs and snapshots; metrics.db only the history. */
const ROLE: Record<DatabaseRole, { missingLevel: Level }> = {
  // As the guide's health-check.sh: a missing persistence.db is an error, a missing metrics.db a warning.
  persistence: { missingLevel: 'crit' },
  metrics: { missingLevel: 'warn' },
};

/** One file's integrity result with its role and verdict. */
export interface IntegrityVerdict extends IntegrityResult {
  role: DatabaseRole;
  level: Level;
}

function rolesFor(which: IntegrityTarget): DatabaseRole[] {
  return which === 'all' ? ['persistence', 'metrics'] : [which];
}

/**
 * Integrity of the chosen databases, one result per file. The files are checked one after the
 * other: on a 2-core host, two full checks at once would leave no core for the bot itself.
 */
export async function integrity(
  stores: AtlasStores,
  which: IntegrityTarget,
  mode: IntegrityMode = 'full',
): Promise<IntegrityVerdict[]> {
  const verdicts: IntegrityVerdict[] = [];
  for (const role of rolesFor(which)) {
    const result = await runIntegrityCheck(stores[role].file, mode);
    verdicts.push({ ...result, role, level: integrityLevel(result, role) });
  }
  return verdicts;
}

/** The level of one file's integrity verdict; `role` decides how bad a missing file is. */
export function integrityLevel(result: IntegrityResult, role: DatabaseRole): Level {
  if (result.problem) {
    if (result.problem.kind === 'missing') return ROLE[role].missingLevel;
    if (result.problem.kind === 'locked') return 'unknown';
    return 'crit';
  }
  return result.ok ? 'ok' : 'crit';
}

/** One sentence on a file's integrity: "integrity_check ok (120 ms)", the problem, or the first error. */
export function integrityDetail(result: IntegrityResult): string {
  const pragma = result.mode === 'full' ? 'integrity_check' : 'quick_check';
  if (result.problem) return result.problem.message;
  if (result.ok) return `${pragma} ok (${result.durationMs} ms)`;
  const count = `${result.problems.length}${result.truncated ? '+' : ''}`;
  return `${pragma}: ${count} problem${result.problems.length === 1 && !result.truncated ? '' : 's'}, first: ${result.problems[0] ?? '(no detail)'}`;
}

function integrityItem(result: IntegrityResult, role: DatabaseRole): CheckItem {
  const level = integrityLevel(result, role);
  return {
    key: `integrity:${result.label}`,
    label: `${result.label} integrity`,
    level,
    value: result.problem ? null : result.problems.length,
    unit: 'count',
    detail: integrityDetail(result),
  };
}

/** How long a quick_check result answers `health` and the watchdog (a 10 GB file takes ~10 s). */
export const QUICK_CHECK_REUSE_MS = 60_000;

/** Where quick_check results are kept between calls: chatops.db's, shared by every process on it. */
export type QuickCheckMemory = Pick<IntegrityCheckStore, 'latest' | 'remember'>;

const inProcess = new WeakMap<AtlasStores, Map<string, RememberedCheck>>();

/** This process's own memory, for callers without a chatops.db. */
function processMemory(stores: AtlasStores): QuickCheckMemory {
  let cache = inProcess.get(stores);
  if (!cache) inProcess.set(stores, (cache = new Map()));
  const map = cache;
  return {
    latest: async (file) => map.get(file) ?? null,
    remember: async (result, at) => {
      map.set(result.file, { at, result });
    },
  };
}

/** A remembered result, or null when there is none or chatops.db could not say (the check then runs). */
async function recall(memory: QuickCheckMemory, file: string): Promise<RememberedCheck | null> {
  try {
    return await memory.latest(file);
  } catch {
    return null;
  }
}

/**
 * quick_check of both databases, for `health` and the watchdog. The two run in parallel: a quick
 * check is short. Given `now`, a result younger than QUICK_CHECK_REUSE_MS is reused, so the
 * watchdog's minute and a burst of `health` do not re-read gigabytes each time; with `memory`
 * (chatops.db's), a terminal's `health` reuses what the bot's watchdog checked.
 */
export async function quickCheckItems(stores: AtlasStores, now?: Date, memory: QuickCheckMemory = processMemory(stores)): Promise<CheckItem[]> {
  const roles: DatabaseRole[] = ['persistence', 'metrics'];
  return Promise.all(
    roles.map(async (role) => {
      const db = stores[role];
      const hit = now ? await recall(memory, db.file) : null;
      if (hit && now && now.getTime() - hit.at.getTime() >= 0 && now.getTime() - hit.at.getTime() < QUICK_CHECK_REUSE_MS) {
        dropEarlyQuickCheck(db.file);
        const item = integrityItem(hit.result, role);
        return { ...item, detail: `${item.detail} (as of ${hit.at.toISOString().slice(11, 19)} UTC)` };
      }
      try {
        // A check the terminal started with the process (early-quick-check.ts) is joined here.
        claimEarlyQuickCheck(db.file);
        const result = await runIntegrityCheck(db.file, 'quick');
        if (now) {
          try {
            await memory.remember(result, now);
          } catch {
            // chatops.db busy or read-only: the answer stands, the next caller checks again.
          }
        }
        return integrityItem(result, role);
      } catch (err) {
        // A crashed worker must not take the rest of `health` down with it.
        return unknownItem(`integrity:${db.label}`, `${db.label} integrity`, `quick_check could not run: ${(err as Error).message}`, 'count');
      }
    }),
  );
}
