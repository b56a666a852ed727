/**
 * Which Slack messages an event causes, and in which lane: everything about one alert (each of
 * its firings, their incidents' cards and threads, reminders, closing notes) shares one lane, and
 * a declared incident has its own, so it goes out in the order it happened. Thread and channel messages are
 * rendered now, from the event; the anchor message itself is a refresh, rendered from the
 * current state when it is sent.
 */
import type { Config } from '../config.js';
import type { OutboxMessage, OutboxPayload } from '../db/state/outbox-store.js';
import { alertAnchor, type Incident } from '../db/state/state-records.js';
import type { DomainEvent } from '../incidents/domain-events.js';
import { ESCALATION_CONTACTS } from '../incidents/escalation-contacts.js';
import { alertMessage } from '../templates/alert-message.js';
import { alertGroupMessage } from '../templates/alert-group-messages.js';
import type { SlackMessage } from '../templates/block-kit.js';
import {
  ackDetailsMessage,
  alertNoteMessage,
  alertsResolvedMessage,
  attachedResultMessage,
  escalationMessage,
  incidentClosedMessage,
  incidentReopenedMessage,
  initialResponseMessage,
  noteMessage,
  ownerChangedMessage,
  postIncidentChecklistMessage,
  resolutionMessage,
  reviewDoneMessage,
  severityChangedMessage,
  statusUpdateMessage,
} from '../templates/incident-messages.js';
import { reviewIssueFiledMessage } from '../templates/github-messages.js';
import { pagerdutyNotSyncedMessage } from '../templates/pagerduty-messages.js';
import { handoffMessage } from '../templates/handoff-message.js';
import { debriefOfferMessage, debriefScheduledMessage, reliefToPrimaryMessage, reliefToSecondaryMessage } from '../templates/health-messages.js';
import { handoffReminderMessage, postedByHand } from '../templates/handoff-notices.js';
import { reminderMessage, snoozedMessage } from '../templates/reminder-messages.js';
import { previewExpiredMessage, remediationAppliedMessage, remediationInterruptedMessage } from '../templates/remediation-messages.js';
import { RESPONSE_URL_TARGET, type ResponseUrlCall } from '../slack/response-url-sender.js';
import { auditHeadMessage } from '../templates/audit-head.js';
import { weeklyReportMessage } from '../templates/reliability-report.js';

/** The post-incident checklist of an incident: a reply in its thread, edited as its items get done. */
export const checklistAnchor = (incidentId: string): string => `checklist:${incidentId}`;

/** An alert's firings (`alert:<key>:<n>`) share the alert's lane: a firing's end goes out before the next one begins. */
export const laneOf = (anchor: string): string => anchor.replace(/^(alert:.+):\d+$/, '$1');

/** The handoffs and their reminders go out in the order they were decided. */
/** The handoff's messages go out in this order, its charts after it. */
export const HANDOFF_LANE = 'handoff';
/** The on-call engineer's health DMs (relief after night pages) go out in the order they were decided. */
const HEALTH_LANE = 'oncall-health';
/** The weekly reliability reports go out in the order they were due. */
export const REPORT_LANE = 'reliability-report';
/** Remediations told in the channel (no incident open) go out in the order they were applied. */
const REMEDIATION_LANE = 'remediation';

const payload = (m: SlackMessage, extra: Partial<OutboxPayload> = {}): OutboxPayload => ({ text: m.text, blocks: m.blocks, ...extra });

