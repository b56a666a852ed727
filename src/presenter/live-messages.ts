import { alertAnchor, type AlertRecord } from '../db/state/state-records.js';
import { pagerdutyLane } from '../db/state/pagerduty-store.js';
import type { StateStore } from '../db/state/state-store.js';
import { nextDeadline } from '../incidents/incident-queries.js';
import { plusMinutes, REVIEW_REMINDER_MINUTES } from '../incidents/timer-plan.js';
import { postIncidentChecklistMessage } from '../templates/incident-messages.js';
import { alertMessage, type AlertSnoozeLine } from '../templates/alert-message.js';
import type { SlackMessage } from '../templates/block-kit.js';
import { incidentCard, type CardSnooze } from '../templates/incident-card.js';
import { groupLineBlock } from '../templates/alert-group-messages.js';
import type { PagerDutyOnCard } from '../templates/pagerduty-messages.js';

/**
 * The message named by an anchor, rendered from the current state: an incident's status card, or
 * an alert's message while nobody has acknowledged it. Null when the anchor names nothing the
 * state still shows (an alert that has fired again since: its new firing has its own message).
 */
export async function liveMessage(state: StateStore, anchor: string, now: Date): Promise<SlackMessage | null> {
  const incident = await state.incidents.byAnchor(anchor);
  if (incident) {
    const alert = incident.alert_key ? await state.alerts.get(incident.alert_key) : null;
    // The alert line belongs on the card only while the alert is still this firing.
    const sameFiring = alert && alertAnchor(alert) === incident.anchor ? alert : null;
    const card = incidentCard(incident, sameFiring, now, await nextDeadline(state, incident.id), await pagerdutyOf(state, anchor, alert ?? null), await snoozeOf(state, incident.id));
    return alert ? await withGroupLine(state, alert, card) : card;
  }
  const checklist = /^checklist:(.+)$/.exec(anchor);
  if (checklist) return await checklistMessage(state, checklist[1]!);
  const m = /^alert:(.+):(\d+)$/.exec(anchor);
  if (!m) return null;
  const alert = await state.alerts.get(m[1]!);
  if (!alert || alert.fire_count !== Number(m[2])) return null;
  return await withGroupLine(state, alert, alertMessage(alert, now, await pagerdutyOf(state, anchor, alert), await alertSnoozeOf(state, alert)));
}

/**
 * The snooze of an alert nobody has acknowledged, while the reminder it moved is still to come:
 * gone once it comes back, the alert is acknowledged or resolved, or it fires again.
 */
async function alertSnoozeOf(state: StateStore, alert: AlertRecord): Promise<AlertSnoozeLine | null> {
  if (alert.status !== 'firing' || alert.incident_id || alert.acknowledged_at) return null;
  const s = await state.alertSnoozes.get(alert.key);
  if (!s || s.fire_count !== alert.fire_count || !await state.timers.isPending(s.timer_id)) return null;
  return { by: s.snoozed_by, until: s.until };
}

/** The alerts that joined this one's group, as a line before the message's buttons. */
async function withGroupLine(state: StateStore, lead: AlertRecord, m: SlackMessage): Promise<SlackMessage> {
  const line = groupLineBlock(lead.group_key, await state.alerts.membersOf(lead.key));
  if (!line) return m;
  const blocks = [...(m.blocks ?? [])];
  const at = blocks.findIndex((b) => b.type === 'actions');
  blocks.splice(at === -1 ? blocks.length : at, 0, line);
  return { ...m, blocks };
}

/** A resolved incident's post-incident checklist as it stands now; null once the incident is open again. */
async function checklistMessage(state: StateStore, incidentId: string): Promise<SlackMessage | null> {
  const incident = await state.incidents.get(incidentId);
  if (!incident || incident.status !== 'resolved' || !incident.resolved_at) return null;
  const events = await state.timeline.list(incidentId);
  const link = await state.githubIssues.get(incidentId);
  return postIncidentChecklistMessage(incident, {
    firingAlerts: (await state.alerts.firingOf(incidentId)).map((a) => a.name),
    reviewDue: plusMinutes(incident.resolved_at, REVIEW_REMINDER_MINUTES),
    reviewIssue: link?.state === 'created' && link.number !== null && link.html_url !== null ? { repo: link.repo, number: link.number, url: link.html_url } : null,
    debriefScheduledAt: events.find((e) => e.kind === 'debrief-scheduled')?.at ?? null,
    reviewDoneAt: incident.review_done_at,
  });
}

/** The incident's latest snooze while the reminder it moved is still to come: shown on the card. */
async function snoozeOf(state: StateStore, incidentId: string): Promise<CardSnooze | null> {
  const latest = (await state.timeline.list(incidentId)).filter((e) => e.kind === 'snooze').at(-1);
  if (!latest?.data) return null;
  try {
    const d = JSON.parse(latest.data) as { timer?: unknown; to?: unknown };
    if (typeof d.to !== 'number' || typeof d.timer !== 'string') return null;
    const timer = await state.timers.get(d.to);
    if (!timer || !await state.timers.isPending(timer.id)) return null;
    return { kind: timer.kind, until: timer.due_at, by: latest.actor };
  } catch {
    return null;
  }
}

/** Where PagerDuty stands for the message's alert, and what it could not be told. */
async function pagerdutyOf(state: StateStore, anchor: string, alert: AlertRecord | null): Promise<PagerDutyOnCard> {
  return {
    link: alert ? await state.pagerduty.currentLink(alert) : null,
    page: alert ? await state.pagerduty.page(alert.key, alert.fire_count) : null,
    problem: await state.pagerduty.problem(anchor),
    sending: alert ? await state.outbox.pendingCall(pagerdutyLane(alert.key)) : null,
  };
}
