import type { types } from '@slack/bolt';
import type { AlertRecord, Incident, TimerKind } from '../incidents/incident-types.js';
import { SEVERITY_POLICIES } from '../incidents/severity-matrix.js';
import type { RenderedMessage } from '../slack/outbox.js';
import { ALERT_ACK_ACTION } from './alert-message.js';
import { safeMrkdwn } from './block-kit.js';
import { mention } from './incident-messages.js';
import { since } from './slack-time.js';
import type { Report } from './report.js';
import { z } from 'zod';

type KnownBlock = types.KnownBlock;
type Button = types.Button;

/**
 * Snooze buttons. Slack wants action ids unique within a block, so each button's id is this
 * prefix plus its minutes (`atlas_timer_snooze:30`); the value is `${timerId}:${minutes}`.
 */
export const TIMER_SNOOZE_ACTION = 'atlas_timer_snooze';
export const SNOOZE_MINUTES = [30, 60, 120] as const;
export type SnoozeMinutes = (typeof SNOOZE_MINUTES)[number];

/** Buttons on nudges and prompts; the value is the incident id unless said otherwise. */
export const INCIDENT_ESCALATE_ACTION = 'atlas_incident_escalate'; // value `${incidentId}:${target}`
export const INCIDENT_UPDATE_ACTION = 'atlas_incident_update';
export const INCIDENT_RESOLVE_ALERTS_ACTION = 'atlas_incident_resolve_alerts';
export const INCIDENT_REVIEW_DONE_ACTION = 'atlas_incident_review_done';
export const INCIDENT_ATTACH_ACTION = 'atlas_incident_attach'; // value: JSON {incidentId, command, headline}

/** Who an escalation nudge proposes; the same words `/atlas escalate` takes. */
export type NudgeEscalationTarget = 'techlead' | 'cto';

export type Nudge =
  | { kind: 'ack-reminder'; timerId: number; alert: AlertRecord }
  | { kind: 'ack-secondary'; timerId: number; alert: AlertRecord; secondary: string | null }
  | { kind: 'update-due'; timerId: number; incident: Incident; lastUpdateAt: string }
  | { kind: 'escalate-tech-lead' | 'escalate-cto'; timerId: number; incident: Incident; contact: string | null }
  | { kind: 'handoff-suggest'; timerId: number; incident: Incident; onCallPrimary: string | null }
  | { kind: 'review-reminder'; timerId: number; incident: Incident };

/** Human words for each reminder, used in snooze answers and on the timeline. */
export const TIMER_KIND_TEXT: Readonly<Record<TimerKind, string>> = {
  'ack-reminder': 'acknowledge reminder',
  'ack-secondary': 'secondary on-call reminder',
  'update-due': 'status update reminder',
  'escalate-tech-lead': 'tech lead escalation reminder',
  'escalate-cto': 'CTO escalation reminder',
  'handoff-suggest': 'handoff suggestion',
  'review-reminder': 'post-incident review reminder',
};

const ESCALATION: Record<'escalate-tech-lead' | 'escalate-cto', { target: NudgeEscalationTarget; who: string; configKey: string }> = {
  'escalate-tech-lead': { target: 'techlead', who: 'the tech lead', configKey: 'escalation.techLead' },
  'escalate-cto': { target: 'cto', who: 'the CTO', configKey: 'escalation.cto' },
};

function button(actionId: string, text: string, value: string, style?: 'primary' | 'danger'): Button {
  return { type: 'button', action_id: actionId, text: { type: 'plain_text', text }, value, ...(style ? { style } : {}) };
}

function snoozeLabel(minutes: number): string {
  return minutes < 60 ? `${minutes} min` : `${minutes / 60} h`;
}

/** The Snooze 30 min / 1 h / 2 h buttons of a nudge. */
export function snoozeButtons(timerId: number): Button[] {
  return SNOOZE_MINUTES.map((m) => button(`${TIMER_SNOOZE_ACTION}:${m}`, `Snooze ${snoozeLabel(m)}`, `${timerId}:${m}`));
}

function message(text: string, lines: string[], actions: Button[]): RenderedMessage {
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', verbatim: true, text: lines[0]! } }];
  if (lines.length > 1) {
    blocks.push({ type: 'context', elements: lines.slice(1).map((l) => ({ type: 'mrkdwn' as const, verbatim: true, text: l })) });
  }
  if (actions.length > 0) blocks.push({ type: 'actions', elements: actions });
  return { text, blocks };
}

function incidentName(incident: Incident): string {
  return `${incident.id} (${incident.severity} · ${safeMrkdwn(incident.title, 120)})`;
}

function ownerText(incident: Incident): string {
  return incident.owner_id ? mention(incident.owner_id) : `nobody owns it (\`/atlas own ${incident.id}\`)`;
}

/**
 * The text and blocks of a reminder the clock sends. Alert reminders go to the channel with an
 * Acknowledge button; incident reminders go to the thread and name the owner. Every one has
 * the Snooze buttons.
 */
