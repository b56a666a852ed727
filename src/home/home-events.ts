import type { DomainEvent } from '../incidents/domain-events.js';

/**
 * The events that change what a Home tab shows: open incidents (severity, status, owner, next
 * deadline) and firing alerts. Reminders, notes and timeline attachments leave the Home as it was.
 */
const CHANGES_HOME: ReadonlySet<DomainEvent['type']> = new Set<DomainEvent['type']>([
  'alert-raised',
  'alert-resolved',
  'alert-group-changed',
  'alert-refired',
  'incident-opened',
  'ack-details-set',
  'status-updated',
  'severity-changed',
  'owner-changed',
  'escalated',
  'incident-resolved',
  'incident-reopened',
  'alerts-resolved',
  // The next handoff and who is on call change at a shift change.
  'handoff-posted',
]);

export function changesHome(event: DomainEvent): boolean {
  return CHANGES_HOME.has(event.type);
}