export function eventMessages(event: DomainEvent, config: Pick<Config, 'channels'>, now: Date): OutboxMessage[] {
  const channel = config.channels.incidents ?? null;
  const refresh = (anchor: string, fallback?: SlackMessage): OutboxMessage => ({
    lane: laneOf(anchor),
    op: 'refresh',
    anchor,
    channel,
    ...(fallback ? { payload: payload(fallback) } : {}),
  });
  /** A reply in the thread of the anchor message (an incident's card); the channel serves when it was never posted. */
  const reply = (on: Incident | string, m: SlackMessage, extra: Partial<OutboxPayload> = {}): OutboxMessage => {
    const anchor = typeof on === 'string' ? on : on.anchor;
    return { lane: laneOf(anchor), op: 'reply', anchor, channel, payload: payload(m, extra) };
  };
  /** The checklist edited in place, in the incident's lane (after the reply that posted it); never posted anew. */
  const checklist = (i: Incident): OutboxMessage[] =>
    i.status === 'resolved' ? [{ lane: laneOf(i.anchor), op: 'refresh', anchor: checklistAnchor(i.id), channel, payload: { text: `${i.id} post-incident checklist`, editOnly: true } }] : [];
  /** A top-level message in the anchor's channel, after everything already in its lane. */
  const beside = (anchor: string, m: SlackMessage): OutboxMessage => ({ lane: laneOf(anchor), op: 'post', anchor, channel, payload: payload(m) });

  switch (event.type) {
    case 'alert-raised':
      return [refresh(alertAnchor(event.alert))];
    case 'alert-resolved': {
      const a = event.alert;
      // The fallback shows how this firing ended, should the alert fire again before the edit goes out.
      const out = [refresh(alertAnchor(a), alertMessage(a, now))];
      return a.incident_id ? [...out, reply(alertAnchor(a), alertNoteMessage(a.name, 'resolved', a.resolved_at ?? now))] : out;
    }
    case 'alert-refired':
      return [reply(event.incident, alertNoteMessage(event.alert.name, 'refired', now))];
    case 'alert-group-changed': {
      // Said in the thread of the group's message (the incident's card once acknowledged), and shown on it.
      const anchor = event.incident?.anchor ?? alertAnchor(event.lead);
      return [reply(anchor, alertGroupMessage(event)), refresh(anchor)];
    }
    case 'incident-opened':
      return [refresh(event.incident.anchor), reply(event.incident, initialResponseMessage({ incident: event.incident, how: event.how, immediateEscalation: event.immediateEscalation }))];
    case 'ack-details-set':
      return [reply(event.incident, ackDetailsMessage(event.incident, event.actor)), refresh(event.incident.anchor)];
    case 'status-updated':
      return [reply(event.incident, statusUpdateMessage(event.incident, event.update, now, event.actor)), refresh(event.incident.anchor)];
    case 'severity-changed':
      return [reply(event.incident, severityChangedMessage(event.incident, event.from, event.actor)), refresh(event.incident.anchor)];
    case 'owner-changed':
      return [reply(event.incident, ownerChangedMessage(event.incident, event.previous, event.actor)), refresh(event.incident.anchor)];
    case 'note-added':
      return [reply(event.incident, noteMessage(event.incident, event.text, event.actor)), refresh(event.incident.anchor)];
    case 'result-attached':
      return [reply(event.incident, attachedResultMessage(event.incident, { headline: event.headline, command: event.command }, event.actor))];
    case 'escalated': {
      const m = escalationMessage({
        incident: event.incident,
        target: event.target,
        contactId: event.contactId,
        configKey: ESCALATION_CONTACTS[event.target].configKey,
        at: now,
        history: event.history,
        reason: event.reason,
        need: event.need,
        actorId: event.actor,
        pagedInPagerDuty: event.pagedInPagerDuty === true,
      });
      return [reply(event.incident, m, event.incident.severity === 'P0' ? { broadcast: true } : {}), refresh(event.incident.anchor)];
    }
    case 'incident-resolved': {
      const i = event.incident;
      return [
        reply(i, resolutionMessage(i, event.reviewDue, event.actor)),
        reply(i, postIncidentChecklistMessage(i, { firingAlerts: event.firingAlerts, reviewDue: event.reviewDue, reviewIssue: event.reviewIssue ?? null }), { names: checklistAnchor(i.id) }),
        beside(i.anchor, incidentClosedMessage(i)),
        refresh(i.anchor),
      ];
    }
    case 'incident-reopened':
      // Said in the thread and in the channel (the channel heard it close); the card shows it open again.
      return [reply(event.incident, incidentReopenedMessage(event.incident, event.actor), { broadcast: true }), refresh(event.incident.anchor)];
    case 'alerts-resolved':
      // The incident's alerts are on its card (its anchor is their message): one reply, and the card shows them resolved.
      return [
        reply(event.incident, alertsResolvedMessage(event.incident, event.names, event.notWritten.map((n) => n.name), event.actor)),
        refresh(event.incident.anchor),
        ...checklist(event.incident),
      ];
    case 'review-done':
      return [reply(event.incident, reviewDoneMessage(event.incident, event.actor)), refresh(event.incident.anchor), ...checklist(event.incident)];
    case 'review-issue-filed':
      return [reply(event.incident, reviewIssueFiledMessage(event)), ...checklist(event.incident)];
    case 'pagerduty-not-synced':
      // Said in the thread of the message it concerns, and shown on that message until a later change goes through.
      return [reply(event.anchor, pagerdutyNotSyncedMessage(event)), refresh(event.anchor)];
    case 'pagerduty-call-progressed':
      return [refresh(event.anchor)];
    case 'reminder-fired': {
      const r = event.reminder;
      const m = reminderMessage(r, now);
      // The alert's message no longer says it is snoozed once its reminder has come back.
      if (r.kind === 'ack-reminder' || r.kind === 'ack-secondary') return [beside(alertAnchor(r.alert), m), refresh(alertAnchor(r.alert))];
      // The card shows the next deadline, which just moved.
      return [reply(r.incident, m), refresh(r.incident.anchor)];
    }
    case 'handoff-posted': {
      const m = handoffMessage(event.handoff);
      const posted = event.postedBy ? postedByHand(m, event.postedBy, event.nextScheduled, event.handoff.timezone) : m;
      return config.channels.handoff ? [{ lane: HANDOFF_LANE, op: 'post', channel: config.channels.handoff, payload: payload(posted) }] : [];
    }
    case 'remediation-applied': {
      const m = remediationAppliedMessage(event);
      if (event.incident) return [reply(event.incident, m)];
      return channel ? [{ lane: REMEDIATION_LANE, op: 'post', channel, payload: payload(m) }] : [];
    }
    case 'remediation-interrupted': {
      // The team's channel; without one, where it was confirmed (a channel, or the person's DM by their user id).
      const to = channel ?? event.channelId ?? event.actor;
      return [{ lane: REMEDIATION_LANE, op: 'post', channel: to, payload: payload(remediationInterruptedMessage(event)) }];
    }
    case 'preview-expired': {
      // The preview is an ephemeral message: only its response_url can replace it. Its own lane.
      const m = previewExpiredMessage(event);
      const call: ResponseUrlCall = { target: RESPONSE_URL_TARGET, url: event.responseUrl, text: m.text, blocks: m.blocks };
      return [{ lane: `preview:${event.token}`, op: 'call', payload: { text: m.text, call } }];
    }
    case 'audit-head-published':
      return config.channels.handoff ? [{ lane: HANDOFF_LANE, op: 'post', channel: config.channels.handoff, payload: payload(auditHeadMessage(event)) }] : [];
    case 'reliability-report-posted':
      return [{ lane: REPORT_LANE, op: 'post', channel: event.channel, payload: payload(weeklyReportMessage(event.report, event.names, event.late ? event.dueAt : null)) }];
    case 'chart-drawn': {
      const c = event.chart;
      const by = c.requestedBy ? ` (asked by <@${c.requestedBy}>)` : '';
      return [
        {
          lane: c.lane ?? (c.anchor ? laneOf(c.anchor) : `chart:${c.channel}`),
          op: 'upload',
          anchor: c.anchor ?? null,
          channel: c.channel,
          payload: { text: `${c.title}: ${c.altText}`, upload: { filename: `${c.what}-chart.png`, title: c.title, altText: c.altText, initialComment: `${c.altText}${by}` } },
          file: c.png,
        },
      ];
    }
    case 'handoff-reminder':
      // A user ID as the channel: delivery opens the DM with that person.
      return [{ lane: HANDOFF_LANE, op: 'post', channel: event.outgoing, payload: payload(handoffReminderMessage(event, now)) }];
    case 'relief-suggested': {
      // A user ID as the channel: delivery opens the DM with that person.
      const toPrimary: OutboxMessage = { lane: HEALTH_LANE, op: 'post', channel: event.primary, payload: payload(reliefToPrimaryMessage(event)) };
      return event.secondary ? [toPrimary, { lane: HEALTH_LANE, op: 'post', channel: event.secondary, payload: payload(reliefToSecondaryMessage(event)) }] : [toPrimary];
    }
    case 'debrief-offered': {
      const m = debriefOfferMessage(event.incident, event.suggestedAt, event.timezone);
      return event.responders.map((user): OutboxMessage => ({ lane: laneOf(event.incident.anchor), op: 'post', channel: user, payload: payload(m) }));
    }
    case 'debrief-scheduled':
      return [reply(event.incident, debriefScheduledMessage(event.incident, event.actor)), ...checklist(event.incident)];
    case 'reminder-snoozed':
      // Told in the thread of what it is about, and shown on the card (a refresh) until it comes back.
      return event.anchor ? [reply(event.anchor, snoozedMessage(event)), refresh(event.anchor)] : [];
    case 'atlas-not-updated':
      return [];
  }
}