export function nudgeMessage(nudge: Nudge, now: Date): RenderedMessage {
  const snooze = snoozeButtons(nudge.timerId);
  switch (nudge.kind) {
    case 'ack-reminder':
    case 'ack-secondary': {
      const { alert } = nudge;
      const name = safeMrkdwn(alert.name, 150);
      const waited = since(alert.fired_at, now);
      const ackButton = button(ALERT_ACK_ACTION, 'Acknowledge', alert.key.slice(0, 2000), 'primary');
      if (nudge.kind === 'ack-reminder') {
        const head = `⏰ ${alert.severity} alert *${name}* not acknowledged after ${waited}: whoever is on call, acknowledge it or say who is looking.`;
        return message(`⏰ ${alert.severity} alert ${name} not acknowledged after ${waited}`, [head], [ackButton, ...snooze]);
      }
      const who = nudge.secondary
        ? `${mention(nudge.secondary)} (secondary on-call), please take it.`
        : 'No secondary on-call is configured (`rotation.secondary`): escalate by hand.';
      const head = `📣 ${alert.severity} alert *${name}* still not acknowledged after ${waited}. ${who}`;
      return message(`📣 ${alert.severity} alert ${name} not acknowledged after ${waited}. ${who}`, [head], [ackButton, ...snooze]);
    }
    case 'update-due': {
      const { incident } = nudge;
      const quiet = since(nudge.lastUpdateAt, now);
      const who = incident.owner_id ? `${mention(incident.owner_id)}: post` : `and ${ownerText(incident)}: someone post`;
      const head = `⏰ No update on ${incidentName(incident)} for ${quiet}, ${who} one with \`/atlas update ${incident.id}\`.`;
      return message(
        `⏰ No update on ${incident.id} for ${quiet}`,
        [head, `${incident.severity} updates are due ${SEVERITY_POLICIES[incident.severity].updateText}.`],
        [button(INCIDENT_UPDATE_ACTION, 'Post update', incident.id, 'primary'), ...snooze],
      );
    }
    case 'escalate-tech-lead':
    case 'escalate-cto': {
      const { incident } = nudge;
      const rule = ESCALATION[nudge.kind];
      const contact = nudge.contact ? `${mention(nudge.contact)}` : `nobody: \`${rule.configKey}\` is not set in the config`;
      const head = `🆙 ${incidentName(incident)} is open for ${since(incident.opened_at, now)}: the guide says escalate to ${rule.who} now (${contact}). Owner: ${ownerText(incident)}.`;
      return message(
        `🆙 ${incident.id} open for ${since(incident.opened_at, now)}: escalate to ${rule.who}`,
        [head],
        [button(INCIDENT_ESCALATE_ACTION, `Escalate to ${rule.who.replace('the ', '')}`, `${incident.id}:${rule.target}`, 'danger'), ...snooze],
      );
    }
    case 'handoff-suggest': {
      const { incident } = nudge;
      const fresh =
        nudge.onCallPrimary && nudge.onCallPrimary !== incident.owner_id ? ` On call now: ${mention(nudge.onCallPrimary)}.` : '';
      const head = `🔄 ${incidentName(incident)} is open for ${since(incident.opened_at, now)}, ${ownerText(incident)}: time to hand it to a fresh responder with \`/atlas own ${incident.id} @someone\`.${fresh}`;
      return message(`🔄 ${incident.id} open for ${since(incident.opened_at, now)}: consider a handoff`, [head], snooze);
    }
    case 'review-reminder': {
      const { incident } = nudge;
      const ago = incident.resolved_at ? ` ${since(incident.resolved_at, now)} ago` : '';
      const head = `📝 ${incidentName(incident)} was resolved${ago} and its post-incident review is not marked done, ${ownerText(incident)}. \`/atlas review ${incident.id}\` prints the draft.`;
      return message(
        `📝 Post-incident review of ${incident.id} is not done yet`,
        [head],
        [button(INCIDENT_REVIEW_DONE_ACTION, 'Review done', incident.id, 'primary'), ...snooze],
      );
    }
  }
}

/** After a resolution: alerts of the incident still firing, with one button to resolve them. */
export function firingAlertsPrompt(incidentId: string, alertNames: readonly string[]): RenderedMessage {
  const shown = alertNames.slice(0, 10).map((n) => `*${safeMrkdwn(n, 150)}*`).join(', ');
  const more = alertNames.length > 10 ? ` and ${alertNames.length - 10} more` : '';
  const count = alertNames.length === 1 ? '1 alert is' : `${alertNames.length} alerts are`;
  return message(
    `${incidentId} is resolved but ${count} still firing`,
    [`${incidentId} is resolved but ${count} still firing: ${shown}${more}. Resolve them in metrics.db too?`],
    [button(INCIDENT_RESOLVE_ALERTS_ACTION, 'Resolve firing alerts', incidentId, 'primary')],
  );
}

const resolveResultSchema = z.object({ incidentId: z.string(), firingAlerts: z.array(z.string()).min(1) });

/** The "Resolve firing alerts" offer for a `resolve` answer whose incident still has alerts firing. */
export function resolveAlertsOffer(report: Report): KnownBlock[] {
  if (report.command !== 'resolve') return [];
  const parsed = resolveResultSchema.safeParse(report.data);
  return parsed.success ? (firingAlertsPrompt(parsed.data.incidentId, parsed.data.firingAlerts).blocks as KnownBlock[]) : [];
}

export interface AttachValue {
  incidentId: string;
  command: string;
  headline: string;
}

/** The longest headline an "Add to INC" button carries; its value is capped at 2000 characters. */
const ATTACH_HEADLINE_MAX = 1500;

/**
 * An actions block for a diagnostic answer while exactly one incident is open: "Add to INC-…"
 * puts the answer's headline on the incident's timeline.
 */
export function attachToIncidentBlock(incidentId: string, command: string, headline: string): KnownBlock {
  const value: AttachValue = { incidentId, command: command.slice(0, 60), headline: headline.slice(0, ATTACH_HEADLINE_MAX) };
  return { type: 'actions', elements: [button(INCIDENT_ATTACH_ACTION, `Add to ${incidentId}`.slice(0, 75), JSON.stringify(value))] };
}
