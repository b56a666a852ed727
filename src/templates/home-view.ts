/**
 * One person's App Home tab as a Block Kit view: who is on call first (the question asked most
 * at 3 a.m.), then what needs doing (open incidents, firing alerts with Acknowledge), the health
 * verdict, the next handoff with its notes, and buttons for the common diagnostics. Lists are
 * capped with "… and N more" so the view stays far below Slack's 100 blocks whatever the data.
 * Everything typed by people or alert sources is escaped.
 */
import type { types } from '@slack/bolt';
import type { CheckItem } from '../checks/check-item.js';
import type { HomeAlert, HomeContent, HomeDiagnostic, HomeHandoff, HomeOnCall } from '../home/home-content.js';
import type { HomeHealth } from '../home/home-health.js';
import { describeReplicas } from '../replicas/replica-presence.js';
import type { IncidentSummary } from '../incidents/incident-queries.js';
import { formatDuration } from '../time/atlas-time.js';
import { LEVEL_EMOJI, safeMrkdwn } from './block-kit.js';
import { countByLevel, formatValue, sortWorstFirst } from './check-items-report.js';
import { ALERT_ACK_ACTION } from './incident-buttons.js';
import { deadlineText } from './incident-card.js';
import { bullets, button, context, packLines, section } from './message-parts.js';
import { mention } from './people.js';
import { hhmm, since } from './slack-time.js';

type KnownBlock = types.KnownBlock;

export interface HomeView {
  type: 'home';
  blocks: KnownBlock[];
}

/** Diagnostics buttons: `atlas_home_run:<command>`; the handler runs that subcommand and answers by DM. */
export const HOME_RUN_ACTION = 'atlas_home_run';
export const homeRunActionId = (command: HomeDiagnostic): string => `${HOME_RUN_ACTION}:${command}`;

/** At most this many incidents and alerts each; the rest are counted. */
export const HOME_LIST_MAX = 8;
/** Health items needing attention shown under the verdict. */
export const HOME_HEALTH_ITEMS_MAX = 5;

const DIAGNOSTIC_LABEL: Record<HomeDiagnostic, string> = {
  health: 'Health',
  alerts: 'Alerts',
  jobs: 'Jobs',
  incidents: 'Incidents',
  oncall: 'On call',
};

const SEVERITY_ICON: Record<IncidentSummary['severity'], string> = { P0: '🚨', P1: '🔴', P2: '🟠', P3: '🟡' };
const STATUS_WORD: Record<'healthy' | 'degraded' | 'unhealthy', string> = { healthy: 'Healthy', degraded: 'Degraded', unhealthy: 'Unhealthy' };
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const divider: KnownBlock = { type: 'divider' };
const header = (text: string): KnownBlock => ({ type: 'header', text: { type: 'plain_text', text: text.slice(0, 150) } });

/** "Mon 30 Nov 00:00 UTC": a shift change is days away as often as hours. */
function weekdayTime(at: Date): string {
  return `${WEEKDAYS[at.getUTCDay()]} ${at.getUTCDate()} ${MONTHS[at.getUTCMonth()]} ${hhmm(at)}`;
}

/** "Mon 30 Nov 00:00 UTC (in 3 d 12 h)" */
function whenText(at: Date, now: Date): string {
  const left = at.getTime() - now.getTime();
  return `${weekdayTime(at)} (${left > 0 ? `in ${formatDuration(left)}` : 'now'})`;
}

/** The viewer's name is "you": the Home is read by one person. */
function who(userId: string | null, viewer: string): string {
  return userId === viewer ? 'you' : mention(userId);
}

