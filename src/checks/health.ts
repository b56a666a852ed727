import type { Clock } from '../clock.js';
import { toSqlTime } from '../time/atlas-time.js';
import type { CheckItem } from './check-item.js';
import { healthItems, type HealthItemsDeps } from './health-items.js';
import type { WindowCoverage } from './metric-window.js';

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface HealthResult {
  status: HealthStatus;
  checkedAt: string;
  windowMs: number;
  items: CheckItem[];
  /**
   * What the metric items cover: all of the window, or (complete: false) the newest part read
   * within the time bound. null when metrics.db could not be read.
   */
  metricsCoverage: WindowCoverage | null;
}

/** critical anywhere: unhealthy; a warning: degraded. Unknown (nothing measured) degrades nothing. */
export function healthStatus(items: readonly CheckItem[]): HealthStatus {
  if (items.some((i) => i.level === 'crit')) return 'unhealthy';
  if (items.some((i) => i.level === 'warn')) return 'degraded';
  return 'healthy';
}

/** What `health` reads: the Atlas stores, the config, outbound HTTP and the clock. */
export type HealthDeps = HealthItemsDeps & { clock: Clock };

/**
 * The on-call dashboard: every threshold of the guide, firing alerts, stuck jobs, the current
 * snapshot, the newest backup and a quick database check, in one pass (healthItems). The metric
 * items and the integrity part run in worker threads; file and network checks concurrently.
 */
export async function health(deps: HealthDeps, windowMs: number): Promise<HealthResult> {
  const now = deps.clock();
  const { items, metricsCoverage } = await healthItems(deps, now, windowMs);
  return { status: healthStatus(items), checkedAt: toSqlTime(now), windowMs, items, metricsCoverage };
}

/** How long one health result answers everyone who asks for the same window. */
export const HEALTH_SHARE_MS = 5_000;

const recent = new WeakMap<HealthDeps['atlas'], Map<number, { at: number; result: Promise<HealthResult> }>>();

/**
 * `health` for a burst of callers: everyone who asks for the same window within
 * HEALTH_SHARE_MS of a run shares it (the answer shows when it was checked). During an incident
 * ten people run the dashboard at once; it need not be computed ten times.
 */
export function sharedHealth(deps: HealthDeps, windowMs: number): Promise<HealthResult> {
  const now = deps.clock().getTime();
  let byWindow = recent.get(deps.atlas);
  if (!byWindow) recent.set(deps.atlas, (byWindow = new Map()));
  const hit = byWindow.get(windowMs);
  if (hit && now - hit.at >= 0 && now - hit.at < HEALTH_SHARE_MS) return oneTurnEach(hit.result);
  const result = health(deps, windowMs);
  byWindow.set(windowMs, { at: now, result });
  // A failed run is not shared.
  result.catch(() => byWindow.delete(windowMs));
  return oneTurnEach(result);
}

let handedOut: Promise<void> = Promise.resolve();

/**
 * Hands a shared result to its callers one per turn of the event loop. Everyone waiting on one
 * run would otherwise resume in the same instant, and each goes on to render and post its
 * answer: thirty waiters at a few milliseconds each would hold the event loop (and every
 * acknowledgement behind it) for a tenth of a second.
 */
function oneTurnEach<T>(shared: Promise<T>): Promise<T> {
  return shared.then((value) => {
    const turn = handedOut.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
    handedOut = turn;
    return turn.then(() => value);
  });
}
