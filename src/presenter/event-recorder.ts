import type { Config } from '../config.js';
import { changesHome } from '../home/home-events.js';
import type { EventSink } from '../incidents/domain-events.js';
import { timelineLines } from '../templates/timeline-entries.js';
import { eventMessages } from './event-messages.js';

/**
 * The domain's EventSink: each event's timeline lines and Slack messages are written in the
 * transaction of the change that caused it, then `delivered` wakes the delivery loop (which
 * sends only what the commit made visible). The terminal passes no waker: the running bot's
 * delivery loop finds the rows on its next look.
 */
export function eventRecorder(config: Pick<Config, 'channels'>, delivered: () => void = () => {}): EventSink {
  return {
    async record(tx, event, now) {
      for (const { incidentId, ...entry } of timelineLines(event, now)) await tx.timeline.add(incidentId, entry);
      for (const message of eventMessages(event, config, now)) {
        if (message.file) await tx.outbox.enqueueUpload(message, message.file, now);
        else await tx.outbox.enqueue(message, now);
      }
      // In the change's own transaction: the Home tabs are marked stale exactly when the change commits.
      if (changesHome(event)) await tx.homeViews.markStale(now);
      delivered();
    },
  };
}
