import type { types } from '@slack/bolt';
import { classifyAlert, severityBasisOf } from '../alerts/alert-classify.js';
import type { AlertRecord } from '../db/state/state-records.js';
import { SEVERITY_POLICIES } from '../incidents/severity-matrix.js';
import { safeMrkdwn, type SlackMessage } from './block-kit.js';
import { ALERT_ACK_ACTION, ALERT_HEALTH_ACTION } from './incident-buttons.js';
import { hhmm, since } from './slack-time.js';
import { pagerdutyCardLines, type PagerDutyOnCard } from './pagerduty-messages.js';
import { resolvedByOf, resolvedByText, sourceListText, sourceName } from '../db/state/resolved-by.js';
import { isSlackUserId } from '../ids.js';

type KnownBlock = types.KnownBlock;

/**
 * The severity and, unless the matrix decided it, why. `severity_known` holds how it was decided
 * (see SEVERITY_KNOWN_VALUES): 0 P2 by default, 1 the matrix or rule table, 2 the source's own
 * severity (critical → P1, warning → P2), so the source's word can be read back from the severity.
 * "P1", "P1 (source says critical; not in the severity matrix)", "P2 (not in the severity matrix: P2 by default)".
 */
export function severityText(alert: Pick<AlertRecord, 'severity' | 'severity_known'>): string {
  const basis = severityBasisOf(alert.severity_known);
  if (basis === 'matrix') return alert.severity;
  if (basis === 'source') return `${alert.severity} (source says ${alert.severity === 'P1' ? 'critical' : 'warning'}; not in the severity matrix)`;
  return `${alert.severity} (not in the severity matrix: P2 by default)`;
}

function listOf(json: string): string[] {
  let list: unknown;
  try {
    list = JSON.parse(json);
  } catch {
    return [];
  }
  return Array.isArray(list) ? list.filter((s): s is string => typeof s === 'string') : [];
}

function sourcesText(json: string): string {
  return listOf(json).map(sourceName).join(', ');
}

/** While it fires: which sources resolved it already, and which still report it. */
function partlyResolvedText(alert: AlertRecord): string {
  const done = listOf(alert.resolved_sources);
  if (alert.status !== 'firing' || done.length === 0) return '';
  const still = listOf(alert.sources).filter((s) => !done.includes(s));
  return `${sourceListText(done)} resolved it; still firing in ${sourceListText(still)}`;
}

/** "Resolved by <@U…>", "Resolved by metrics.db and Alertmanager"; a terminal login is shown as text. */
function resolvedByLine(alert: AlertRecord): string {
  if (alert.status !== 'resolved') return '';
  const by = resolvedByOf(alert.resolved_by);
  if (!by) return '';
  if (by.kind === 'person' && isSlackUserId(by.userId)) return `Resolved by <@${by.userId}>`;
  return `Resolved by ${safeMrkdwn(resolvedByText(alert.resolved_by) ?? '', 200)}`;
}

/** The verdict line, without markup: "P1 provider_down firing since 11:58 UTC (2 min)". */
function stateText(alert: AlertRecord, now: Date): string {
  if (alert.status === 'firing') {
    const fresh = now.getTime() - new Date(alert.fired_at).getTime() < 60_000;
    return `firing since ${hhmm(alert.fired_at)} (${fresh ? 'just now' : since(alert.fired_at, now)})`;
  }
  const end = alert.resolved_at ?? alert.updated_at;
  return `resolved at ${hhmm(end)} after ${since(alert.fired_at, new Date(end))}`;
}

/** Who snoozed the alert's reminder and until when (a Slack user id, or a terminal login). */
export interface AlertSnoozeLine {
  by: string;
  until: string;
}

/** "Snoozed by <@U…> until 03:45 UTC"; a terminal login is shown as text. */
function snoozeLine(s: AlertSnoozeLine | null): string {
  if (!s) return '';
  const who = isSlackUserId(s.by) ? `<@${s.by}>` : safeMrkdwn(s.by, 60);
  return `⏰ Snoozed by ${who} until ${hhmm(s.until)}`;
}

/**
 * The alert as posted in #incident-response. The first line is the answer: severity, name,
 * firing or resolved, since when. Then the alert's own message, then severity policy, runbook
 * and sources, and the Acknowledge and Health buttons while it fires and nobody owns it.
 * Once acknowledged, the incident card takes this message's place (the outbox renders it).
 * Every piece of text from the alert's source is escaped: it may contain `<!channel>`.
 */
export function alertMessage(alert: AlertRecord, now: Date, pagerduty: PagerDutyOnCard | null = null, snoozed: AlertSnoozeLine | null = null): SlackMessage {
  const policy = SEVERITY_POLICIES[alert.severity];
  const firing = alert.status === 'firing';
  const icon = firing ? (alert.severity === 'P0' ? '🚨' : alert.severity === 'P1' ? '🔴' : '🟠') : '✅';
  const state = stateText(alert, now);
  const name = safeMrkdwn(alert.name, 200);
  const text = safeMrkdwn(`${alert.severity} ${alert.name} ${state}`, 300);

  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', verbatim: true, text: `${icon} *${alert.severity} · ${name}* ${state}` } },
  ];
  if (alert.message) blocks.push({ type: 'section', text: { type: 'mrkdwn', verbatim: true, text: safeMrkdwn(alert.message, 2900) } });

  const runbookKey = classifyAlert(alert.name, alert.message).runbookKey ?? 'incident-response';
  const sources = sourcesText(alert.sources);
  const context = [
    firing ? `Severity ${safeMrkdwn(severityText(alert), 200)} · respond within ${policy.responseText}` : `Severity ${safeMrkdwn(severityText(alert), 200)}`,
    // Runbook links come from config or the alert's source; links are shown, never auto-unfurled.
    alert.runbook_url ? `Runbook: <${safeMrkdwn(alert.runbook_url, 2000).replace(/\|/g, '%7C')}>` : `Runbook: \`/atlas runbook ${runbookKey}\``,
    sources ? `From ${sources}` : '',
    safeMrkdwn(partlyResolvedText(alert), 300),
    resolvedByLine(alert),
    // A source's time the bot did not believe is said, never silently replaced.
    alert.fired_at_note ? `⚠️ ${safeMrkdwn(alert.fired_at_note, 300)}` : '',
    alert.fire_count > 1 ? `Fired ${alert.fire_count} times` : '',
    firing ? snoozeLine(snoozed) : '',
    alert.acknowledged_by && !alert.incident_id ? `Acknowledged by <@${alert.acknowledged_by.replace(/[^A-Z0-9]/g, '')}>` : '',
    ...pagerdutyCardLines(pagerduty),
  ].filter(Boolean);
  blocks.push({ type: 'context', elements: context.map((t) => ({ type: 'mrkdwn', text: t, verbatim: true })) });

  if (firing && !alert.incident_id) {
    blocks.push({
      type: 'actions',
      block_id: 'atlas_alert_actions',
      elements: [
        { type: 'button', action_id: ALERT_ACK_ACTION, style: 'primary', text: { type: 'plain_text', text: 'Acknowledge' }, value: alert.key.slice(0, 2000) },
        { type: 'button', action_id: ALERT_HEALTH_ACTION, text: { type: 'plain_text', text: 'Health' }, value: alert.key.slice(0, 2000) },
      ],
    });
  }
  return { text, blocks };
}
