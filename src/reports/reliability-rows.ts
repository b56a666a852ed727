/** The rows the reliability report is computed from, read through the stores (no SQL here). */
import type { StateStore } from '../db/state/state-store.js';
import type { TimelineEntry } from '../db/state/state-records.js';
import type { ReliabilityRows } from './reliability-report.js';

export async function reliabilityRows(state: Pick<StateStore, 'incidents' | 'timeline' | 'pages' | 'alerts'>, from: Date, to: Date, timezone: string, reviewWithinMs: number): Promise<ReliabilityRows> {
  const incidents = await state.incidents.openedBetween(from, to);
  const timelines = new Map<string, TimelineEntry[]>();
  for (const i of incidents) timelines.set(i.id, await state.timeline.list(i.id));
  return {
    from,
    to,
    timezone,
    incidents,
    timelines,
    pages: await state.pages.between(from, to),
    firings: await state.alerts.firingsBetween(from, to),
    openReviews: await state.incidents.reviewsOpen(),
    reviewWithinMs,
  };
}
