/**
 * The buttons on incident messages and answers, and the action ids their handlers listen for.
 * Each button stands for a subcommand: its handler runs that subcommand through the registry.
 */
import type { types } from '@slack/bolt';
import { z } from 'zod';
import { safeMrkdwn } from './block-kit.js';
import { button } from './message-parts.js';
import type { Incident } from '../db/state/state-records.js';
import type { Report } from './report.js';

export const ALERT_ACK_ACTION = 'atlas_alert_ack';
export const ALERT_HEALTH_ACTION = 'atlas_alert_health';

/**
 * Snooze buttons. Slack wants action ids unique within a block, so each button's id is this
 * prefix plus its minutes (`atlas_timer_snooze:30`); the value is `${timerId}:${minutes}`.
 */
export const TIMER_SNOOZE_ACTION = 'atlas_timer_snooze';
export const SNOOZE_MINUTES = [30, 60, 120] as const;

/** Buttons on reminders and answers; the value is the incident id unless said otherwise. */
export const INCIDENT_ESCALATE_ACTION = 'atlas_incident_escalate'; // value `${incidentId}:${target}`
export const INCIDENT_UPDATE_ACTION = 'atlas_incident_update';
export const INCIDENT_RESOLVE_ALERTS_ACTION = 'atlas_incident_resolve_alerts';
export const INCIDENT_REVIEW_DONE_ACTION = 'atlas_incident_review_done';
export const INCIDENT_ATTACH_ACTION = 'atlas_incident_attach'; // value: JSON {incidentId, command, headline}
/** Hand to the secondary (the break nudge): runs `own <INC> <secondary>`; value `${incidentId}:${userId}`. */
export const INCIDENT_HAND_SECONDARY_ACTION = 'atlas_incident_hand_secondary';
/** The debrief meeting is scheduled (the review reminder): runs `debrief-done <INC>`. */
export const INCIDENT_DEBRIEF_DONE_ACTION = 'atlas_incident_debrief_done';

/**
 * The status card's own buttons. Each runs the subcommand it names, through the registry, with
 * the incident id as its value: Update, Escalate, Severity and Resolve open that command's form;
 * Take over runs `own <INC>`; on a resolved card Reopen runs `reopen <INC>` and Review `review <INC>`.
 */
export const CARD_UPDATE_ACTION = 'atlas_card_update';
export const CARD_ESCALATE_ACTION = 'atlas_card_escalate';
export const CARD_SEVERITY_ACTION = 'atlas_card_severity';
export const CARD_RESOLVE_ACTION = 'atlas_card_resolve';
export const CARD_TAKE_OVER_ACTION = 'atlas_card_take_over';
export const CARD_REOPEN_ACTION = 'atlas_card_reopen';
export const CARD_REVIEW_ACTION = 'atlas_card_review';

/** The card's actions block: five buttons on an open incident, two on a resolved one (Slack allows 25). */
export function incidentCardActions(incident: Pick<Incident, 'id' | 'status'>): types.KnownBlock {
  const id = incident.id;
  const elements =
    incident.status === 'resolved'
      ? [button(CARD_REOPEN_ACTION, 'Reopen', id), button(CARD_REVIEW_ACTION, 'Review', id, 'primary')]
      : [
          button(CARD_UPDATE_ACTION, 'Update', id, 'primary'),
          button(CARD_ESCALATE_ACTION, 'Escalate', id),
          button(CARD_SEVERITY_ACTION, 'Severity', id),
          button(CARD_RESOLVE_ACTION, 'Resolve', id),
          button(CARD_TAKE_OVER_ACTION, 'Take over', id),
        ];
  return { type: 'actions', block_id: 'atlas_incident_card', elements };
}

function snoozeLabel(minutes: number): string {
  return minutes < 60 ? `${minutes} min` : `${minutes / 60} h`;
}

/** The Snooze 30 min / 1 h / 2 h buttons of a reminder. */
export function snoozeButtons(timerId: number): types.Button[] {
  return SNOOZE_MINUTES.map((m) => button(`${TIMER_SNOOZE_ACTION}:${m}`, `Snooze ${snoozeLabel(m)}`, `${timerId}:${m}`));
}

/** After a resolution: alerts of the incident still firing, with one button to resolve them. */
export function firingAlertsPrompt(incidentId: string, alertNames: readonly string[]): types.KnownBlock[] {
  const shown = alertNames.slice(0, 10).map((n) => `*${safeMrkdwn(n, 150)}*`).join(', ');
  const more = alertNames.length > 10 ? ` and ${alertNames.length - 10} more` : '';
  const count = alertNames.length === 1 ? '1 alert is' : `${alertNames.length} alerts are`;
  return [
    { type: 'section', text: { type: 'mrkdwn', verbatim: true, text: `${incidentId} is resolved but ${count} still firing: ${shown}${more}. Resolve them in metrics.db too?` } },
    { type: 'actions', elements: [button(INCIDENT_RESOLVE_ALERTS_ACTION, 'Resolve firing alerts', incidentId, 'primary')] },
  ];
}

const resolveResultSchema = z.object({ incidentId: z.string(), firingAlerts: z.array(z.string()).min(1) });

/** The "Resolve firing alerts" offer for a `resolve` answer whose incident still has alerts firing. */
export function resolveAlertsOffer(report: Report): types.KnownBlock[] {
  if (report.command !== 'resolve') return [];
  const parsed = resolveResultSchema.safeParse(report.data);
  return parsed.success ? firingAlertsPrompt(parsed.data.incidentId, parsed.data.firingAlerts) : [];
}

/** The longest headline an "Add to INC" button carries; its value is capped at 2000 characters. */
const ATTACH_HEADLINE_MAX = 1500;

/**
 * An actions block for a diagnostic answer while exactly one incident is open: "Add to INC-…"
 * puts the answer's headline on the incident's timeline.
 */
export function attachToIncidentBlock(incidentId: string, command: string, headline: string): types.KnownBlock {
  const value = { incidentId, command: command.slice(0, 60), headline: headline.slice(0, ATTACH_HEADLINE_MAX) };
  return { type: 'actions', elements: [button(INCIDENT_ATTACH_ACTION, `Add to ${incidentId}`.slice(0, 75), JSON.stringify(value))] };
}
