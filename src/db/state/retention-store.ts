
/** Cut-off instants: rows older than these go. */
export interface RetentionCutoffs {
  outbox: Date;
  commandRuns: Date;
  timers: Date;
  timeline: Date;
}

export interface PrunedCounts {
  outbox: number;
  commandRuns: number;
  timers: number;
  timeline: number;
}

export interface RetentionStore {
  /**
   * Deletes old rows in one transaction. Never what an open incident needs: pending outbox rows,
   * pending timers, and the timers and timeline of an incident that is open (or resolved after the cut-off).
   */
  prune(cutoffs: RetentionCutoffs): Promise<PrunedCounts>;
}
