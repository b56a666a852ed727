import type { CheckItem } from '../checks/check-item.js';
import { sharedHealth, type HealthDeps, type HealthStatus } from '../checks/health.js';
import type { DomainDeps } from '../incidents/incident-deps.js';
import { parseAtlasTime } from '../time/atlas-time.js';

/** The health verdict as the Home shows it. */
export type HomeHealth =
  | { state: 'ready'; status: HealthStatus; checkedAt: Date; items: CheckItem[] }
  /** The first run is still going: the Home says so and is published again when it lands. */
  | { state: 'checking' }
  /** The run failed (logged); `/atlas health` tells why. */
  | { state: 'failed' };

/** One run serves every Home built within this long: refreshes for ten people do not run it ten times. */
export const HOME_HEALTH_TTL_MS = 60_000;
/** The window `/atlas health` uses by default. */
export const HOME_HEALTH_WINDOW_MS = 3_600_000;

type Deps = HealthDeps & Pick<DomainDeps, 'state' | 'logger'>;

interface Slot {
  /** The newest finished run, and when it started (by the bot's clock). */
  last: { health: HomeHealth; at: number } | null;
  running: Promise<void> | null;
  /** A Home was published saying "checking" while the first run went on. */
  toldChecking: boolean;
}

const slots = new WeakMap<Deps['atlas'], Slot>();

/** What a change of verdict is judged by: the status and which items are not ok at which level. */
function signature(health: HomeHealth): string {
  if (health.state !== 'ready') return health.state;
  const attention = health.items.filter((i) => i.level === 'crit' || i.level === 'warn').map((i) => `${i.key}:${i.level}`);
  return `${health.status}|${attention.sort().join(',')}`;
}

function start(deps: Deps, slot: Slot): Promise<void> {
  const at = deps.clock().getTime();
  const run = sharedHealth(deps, HOME_HEALTH_WINDOW_MS)
    .then(
      (r): HomeHealth => ({ state: 'ready', status: r.status, checkedAt: parseAtlasTime(r.checkedAt) ?? new Date(at), items: r.items }),
      (err: unknown): HomeHealth => {
        deps.logger.warn({ err }, 'the Home tab could not measure health');
        return { state: 'failed' };
      },
    )
    .then(async (health) => {
      const before = slot.last;
      slot.last = { health, at };
      // Homes showing the old verdict (or "checking") are out of date: the refresh job republishes them.
      const changed = before ? signature(before.health) !== signature(health) : slot.toldChecking;
      slot.toldChecking = false;
      if (changed) {
        try {
          await deps.state.homeViews.markStale(deps.clock());
        } catch (err) {
          deps.logger.warn({ err }, 'could not mark the Home tabs stale after a health run');
        }
      }
    })
    .finally(() => {
      slot.running = null;
    });
  slot.running = run;
  return run;
}

/**
 * The health verdict for the Home tab, at most one run per HOME_HEALTH_TTL_MS. A run in flight is
 * waited for at most `waitMs`; past that the Home shows the last verdict (it says when it was
 * checked), or "being checked" before the first, so opening the Home never waits on a slow probe.
 * When a run changes the verdict, every Home is marked stale and the refresh job republishes them.
 */
export async function homeHealth(deps: Deps, waitMs: number): Promise<HomeHealth> {
  let slot = slots.get(deps.atlas);
  if (!slot) slots.set(deps.atlas, (slot = { last: null, running: null, toldChecking: false }));
  const age = slot.last ? deps.clock().getTime() - slot.last.at : Number.POSITIVE_INFINITY;
  // A clock moved back (the sandbox restarts) counts as stale too.
  if (!slot.running && (age >= HOME_HEALTH_TTL_MS || age < 0)) void start(deps, slot);
  if (slot.running) {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
      timer.unref();
    });
    await Promise.race([slot.running, waited]);
    clearTimeout(timer);
  }
  // Read again: the run may have landed while this waited.
  const landed = slots.get(deps.atlas)?.last;
  if (landed) return landed.health;
  slot.toldChecking = true;
  return { state: 'checking' };
}
