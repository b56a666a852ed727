import type { types } from '@slack/bolt';
import type { AlertRecord, Incident } from '../incidents/incident-types.js';
import { safeMrkdwn } from './block-kit.js';
import type { RenderedMessage } from '../slack/outbox.js';
import { hhmm, since } from './slack-time.js';

type KnownBlock = types.KnownBlock;

const STATUS_ICON: Record<Incident['status'], string> = {
  investigating: '🔎',
  identified: '🧭',
  monitoring: '👀',
  resolved: '✅',
};

/**
 * The incident's root message, edited in place: severity, status, owner, age, last update and
 * the next deadline. For an alert's incident it replaces the alert message.
 */
export function incidentCard(incident: Incident, alert: AlertRecord | null, now: Date, nextDeadline?: string): RenderedMessage {
  const resolved = incident.status === 'resolved';
  const icon = STATUS_ICON[incident.status];
  const title = safeMrkdwn(incident.title, 200);
  const age = resolved && incident.resolved_at ? `lasted ${since(incident.opened_at, new Date(incident.resolved_at))}` : `open ${since(incident.opened_at, now)}`;
  const fields = [
    `*Severity* ${incident.severity}`,
    `*Status* ${icon} ${incident.status}`,
    `*Owner* ${incident.owner_id ? `<@${incident.owner_id}>` : 'nobody'}`,
    `*Age* ${age}`,
    `*Last update* ${incident.last_update_at ? `${hhmm(incident.last_update_at)} (${since(incident.last_update_at, now)} ago)` : 'none yet'}`,
    `*Next* ${resolved ? 'post-incident review' : (nextDeadline ?? (incident.next_update_at ? `update due ${hhmm(incident.next_update_at)}` : '—'))}`,
  ];
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', verbatim: true, text: `${icon} *${incident.id} · ${incident.severity} · ${title}*` } },
    { type: 'section', fields: fields.map((f) => ({ type: 'mrkdwn', text: f, verbatim: true })) },
  ];
  if (alert) {
    const alertState = alert.status === 'firing' ? `firing since ${hhmm(alert.fired_at)}` : `resolved ${hhmm(alert.resolved_at ?? alert.updated_at)}`;
    const ack = incident.acknowledged_at && incident.owner_id
      ? ` · acknowledged by <@${incident.owner_id}> after ${since(incident.opened_at, new Date(incident.acknowledged_at))}`
      : '';
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', verbatim: true, text: `Alert ${safeMrkdwn(alert.name, 150)}: ${alertState}${ack}` }] });
  }
  return { text: `${icon} ${incident.id} ${incident.severity} ${incident.status}: ${incident.title}`.slice(0, 300), blocks };
}
