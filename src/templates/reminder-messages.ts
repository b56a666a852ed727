import type { types } from '@slack/bolt';
import type { Incident, TimerKind } from '../db/state/state-records.js';
import type { DomainEvent, Reminder } from '../incidents/domain-events.js';
import { SEVERITY_POLICIES } from '../incidents/severity-matrix.js';
import { safeMrkdwn, type SlackMessage } from './block-kit.js';
import {
  ALERT_ACK_ACTION,
  INCIDENT_ESCALATE_ACTION,
  INCIDENT_HAND_SECONDARY_ACTION,
  INCIDENT_REVIEW_DONE_ACTION,
  INCIDENT_UPDATE_ACTION,
  snoozeButtons,
} from './incident-buttons.js';
import { button, fallback, section } from './message-parts.js';
import { mention } from './people.js';
import { hhmm, since } from './slack-time.js';

type KnownBlock = types.KnownBlock;

/** Human words for each reminder, used in snooze answers and on the timeline. */
export const TIMER_KIND_TEXT: Readonly<Record<TimerKind, string>> = {
  'ack-reminder': 'acknowledge reminder',
  'ack-secondary': 'secondary on-call reminder',
  'update-due': 'status update reminder',
  'escalate-tech-lead': 'tech lead escalation reminder',
  'escalate-cto': 'CTO escalation reminder',
  'handoff-suggest': 'handoff suggestion',
  'break-nudge': 'break reminder',
  'review-reminder': 'post-incident review reminder',
};

const ESCALATION = {
  'escalate-tech-lead': { target: 'techlead', who: 'the tech lead', configKey: 'escalation.techLead' },
  'escalate-cto': { target: 'cto', who: 'the CTO', configKey: 'escalation.cto' },
} as const;

function message(text: string, lines: string[], actions: types.Button[]): SlackMessage {
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', verbatim: true, text: lines[0]! } }];
  if (lines.length > 1) blocks.push({ type: 'context', elements: lines.slice(1).map((l) => ({ type: 'mrkdwn' as const, verbatim: true, text: l })) });
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
 * A reminder the clock sends. Alert reminders go to the channel with an Acknowledge button;
 * incident reminders go to the thread and name the owner. Every one has the Snooze buttons.
 */
export function reminderMessage(reminder: Reminder, now: Date): SlackMessage {
  const snooze = snoozeButtons(reminder.timerId);
  switch (reminder.kind) {
    case 'ack-reminder':
    case 'ack-secondary': {
      const { alert } = reminder;
      const name = safeMrkdwn(alert.name, 150);
      const waited = since(alert.fired_at, now);
      const ackButton = button(ALERT_ACK_ACTION, 'Acknowledge', alert.key.slice(0, 2000), 'primary');
      if (reminder.kind === 'ack-reminder') {
        const head = `⏰ ${alert.severity} alert *${name}* not acknowledged after ${waited}: whoever is on call, acknowledge it or say who is looking.`;
        return message(`⏰ ${alert.severity} alert ${name} not acknowledged after ${waited}`, [head], [ackButton, ...snooze]);
      }
      const who = reminder.secondary
        ? `${mention(reminder.secondary)} (secondary on-call), please take it.`
        : 'No secondary on-call is configured (`rotation.secondary`): escalate by hand.';
      const head = `📣 ${alert.severity} alert *${name}* still not acknowledged after ${waited}. ${who}`;
      return message(`📣 ${alert.severity} alert ${name} not acknowledged after ${waited}. ${who}`, [head], [ackButton, ...snooze]);
    }
    case 'update-due': {
      const { incident } = reminder;
      const quiet = since(reminder.lastUpdateAt, now);
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
      const { incident } = reminder;
      const rule = ESCALATION[reminder.kind];
      const contact = reminder.contact ? mention(reminder.contact) : `nobody: \`${rule.configKey}\` is not set in the config`;
      const head = `🆙 ${incidentName(incident)} is open for ${since(incident.opened_at, now)}: the guide says escalate to ${rule.who} now (${contact}). Owner: ${ownerText(incident)}.`;
      return message(
        `🆙 ${incident.id} open for ${since(incident.opened_at, now)}: escalate to ${rule.who}`,
        [head],
        [button(INCIDENT_ESCALATE_ACTION, `Escalate to ${rule.who.replace('the ', '')}`, `${incident.id}:${rule.target}`, 'danger'), ...snooze],
      );
    }
    case 'handoff-suggest': {
      const { incident } = reminder;
      const fresh = reminder.onCallPrimary && reminder.onCallPrimary !== incident.owner_id ? ` On call now: ${mention(reminder.onCallPrimary)}.` : '';
      const head = `🔄 ${incidentName(incident)} is open for ${since(incident.opened_at, now)}, ${ownerText(incident)}: time to hand it to a fresh responder with \`/atlas own ${incident.id} @someone\`.${fresh}`;
      return message(`🔄 ${incident.id} open for ${since(incident.opened_at, now)}: consider a handoff`, [head], snooze);
    }
    case 'break-nudge': {
      const { incident } = reminder;
      const held = since(reminder.ownerSince, now);
      const canHand = reminder.secondary !== null && reminder.secondary !== reminder.owner;
      const handTo = canHand
        ? ` Hand it to ${mention(reminder.secondary!)} (secondary on-call) with one click, or \`/atlas own ${incident.id} @someone\`.`
        : reminder.secondary === reminder.owner
          ? ` You are the secondary too: hand it to someone fresh with \`/atlas own ${incident.id} @someone\`.`
          : ` No secondary on-call is known: hand it to someone fresh with \`/atlas own ${incident.id} @someone\`.`;
      const head = `☕ ${mention(reminder.owner)}, you have owned ${incidentName(incident)} for ${held}: the guide says take a break.${handTo}`;
      const hand = canHand ? [button(INCIDENT_HAND_SECONDARY_ACTION, 'Hand to the secondary', `${incident.id}:${reminder.secondary!}`, 'primary')] : [];
      return message(`☕ ${incident.id}: owned for ${held}, take a break`, [head], [...hand, ...snooze]);
    }
    case 'review-reminder': {
      const { incident } = reminder;
      const ago = incident.resolved_at ? ` ${since(incident.resolved_at, now)} ago` : '';
      const head = `📝 ${incidentName(incident)} was resolved${ago} and its post-incident review is not marked done, ${ownerText(incident)}. \`/atlas review ${incident.id}\` prints the draft.`;
      return message(`📝 Post-incident review of ${incident.id} is not done yet`, [head], [button(INCIDENT_REVIEW_DONE_ACTION, 'Review done', incident.id, 'primary'), ...snooze]);
    }
  }
}

/** A reminder snoozed: who, which, until when; in the thread of what it is about. */
export function snoozedMessage(e: Extract<DomainEvent, { type: 'reminder-snoozed' }>): SlackMessage {
  const span = e.minutes % 60 === 0 ? `${e.minutes / 60} h` : `${e.minutes} min`;
  const what = TIMER_KIND_TEXT[e.kind];
  const of = e.incidentId ? ` of ${e.incidentId}` : '';
  return {
    text: fallback(`⏰ ${mention(e.actor)} snoozed the ${what}${of} for ${span}, until ${hhmm(e.until)}`),
    blocks: [section(`⏰ ${mention(e.actor)} snoozed the ${what}${of} for ${span}: it comes back at ${hhmm(e.until)}.`)],
  };
}
