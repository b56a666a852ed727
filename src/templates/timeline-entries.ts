/** The timeline lines an event leaves on its incident: plain text, no mentions, for the timeline and the review. */
import type { NewTimelineEntry } from '../db/state/timeline-store.js';
import type { DomainEvent, Reminder } from '../incidents/domain-events.js';
import { ESCALATION_TARGET_TEXT } from '../incidents/severity-matrix.js';
import { formatDuration } from '../time/atlas-time.js';
import { TIMER_KIND_TEXT } from './reminder-messages.js';
import { hhmm } from './slack-time.js';

export interface TimelineLine extends NewTimelineEntry {
  incidentId: string;
}

function reminderText(r: Reminder, now: Date): string {
  switch (r.kind) {
    case 'update-due':
      return `Reminder: no status update for ${formatDuration(now.getTime() - new Date(r.lastUpdateAt).getTime())}`;
    case 'escalate-tech-lead':
      return `Reminder: escalate to the tech lead${r.contact ? '' : ' (none configured)'}`;
    case 'escalate-cto':
      return `Reminder: escalate to the CTO${r.contact ? '' : ' (none configured)'}`;
    case 'handoff-suggest':
      return 'Reminder: open past 4 h, consider a handoff';
    case 'break-nudge':
      return `Reminder: ${r.owner} active for ${formatDuration(now.getTime() - new Date(r.ownerSince).getTime())}, take a break`;
    case 'review-reminder':
      return 'Reminder: post-incident review not marked done';
    default:
      return `Reminder: ${TIMER_KIND_TEXT[r.kind]}`;
  }
}

const DECLARED_WHY = { given: 'as declared', default: 'no symptom matched: P2 by default' } as const;

