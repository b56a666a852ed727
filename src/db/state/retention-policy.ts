import type { Config } from '../../config.js';
import type { RetentionCutoffs } from './retention-store.js';

const DAY = 86_400_000;

/** The cut-off instants of the configured retention, counted back from `now`. */
export function retentionCutoffs(retention: Config['retention'], now: Date): RetentionCutoffs {
  const ago = (days: number) => new Date(now.getTime() - days * DAY);
  return {
    outbox: ago(retention.outboxDays),
    commandRuns: ago(retention.commandRunsDays),
    timers: ago(retention.timersDays),
    timeline: ago(retention.timelineDays),
  };
}
