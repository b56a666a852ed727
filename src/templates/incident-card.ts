import type { types } from '@slack/bolt';
import type { AlertRecord, Incident, TimerKind, TimerRow } from '../db/state/state-records.js';
import { SEVERITY_POLICIES } from '../incidents/severity-matrix.js';
import { formatDuration } from '../time/atlas-time.js';
import { safeMrkdwn, type SlackMessage } from './block-kit.js';
import { incidentCardActions } from './incident-buttons.js';
import { mention } from './people.js';
import { dayTime, hhmm, since } from './slack-time.js';
import { pagerdutyCardLines, type PagerDutyOnCard } from './pagerduty-messages.js';

type KnownBlock = types.KnownBlock;

const STATUS_ICON: Record<Incident['status'], string> = {
  investigating: '🔎',
  identified: '🧭',
  monitoring: '👀',
  resolved: '✅',
};

const field = (text: string) => ({ type: 'mrkdwn' as const, text, verbatim: true });

const SNOOZED_TEXT: Record<TimerKind, string> = {
  'ack-reminder': 'Acknowledge reminder',
  'ack-secondary': 'Secondary on-call reminder',
  'update-due': 'Status update reminder',
  'escalate-tech-lead': 'Tech lead escalation reminder',
  'escalate-cto': 'CTO escalation reminder',
  'handoff-suggest': 'Handoff suggestion',
  'break-nudge': 'Break reminder',
  'review-reminder': 'Review reminder',
};

const DEADLINE_TEXT: Record<TimerKind, string> = {
  'ack-reminder': 'acknowledge reminder',
  'ack-secondary': 'secondary on-call paged',
  'update-due': 'status update due',
  'escalate-tech-lead': 'tech lead escalation',
  'escalate-cto': 'CTO escalation',
  'handoff-suggest': 'handoff suggested',
  'break-nudge': 'owner break due',
  'review-reminder': 'review due',
};

/** A reminder someone snoozed, still to come: the card says so until it does. */
export interface CardSnooze {
  kind: TimerKind;
  until: string;
  by: string;
}

/** "status update due 12:30 UTC (in 25 min)", for the status card and the incident list. */
export function deadlineText(timer: TimerRow | null, now: Date): string | undefined {
  if (!timer) return undefined;
  const due = new Date(timer.due_at);
  const left = due.getTime() - now.getTime();
  const at = left > 86_400_000 ? dayTime(due) : hhmm(due);
  const rel = left > 30_000 ? `in ${formatDuration(left)}` : left < -30_000 ? `overdue ${formatDuration(-left)}` : 'now';
  return `${DEADLINE_TEXT[timer.kind]} ${at} (${rel})`;
}

/** What comes next on an open incident: the earliest pending timer, else the promised update. */
function nextText(incident: Incident, now: Date, nextDeadline: TimerRow | null): string {
  const deadline = deadlineText(nextDeadline, now);
  if (deadline) return safeMrkdwn(deadline, 200);
  if (!incident.next_update_at) return '—';
  const due = new Date(incident.next_update_at);
  return due <= now ? `update overdue since ${hhmm(due)}` : `update due ${hhmm(due)}`;
}

/**
 * The incident's root message, edited in place: severity, status, owner, age, last update and
 * the next deadline (the earliest pending timer).
 * For an alert's incident it replaces the alert message, so it also says who acknowledged it
 * and when. Everything typed by people or alerts is escaped.
 */
export function incidentCard(
  incident: Incident,
  alert: AlertRecord | null,
  now: Date,
  nextDeadline: TimerRow | null,
  pagerduty: PagerDutyOnCard | null = null,
  snoozed: CardSnooze | null = null,
): SlackMessage {
  const resolved = incident.status === 'resolved';
  const icon = STATUS_ICON[incident.status];
  const policy = SEVERITY_POLICIES[incident.severity];
  const title = safeMrkdwn(incident.title, 200);
  const age =
    resolved && incident.resolved_at ? `lasted ${since(incident.opened_at, new Date(incident.resolved_at))}` : `open ${since(incident.opened_at, now)}`;
  const lastUpdate = incident.last_update_at ? `${hhmm(incident.last_update_at)} (${since(incident.last_update_at, now)} ago)` : 'none yet';
  const next = resolved
    ? incident.review_done_at
      ? 'review done'
      : `post-incident review, \`/atlas review ${incident.id}\``
    : nextText(incident, now, nextDeadline);
  const fields = [
    `*Severity* ${incident.severity} · updates ${policy.updateText}`,
    `*Status* ${icon} ${incident.status}`,
    `*Owner* ${mention(incident.owner_id)}`,
    `*Age* ${age} (since ${hhmm(incident.opened_at)})`,
    `*Last update* ${lastUpdate}`,
    `*Next* ${next}`,
  ];
  const blocks: KnownBlock[] = [
    { type: 'section', text: field(`${icon} *${incident.id} · ${incident.severity} · ${title}*`) },
    { type: 'section', fields: fields.map(field) },
  ];
  const notes: string[] = [];
  if (resolved && incident.resolved_at) {
    notes.push(`Resolved ${dayTime(incident.resolved_at)}${incident.resolution ? `: ${safeMrkdwn(incident.resolution, 600)}` : ''}`);
  }
  if (incident.impact) notes.push(`Impact: ${safeMrkdwn(incident.impact, 600)}`);
  if (alert) {
    const alertState = alert.status === 'firing' ? `firing since ${hhmm(alert.fired_at)}` : `resolved ${hhmm(alert.resolved_at ?? alert.updated_at)}`;
    const by = alert.incident_id === incident.id ? (alert.acknowledged_by ?? incident.owner_id) : null;
    const ackAt = alert.acknowledged_at ?? incident.acknowledged_at;
    const ack = by && ackAt ? ` · acknowledged by ${mention(by)} after ${since(alert.fired_at, new Date(ackAt))}` : '';
    notes.push(`Alert ${safeMrkdwn(alert.name, 150)}: ${alertState}${ack}`);
    // A time the source could not mean stays said once the alert became this card.
    if (alert.fired_at_note) notes.push(`⚠️ ${safeMrkdwn(alert.fired_at_note, 300)}`);
  }
  if (snoozed && !resolved) notes.push(`⏰ ${SNOOZED_TEXT[snoozed.kind]} snoozed by ${mention(snoozed.by)} until ${hhmm(snoozed.until)}`);
  notes.push(...pagerdutyCardLines(pagerduty));
  if (notes.length > 0) blocks.push({ type: 'context', elements: notes.slice(0, 10).map(field) });
  blocks.push(incidentCardActions(incident));
  const text = `${icon} ${incident.id} ${incident.severity} ${incident.status}: ${safeMrkdwn(incident.title, 200)}`;
  return { text, blocks };
}