function onCallBlocks(onCall: HomeOnCall, c: HomeContent): KnownBlock[] {
  switch (onCall.kind) {
    case 'no-rotation':
      return [section("Nobody is on call: the bot's config has no rotation.")];
    case 'not-started':
      return [section(`Nobody is on call yet: the rotation starts ${whenText(onCall.startsAt, c.now)}.`)];
    case 'you': {
      const covering = onCall.coveringFor ? `, covering for ${mention(onCall.coveringFor)}` : '';
      const partnerRole = onCall.role === 'primary' ? 'Secondary' : 'Primary';
      return [section(`📟 *You are on call (${onCall.role}${covering})* until ${whenText(onCall.until, c.now)}. ${partnerRole}: ${mention(onCall.partner)}.`)];
    }
    case 'others': {
      const secondary = onCall.secondary ? `, ${mention(onCall.secondary)} secondary` : '';
      return [section(`On call: ${mention(onCall.primary)} primary${secondary} until ${whenText(onCall.until, c.now)}.`)];
    }
  }
}

function moreLine(hidden: number, command: string): KnownBlock[] {
  return hidden > 0 ? [context(`… and ${hidden} more: \`/atlas ${command}\` lists them all.`)] : [];
}

function incidentBlocks(incidents: readonly IncidentSummary[], c: HomeContent): KnownBlock[] {
  const blocks: KnownBlock[] = [divider, header(`Open incidents (${incidents.length})`)];
  if (incidents.length === 0) return [...blocks, section('✅ No open incidents.')];
  for (const i of incidents.slice(0, HOME_LIST_MAX)) {
    const deadline = deadlineText(i.nextDeadline, c.now);
    const lines = [
      `${SEVERITY_ICON[i.severity]} *${i.id} · ${i.severity} · ${safeMrkdwn(i.title, 150)}*`,
      `Owner ${who(i.ownerId, c.viewer)} · ${i.status} · open ${formatDuration(i.ageMs)}`,
      `Next: ${deadline ? safeMrkdwn(deadline, 200) : 'no deadline pending'}`,
    ];
    blocks.push(section(lines.join('\n')));
  }
  return [...blocks, ...moreLine(incidents.length - HOME_LIST_MAX, 'incidents')];
}

function alertBlock(a: HomeAlert, c: HomeContent): KnownBlock {
  const message = a.message ? `\n${safeMrkdwn(a.message.replace(/\s+/g, ' ').trim(), 240)}` : '';
  const owner = a.incidentId ? `\nAcknowledged: ${a.incidentId}` : '';
  const fresh = c.now.getTime() - new Date(a.firedAt).getTime() < 60_000;
  const text = `${SEVERITY_ICON[a.severity]} *${a.severity} · ${safeMrkdwn(a.name, 150)}* firing since ${hhmm(a.firedAt)} (${fresh ? 'just now' : since(a.firedAt, c.now)})${message}${owner}`;
  const block: types.SectionBlock = { type: 'section', text: { type: 'mrkdwn', text, verbatim: true } };
  // The same action and value as the alert's message in the channel: the same handler acknowledges.
  if (a.acknowledge) block.accessory = button(ALERT_ACK_ACTION, 'Acknowledge', a.key, 'primary');
  return block;
}

function alertBlocks(alerts: readonly HomeAlert[], c: HomeContent): KnownBlock[] {
  const blocks: KnownBlock[] = [divider, header(`Firing alerts (${alerts.length})`)];
  if (alerts.length === 0) return [...blocks, section('✅ No alerts firing.')];
  blocks.push(...alerts.slice(0, HOME_LIST_MAX).map((a) => alertBlock(a, c)));
  blocks.push(...moreLine(alerts.length - HOME_LIST_MAX, 'alerts'));
  if (alerts.some((a) => a.incidentId === null && !a.acknowledge)) blocks.push(context('Acknowledging is for responders: the on-call engineer has the button.'));
  return blocks;
}

/**
 * "Extraction success 72 % (alert < 80 %)" for a critical threshold item, "Extraction success
 * 86 % (target ≥ 90 %)" for a warning (the alert bound would read as fine), else the detail.
 */
