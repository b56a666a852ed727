/**
 * The bot's own alerting: every minute it measures the on-call guide's thresholds (the same
 * items `health` shows) and raises an alert for each one past its alert threshold. Nobody else
 * alerts on most of them: the service's alert manager is not wired up and its Prometheus rules
 * have no Prometheus.
 */
import type { DomainDeps } from '../incidents/incident-deps.js';
import type { CheckItem } from '../checks/check-item.js';
import { healthItems } from '../checks/health-items.js';
import { toSqlTime } from '../time/atlas-time.js';
import { alertKey } from '../db/state/state-records.js';
import { alertSources, ingestAlert } from './alert-ingest.js';

export type WatchdogDeps = Pick<DomainDeps, 'atlas' | 'state' | 'clock' | 'config' | 'logger' | 'events'> & { fetch: typeof fetch };

/** The groups of health items the watchdog measures. */
export type WatchdogPart = 'metrics' | 'disk' | 'jobs' | 'integrity' | 'snapshot' | 'ipfs';
export const WATCHDOG_PARTS: readonly WatchdogPart[] = ['metrics', 'disk', 'jobs', 'integrity', 'snapshot', 'ipfs'];

export interface WatchdogOptions {
  /** An alert resolves only after its item has been at target this long without a break. */
  holdMinutes?: number;
  /** Window of the metric items (success rates, availability, latency). */
  windowMinutes?: number;
  parts?: readonly WatchdogPart[];
}

export interface WatchdogResult {
  checkedAt: string;
  /** Items measured. */
  items: number;
  raised: string[];
  resolved: string[];
  /** Firing watchdog alerts whose item is back at target, and for how long. */
  holding: { name: string; okForMs: number }[];
  /** Watchdog alerts still firing after this pass. */
  firing: string[];
}

export interface Watchdog {
  evaluate(): Promise<WatchdogResult>;
}

export const WATCHDOG_PREFIX = 'watchdog_';

/** `provider:Census TIGER` -> `watchdog_provider_census_tiger`. */
export function watchdogAlertName(itemKey: string): string {
  const slug = itemKey
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return `${WATCHDOG_PREFIX}${slug || 'item'}`.slice(0, 200);
}

/** "Provider availability: Census TIGER is 40 % (alert < 95 %, target ≥ 95 %): average of 12 health checks in the last 15 min" */
export function watchdogMessage(item: CheckItem): string {
  const value = item.value === null ? 'is critical' : `is ${item.value}${item.unit && item.unit !== 'count' ? ` ${item.unit}` : ''}`;
  const bands = [item.alert ? `alert ${item.alert}` : '', item.target ? `target ${item.target}` : ''].filter(Boolean).join(', ');
  return `${item.label} ${value}${bands ? ` (${bands})` : ''}: ${item.detail}`;
}

/**
 * The threshold items of `health` (the same composition), without its firing-alert items
 * (alerting on alerts would loop). A part that fails is unknown with the reason, so one broken
 * part never stops the others from being watched.
 */
async function measure(deps: WatchdogDeps, parts: ReadonlySet<WatchdogPart>, windowMs: number): Promise<CheckItem[]> {
  return (await healthItems(deps, deps.clock(), windowMs, { parts, onUnexpected: 'unknown' })).items;
}

/**
 * Raises an alert (source watchdog, name `watchdog_<item key>`) when an item is crit, and
 * resolves it once the item has been ok for `holdMinutes` in a row; warn and unknown break the
 * streak but change no alert. So a value flapping around its threshold posts once and stays
 * up until it is really back. The streaks live in memory; after a restart a firing watchdog
 * alert (found in chatops.db) simply starts a fresh streak.
 */
export function createWatchdog(deps: WatchdogDeps, opts: WatchdogOptions = {}): Watchdog {
  const holdMs = (opts.holdMinutes ?? 5) * 60_000;
  const windowMs = Math.max(1, opts.windowMinutes ?? 15) * 60_000;
  const parts = new Set(opts.parts ?? WATCHDOG_PARTS);
  /** Alert key -> when its item was first seen ok in the current streak. */
  const okSince = new Map<string, number>();
  let running: Promise<WatchdogResult> | null = null;

  const firingByWatchdog = async (key: string) => {
    const alert = await deps.state.alerts.get(key);
    return alert !== null && alert.status === 'firing' && alertSources(alert).includes('watchdog');
  };

  async function pass(): Promise<WatchdogResult> {
    const items = await measure(deps, parts, windowMs);
    // Measuring may take seconds (IPFS, integrity); judge at the time the answers came back.
    const now = deps.clock();
    const result: WatchdogResult = { checkedAt: toSqlTime(now), items: items.length, raised: [], resolved: [], holding: [], firing: [] };
    for (const item of items) {
      const name = watchdogAlertName(item.key);
      const key = alertKey(name);
      if (item.level === 'crit') {
        okSince.delete(key);
        if (await firingByWatchdog(key)) continue;
        // A provider item's alert is about that provider: it joins the provider's open group.
        const provider = item.key.startsWith('provider:') ? item.key.slice('provider:'.length) : undefined;
        const outcome = await ingestAlert(deps, {
          name,
          status: 'firing',
          message: watchdogMessage(item),
          source: 'watchdog',
          ...(provider ? { groupFacts: { provider, providerFrom: "the watchdog's provider availability item" } } : {}),
        });
        if (outcome.action === 'new' || outcome.action === 'refired' || outcome.action === 'joined-group') {
          result.raised.push(name);
          deps.logger.warn({ alert: name, value: item.value, detail: item.detail }, 'watchdog raised an alert');
        }
        continue;
      }
      if (item.level !== 'ok' || !await firingByWatchdog(key)) {
        okSince.delete(key);
        continue;
      }
      const since = okSince.get(key) ?? now.getTime();
      okSince.set(key, since);
      const okForMs = now.getTime() - since;
      if (okForMs < holdMs) {
        result.holding.push({ name, okForMs });
        continue;
      }
      const outcome = await ingestAlert(deps, {
        name,
        status: 'resolved',
        message: watchdogMessage(item),
        resolvedAt: now,
        source: 'watchdog',
      });
      okSince.delete(key);
      if (outcome.action === 'resolved') {
        result.resolved.push(name);
        deps.logger.info({ alert: name, okForMs }, 'watchdog resolved an alert');
      }
    }
    result.firing = await deps.state.alerts.firingNamesWithPrefix(WATCHDOG_PREFIX);
    return result;
  }

  return {
    /** One pass; a call while a pass runs shares it (a slow IPFS probe must not stack passes). */
    evaluate(): Promise<WatchdogResult> {
      running ??= pass().finally(() => {
        running = null;
      });
      return running;
    },
  };
}
