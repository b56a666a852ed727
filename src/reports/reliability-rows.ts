/** The rows the reliability report is computed from, read through the stores (no SQL here). */
import type { StateStore } from '../db/state/state-store.js';
import type { TimelineEntry } from '../db/state/state-records.js';
import type { ReliabilityRows } from './reliability-report.js';

export function reliabilityRows(state: Pick<StateStore, 'incidents' | 'timeline' | 'pages' | 'alerts'>, from: Date, to: Date, timezone: string, reviewWithinMs: number): ReliabilityRows {
  const incidents = state.incidents.openedBetween(from, to);
  const timelines = new Map<string, TimelineEntry[]>(incidents.map((i) => [i.id, state.timeline.list(i.id)]));
  return {
    from,
    to,
    timezone,
    incidents,
    timelines,
    pages: state.pages.between(from, to),
    firings: state.alerts.firingsBetween(from, to),
    openReviews: state.incidents.reviewsOpen(),
    reviewWithinMs,
  };
}
