import { alertAnchor, type AlertRecord } from '../db/state/state-records.js';
import { pagerdutyLane } from '../db/state/pagerduty-store.js';
import type { StateStore } from '../db/state/state-store.js';
import { nextDeadline } from '../incidents/incident-queries.js';
import { alertMessage } from '../templates/alert-message.js';
import type { SlackMessage } from '../templates/block-kit.js';
import { incidentCard } from '../templates/incident-card.js';
import { groupLineBlock } from '../templates/alert-group-messages.js';
import type { PagerDutyOnCard } from '../templates/pagerduty-messages.js';

/**
 * The message named by an anchor, rendered from the current state: an incident's status card, or
 * an alert's message while nobody has acknowledged it. Null when the anchor names nothing the
 * state still shows (an alert that has fired again since: its new firing has its own message).
 */
export function liveMessage(state: StateStore, anchor: string, now: Date): SlackMessage | null {
  const incident = state.incidents.byAnchor(anchor);
  if (incident) {
    const alert = incident.alert_key ? state.alerts.get(incident.alert_key) : null;
    // The alert line belongs on the card only while the alert is still this firing.
    const sameFiring = alert && alertAnchor(alert) === incident.anchor ? alert : null;
    const card = incidentCard(incident, sameFiring, now, nextDeadline(state, incident.id), pagerdutyOf(state, anchor, alert ?? null));
    return alert ? withGroupLine(state, alert, card) : card;
  }
  const m = /^alert:(.+):(\d+)$/.exec(anchor);
  if (!m) return null;
  const alert = state.alerts.get(m[1]!);
  if (!alert || alert.fire_count !== Number(m[2])) return null;
  return withGroupLine(state, alert, alertMessage(alert, now, pagerdutyOf(state, anchor, alert)));
}

/** The alerts that joined this one's group, as a line before the message's buttons. */
function withGroupLine(state: StateStore, lead: AlertRecord, m: SlackMessage): SlackMessage {
  const line = groupLineBlock(lead.group_key, state.alerts.membersOf(lead.key));
  if (!line) return m;
  const blocks = [...(m.blocks ?? [])];
  const at = blocks.findIndex((b) => b.type === 'actions');
  blocks.splice(at === -1 ? blocks.length : at, 0, line);
  return { ...m, blocks };
}

/** Where PagerDuty stands for the message's alert, and what it could not be told. */
function pagerdutyOf(state: StateStore, anchor: string, alert: AlertRecord | null): PagerDutyOnCard {
  return {
    link: alert ? state.pagerduty.currentLink(alert) : null,
    page: alert ? state.pagerduty.page(alert.key, alert.fire_count) : null,
    problem: state.pagerduty.problem(anchor),
    sending: alert ? state.outbox.pendingCall(pagerdutyLane(alert.key)) : null,
  };
}
