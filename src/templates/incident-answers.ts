/** The one-sentence answers to the incident commands, for whoever acted. */
import type { Incident } from '../db/state/state-records.js';
import type { Acknowledged, AckDetails } from '../incidents/acknowledge.js';
import type { Declared } from '../incidents/declare.js';
import { AlreadyAcknowledgedError, AlreadyOwnerError, IncidentError, IncidentInputError } from '../incidents/incident-errors.js';
import type { Escalated } from '../incidents/escalation.js';
import type { AlertsResolved, Resolved } from '../incidents/resolution.js';
import type { Snoozed } from '../incidents/snooze.js';
import { ESCALATION_CONTACTS } from '../incidents/escalation-contacts.js';
import { ESCALATION_TARGET_TEXT, SEVERITY_POLICIES, type Severity } from '../incidents/severity-matrix.js';
import { formatDuration } from '../time/atlas-time.js';
import { userRef } from './people.js';
import { TIMER_KIND_TEXT } from './reminder-messages.js';
import type { Report, ReportLevel } from './report.js';
import { dayTime, hhmm } from './slack-time.js';

/** The answer to an acting command: one sentence. */
export function incidentActionReport(command: string, message: string, data: unknown, level: ReportLevel = 'ok'): Report {
  return { command, level, headline: message, sections: [], data };
}

/** A refusal from the incident domain, as the person reads it (who already acknowledged, who already owns). */
export function refusalReport(command: string, err: IncidentError): Report {
  let headline = err.message;
  if (err instanceof AlreadyAcknowledgedError) {
    const by = err.by ? ` by ${userRef(err.by)}` : '';
    const when = err.at ? ` at ${hhmm(err.at)}` : '';
    headline = `${err.alertName} is already acknowledged${by}${err.incidentId ? ` as ${err.incidentId}` : ''}${when}${err.resolved ? ', since resolved' : ''}.`;
  } else if (err instanceof AlreadyOwnerError) {
    headline = `${userRef(err.ownerId)} already owns ${err.incidentId}.`;
  }
  return { command, level: 'error', headline, sections: [], ...(err instanceof IncidentInputError ? { field: err.field } : {}) };
}

export const acknowledgedText = (r: Acknowledged): string => {
  const ackAfter = formatDuration((r.incident.ack_seconds ?? 0) * 1000);
  const atlas = r.atlasProblem ? ` (metrics.db not updated: ${r.atlasProblem})` : '';
  return `${r.alert.name} acknowledged after ${ackAfter}: ${r.incident.id} (${r.incident.severity}) is open and yours; the initial response is in its thread.${atlas}`;
};

export const ackDetailsText = (r: AckDetails): string => {
  if (!r.changed) {
    const next = r.incident.next_update_at ? hhmm(r.incident.next_update_at) : 'on the cadence';
    return `Kept the defaults for ${r.incident.id}: impact ${r.incident.impact ?? 'being assessed'}, next update ${next}.`;
  }
  return `${r.incident.id}: impact ${r.impact ? 'recorded' : 'unchanged'}${r.eta ? `, next update ${hhmm(r.eta)}` : ''}.`;
};

export const declaredText = (r: Declared): string => {
  const why = r.basis.kind === 'given' ? 'as declared' : r.basis.kind === 'symptom' ? `matches "${r.basis.title}"` : 'no symptom matched: P2 by default';
  return `Declared ${r.incident.id} (${r.incident.severity}, ${why}); it is yours, and the initial response is in its thread.`;
};

export const updatePostedText = (i: Incident): string => `Update posted in ${i.id}'s thread; the next one is due by ${i.next_update_at ? hhmm(i.next_update_at) : 'the cadence'}.`;

export const severityChangedText = (i: Incident, from: Severity): string =>
  `${i.id} is now ${i.severity} (was ${from}); updates ${SEVERITY_POLICIES[i.severity].updateText}, timers re-planned.`;

export const ownerChangedText = (i: Incident): string => `${userRef(i.owner_id)} now owns ${i.id}.`;

export const noteAddedText = (i: Incident): string => `Note added to ${i.id}'s timeline.`;

export const attachedText = (i: Incident, command: string): string => `Added \`${command}\` to ${i.id}'s timeline.`;

export const escalatedText = (r: Escalated): string => {
  const who = ESCALATION_TARGET_TEXT[r.target];
  const paged = r.pagedInPagerDuty ? ` Paging them through PagerDuty too.` : '';
  return r.contactId
    ? `Escalated ${r.incident.id} to the ${who}, ${userRef(r.contactId)}, in its thread.${paged}`
    : r.pagedInPagerDuty
      ? `Escalated ${r.incident.id} in its thread and paging the ${who} through PagerDuty (no Slack user in \`${ESCALATION_CONTACTS[r.target].configKey}\` to mention).`
      : `Escalated ${r.incident.id} in its thread, but no ${who} is configured (\`${ESCALATION_CONTACTS[r.target].configKey}\`): page them by hand.`;
};

export const resolvedText = (r: Resolved, now: Date): string => {
  const duration = formatDuration(now.getTime() - new Date(r.incident.opened_at).getTime());
  const n = r.firingAlerts.length;
  const still = n > 0 ? ` ${n} alert${n === 1 ? ' is' : 's are'} still firing: ${r.firingAlerts.join(', ')}.` : '';
  return `${r.incident.id} resolved after ${duration}; review due by ${dayTime(r.reviewDue)}.${still}`;
};

export const alertsResolvedText = (r: AlertsResolved): string => {
  const warning = r.notWritten.length > 0 ? ` metrics.db could not be updated (${r.notWritten[0]!.problem})` : '';
  return `Resolved ${r.resolved.length} alert${r.resolved.length === 1 ? '' : 's'} of ${r.incident.id}: ${r.resolved.join(', ')}.${warning}`;
};

export const reopenedText = (i: Incident): string =>
  `${i.id} reopened: investigating again; next update due ${i.next_update_at ? hhmm(i.next_update_at) : 'on the cadence'}.`;

export const reviewDoneText = (i: Incident): string => `Review of ${i.id} marked done; the reminder is off.`;

export const snoozedText = (r: Snoozed): string => {
  const what = TIMER_KIND_TEXT[r.kind];
  const subject = r.incidentId ? `the ${r.incidentId} ${what}` : `the ${what} of this alert`;
  return `Snoozed until ${hhmm(r.until)}: ${subject} comes back then.`;
};