export function timelineLines(event: DomainEvent, now: Date): TimelineLine[] {
  const line = (incidentId: string, kind: string, actor: string, text: string, data?: unknown, at: Date = now): TimelineLine => ({
    incidentId,
    at,
    actor,
    kind,
    text,
    ...(data === undefined ? {} : { data }),
  });
  switch (event.type) {
    case 'incident-opened': {
      const i = event.incident;
      if (event.how === 'declare') {
        const why = event.basis.kind === 'symptom' ? `matches "${event.basis.title}"` : DECLARED_WHY[event.basis.kind];
        return [line(i.id, 'declared', i.created_by, `Declared ${i.severity} (${why}): ${i.title.slice(0, 500)}`)];
      }
      const a = event.alert;
      return [
        line(i.id, 'alert-fired', 'bot', `Alert ${a.name} fired${a.message ? `: ${a.message.slice(0, 500)}` : ''}`, { alertKey: a.key, severity: a.severity }, new Date(a.fired_at)),
        line(i.id, 'acknowledged', i.created_by, `Acknowledged after ${formatDuration((i.ack_seconds ?? 0) * 1000)}; incident opened (${i.severity})`),
      ];
    }
    case 'ack-details-set':
      return [
        line(event.incident.id, 'ack-details', event.actor, [event.impact ? `Impact: ${event.impact}` : '', event.eta ? `next update ${hhmm(event.eta)}` : ''].filter(Boolean).join(' · ')),
      ];
    case 'status-updated': {
      const u = event.update;
      const changed = u.status ? ` (status ${event.previousStatus} → ${u.status})` : '';
      return [line(event.incident.id, 'status-update', event.actor, `Update: ${u.summary.slice(0, 500)}${changed}`, u)];
    }
    case 'severity-changed':
      return [line(event.incident.id, 'severity', event.actor, `Severity ${event.from} → ${event.incident.severity}`, { from: event.from, to: event.incident.severity })];
    case 'owner-changed':
      return [
        line(event.incident.id, 'owner', event.actor, `Owner ${event.previous ?? 'nobody'} → ${event.incident.owner_id}`, { from: event.previous, to: event.incident.owner_id }),
      ];
    case 'note-added':
      return [line(event.incident.id, 'note', event.actor, event.text)];
    case 'result-attached':
      return [line(event.incident.id, 'attached', event.actor, `${event.command}: ${event.headline.slice(0, 1000)}`, { command: event.command, headline: event.headline })];
    case 'escalated': {
      const who = ESCALATION_TARGET_TEXT[event.target];
      const text = `Escalated to the ${who}${event.contactId ? ` (${event.contactId})` : ' (not configured)'}${event.need ? `: ${event.need.slice(0, 300)}` : ''}`;
      return [line(event.incident.id, 'escalated', event.actor, text, { target: event.target, contactId: event.contactId })];
    }
    case 'incident-resolved': {
      const i = event.incident;
      const duration = formatDuration(now.getTime() - new Date(i.opened_at).getTime());
      return [line(i.id, 'resolved', event.actor, `Resolved after ${duration}: ${(i.resolution ?? '').slice(0, 500)}`)];
    }
    case 'incident-reopened':
      return [line(event.incident.id, 'reopened', event.actor, 'Reopened: investigating again')];
    case 'alerts-resolved':
      return [
        line(event.incident.id, 'alerts-resolved', event.actor, `Resolved firing alerts: ${event.names.join(', ')}`),
        ...event.notWritten.map((n) => line(event.incident.id, 'bot-note', 'bot', `metrics.db not updated for ${n.name}: ${n.problem}`)),
      ];
    case 'review-done':
      return [line(event.incident.id, 'review-done', event.actor, 'Post-incident review marked done')];
    case 'review-issue-filed':
      return [line(event.incident.id, 'review-issue', event.actor, `GitHub issue ${event.repo}#${event.number} filed for the post-incident review: ${event.url}`, { repo: event.repo, number: event.number, url: event.url })];
    case 'reminder-fired': {
      const r = event.reminder;
      if (r.kind === 'ack-reminder' || r.kind === 'ack-secondary') return [];
      return [line(r.incident.id, 'reminder', 'bot', reminderText(r, now), { timer: r.kind, timerId: r.timerId })];
    }
    case 'reminder-snoozed': {
      if (!event.incidentId) return [];
      const span = event.minutes % 60 === 0 ? `${event.minutes / 60} h` : `${event.minutes} min`;
      const text = `${TIMER_KIND_TEXT[event.kind]} snoozed for ${span}, until ${hhmm(event.until)}`;
      return [line(event.incidentId, 'snooze', event.actor, text, { timer: event.kind, from: event.from, to: event.to, minutes: event.minutes })];
    }
    case 'debrief-offered':
      return [line(event.incident.id, 'debrief-offered', 'bot', `Debrief offered to ${event.responders.join(', ')}, suggested ${event.suggestedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`)];
    case 'debrief-scheduled':
      return [line(event.incident.id, 'debrief-scheduled', event.actor, 'Debrief meeting marked scheduled')];
    case 'atlas-not-updated':
      return [line(event.incident.id, 'bot-note', 'bot', `metrics.db not updated (${event.what}): ${event.problem}`)];
    case 'alert-resolved': {
      const a = event.alert;
      return a.incident_id ? [line(a.incident_id, 'alert-resolved', 'bot', `Alert ${a.name} resolved at ${hhmm(a.resolved_at ?? now)}.`)] : [];
    }
    case 'alert-refired':
      return [line(event.incident.id, 'alert-refired', 'bot', `Alert ${event.alert.name} fired again at ${hhmm(now)}; posted as a new alert.`)];
    case 'alert-group-changed': {
      if (!event.incident) return [];
      const a = event.alert;
      const text =
        event.change === 'joined'
          ? `Alert ${a.name} joined the incident's group (${a.group_reason ?? a.group_key ?? ''})`
          : `Alert ${a.name} resolved at ${hhmm(a.resolved_at ?? now)}${event.stillFiring.length === 0 ? '; the group is resolved' : `; still firing: ${event.stillFiring.join(', ')}`}`;
      return [line(event.incident.id, 'bot-note', 'bot', text)];
    }
    case 'remediation-applied':
      return event.incident ? [line(event.incident.id, 'remediation', event.actor, `${event.command}: ${event.headline}`, { undo: event.undo })] : [];
    case 'pagerduty-not-synced':
      return event.incident ? [line(event.incident.id, 'bot-note', 'bot', `PagerDuty not told (${event.action} ${event.alertName}): ${event.problem}`)] : [];
    case 'alert-raised':
    case 'pagerduty-call-progressed':
    case 'relief-suggested':
    case 'handoff-posted':
    case 'remediation-interrupted':
    case 'preview-expired':
    case 'audit-head-published':
    case 'handoff-reminder':
    case 'reliability-report-posted':
    case 'chart-drawn':
      return [];
  }
}