function itemLine(item: CheckItem): string {
  const bound = item.level === 'warn' && item.target ? `target ${item.target}` : item.alert ? `alert ${item.alert}` : null;
  const text = bound && item.value !== null ? `${item.label} ${formatValue(item)} (${bound})` : `${item.label}: ${item.detail}`;
  return `${LEVEL_EMOJI[item.level]} ${safeMrkdwn(text, 200)}`;
}

function healthBlocks(health: HomeHealth): KnownBlock[] {
  const blocks: KnownBlock[] = [divider, header('Health')];
  if (health.state === 'checking') return [...blocks, section('⏳ Health is being checked; this tab updates when it is done.')];
  if (health.state === 'failed') return [...blocks, section('❔ Health could not be checked just now; the *Health* button below says why.')];
  const counts = countByLevel(health.items);
  const attention = sortWorstFirst(health.items).filter((i) => i.level === 'crit' || i.level === 'warn');
  const icon = health.status === 'healthy' ? LEVEL_EMOJI.ok : health.status === 'degraded' ? LEVEL_EMOJI.warn : LEVEL_EMOJI.crit;
  const tally =
    health.status === 'healthy'
      ? `all ${counts.ok} checks ok`
      : [counts.crit && `${counts.crit} critical`, counts.warn && `${counts.warn} warning${counts.warn === 1 ? '' : 's'}`].filter(Boolean).join(', ');
  const unknown = counts.unknown ? `, ${counts.unknown} not measured` : '';
  blocks.push(section(`${icon} *${STATUS_WORD[health.status]}*: ${tally}${unknown} · checked ${hhmm(health.checkedAt)}`));
  if (attention.length > 0) {
    const lines = attention.slice(0, HOME_HEALTH_ITEMS_MAX).map(itemLine);
    if (attention.length > HOME_HEALTH_ITEMS_MAX) lines.push(`… and ${attention.length - HOME_HEALTH_ITEMS_MAX} more: the *Health* button below lists them.`);
    blocks.push(section(packLines(lines)));
  }
  return blocks;
}

function handoffBlocks(handoff: HomeHandoff, c: HomeContent): KnownBlock[] {
  const blocks: KnownBlock[] = [
    divider,
    header('Next handoff'),
    section(`${whenText(handoff.at, c.now)}: ${who(handoff.outgoing, c.viewer)} → ${who(handoff.incoming, c.viewer)}`),
  ];
  if (!handoff.notes) return [...blocks, context('No handoff notes yet.')];
  const by = handoff.notes.by ? ` from ${who(handoff.notes.by, c.viewer)}` : '';
  const at = handoff.notes.at ? ` (${weekdayTime(new Date(handoff.notes.at))})` : '';
  return [...blocks, section(packLines([`*Notes*${by}${at}`, ...bullets(handoff.notes.text, '📝', 8, 300)]))];
}

function diagnosticsBlocks(diagnostics: readonly HomeDiagnostic[]): KnownBlock[] {
  if (diagnostics.length === 0) return [];
  return [
    divider,
    header('Diagnostics'),
    context('Answers arrive as a direct message from the bot, in the Messages tab.'),
    { type: 'actions', elements: diagnostics.map((d) => button(homeRunActionId(d), DIAGNOSTIC_LABEL[d], d)) },
  ];
}

/** The Home tab of `c.viewer`, for views.publish. */
export function homeView(c: HomeContent): HomeView {
  const blocks: KnownBlock[] = [
    ...onCallBlocks(c.onCall, c),
    context(`Updated ${weekdayTime(c.now)} · republished when incidents or alerts change`),
    ...(c.incidents ? incidentBlocks(c.incidents, c) : []),
    ...(c.alerts ? alertBlocks(c.alerts, c) : []),
    ...(c.health ? healthBlocks(c.health) : []),
    ...(c.handoff ? handoffBlocks(c.handoff, c) : []),
    ...(c.replicas ? [context(`Bot replicas: ${describeReplicas(c.replicas)}`)] : []),
    ...diagnosticsBlocks(c.diagnostics),
  ];
  return { type: 'home', blocks };
}
