import type { types } from '@slack/bolt';
import type { AlertRecord } from '../incidents/incident-types.js';
import { SEVERITY_POLICIES } from '../incidents/severity-matrix.js';
import { safeMrkdwn } from './block-kit.js';
import type { RenderedMessage } from '../slack/outbox.js';
import { hhmm, since } from './slack-time.js';

type KnownBlock = types.KnownBlock;

export const ALERT_ACK_ACTION = 'atlas_alert_ack';
export const ALERT_HEALTH_ACTION = 'atlas_alert_health';

/** "P2 (not in the severity matrix: P2 by default)" */
export function severityText(alert: Pick<AlertRecord, 'severity' | 'severity_known'>): string {
  return alert.severity_known ? alert.severity : `${alert.severity} (not in the severity matrix: P2 by default)`;
}

/**
 * The alert as posted in #incident-response: severity, name, message, since when, runbook,
 * and the Acknowledge and Health buttons while it is firing and nobody owns it.
 */
export function alertMessage(alert: AlertRecord, now: Date): RenderedMessage {
  const policy = SEVERITY_POLICIES[alert.severity];
  const firing = alert.status === 'firing';
  const icon = firing ? (alert.severity === 'P0' ? '🚨' : '🔴') : '✅';
  const state = firing ? `firing since ${hhmm(alert.fired_at)} (${since(alert.fired_at, now)})` : `resolved at ${hhmm(alert.resolved_at ?? alert.updated_at)}`;
  const name = safeMrkdwn(alert.name, 150);
  const text = `${icon} ${alert.severity} ${alert.name}: ${firing ? 'firing' : 'resolved'}`;
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', verbatim: true, text: `${icon} *${alert.severity} · ${name}* — ${state}` } },
  ];
  if (alert.message) blocks.push({ type: 'section', text: { type: 'mrkdwn', verbatim: true, text: safeMrkdwn(alert.message, 2000) } });
  const context = [
    `Severity ${safeMrkdwn(severityText(alert), 200)} · respond within ${policy.responseText}`,
    alert.runbook_url ? `Runbook: <${alert.runbook_url}>` : '`/atlas runbook ' + safeMrkdwn(alert.name, 100) + '`',
    alert.fire_count > 1 ? `fired ${alert.fire_count} times` : '',
  ].filter(Boolean);
  blocks.push({ type: 'context', elements: context.map((t) => ({ type: 'mrkdwn', text: t, verbatim: true })) });
  if (firing && !alert.incident_id) {
    blocks.push({
      type: 'actions',
      elements: [
        { type: 'button', action_id: ALERT_ACK_ACTION, style: 'primary', text: { type: 'plain_text', text: 'Acknowledge' }, value: alert.key.slice(0, 2000) },
        { type: 'button', action_id: ALERT_HEALTH_ACTION, text: { type: 'plain_text', text: 'Health' }, value: alert.key.slice(0, 2000) },
      ],
    });
  }
  return { text, blocks };
}
