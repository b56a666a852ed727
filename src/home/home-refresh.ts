import type { Clock } from '../clock.js';
import type { StateStore } from '../db/state/state-store.js';
import type { ScheduledJob } from '../scheduler.js';

/**
 * Slack says when someone opens the Home tab (app_home_opened) but never when they leave it: a
 * tab opened within this long counts as open. Thirty minutes covers an engineer keeping the tab
 * up through an incident without republishing for everyone who glanced at it yesterday.
 */
export const HOME_OPEN_MS = 30 * 60_000;
/** At most one publish per person per this long, however fast incidents change. */
export const HOME_REFRESH_MIN_MS = 10_000;
/** Tabs published per run; the rest wait for the next run, five seconds later. */
export const HOME_REFRESH_BATCH = 20;
/** Publishes in flight at once: Slack's views.publish is rate limited per workspace. */
const CONCURRENCY = 4;
/** Every five seconds (node-cron with a seconds field). */
export const HOME_REFRESH_CRON = '*/5 * * * * *';

/** Publishes `userId`'s Home tab now; true when Slack took it. Never throws. */
export type PublishHome = (userId: string) => Promise<boolean>;

/**
 * The job that keeps open Home tabs current: claims the stale ones (opened within HOME_OPEN_MS,
 * last published over HOME_REFRESH_MIN_MS ago; two processes never claim one twice) and
 * publishes them again. A publish that fails is logged by `publish` and waits for the next change.
 */
export function homeRefreshJob(deps: { state: StateStore; clock: Clock }, publish: PublishHome): ScheduledJob {
  return {
    name: 'home-refresh',
    // The Home tab shows the service's health, read from its data.
    needsData: true,
    cron: HOME_REFRESH_CRON,
    boundMs: 30_000,
    async run() {
      const now = deps.clock();
      const users = await deps.state.homeViews.claimStale({
        openSince: new Date(now.getTime() - HOME_OPEN_MS),
        publishedBefore: new Date(now.getTime() - HOME_REFRESH_MIN_MS),
        now,
        limit: HOME_REFRESH_BATCH,
      });
      const queue = [...users];
      const worker = async () => {
        for (let user = queue.shift(); user !== undefined; user = queue.shift()) await publish(user);
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
      return users;
    },
  };
}
