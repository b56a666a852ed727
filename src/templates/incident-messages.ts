import type { types } from '@slack/bolt';
import type { IncidentEvent, Incident } from '../incidents/incident-types.js';
import { SEVERITY_POLICIES, type Severity } from '../incidents/severity-matrix.js';
import type { IncidentSummary } from '../incidents/incident-service.js';
import { safeMrkdwn } from './block-kit.js';
import type { Report, ReportLevel } from './report.js';
import { dayTime, hhmm, since } from './slack-time.js';
import { formatDuration } from '../time/atlas-time.js';

type KnownBlock = types.KnownBlock;

/** A message for the incident's thread or channel: the fallback text and its blocks. */
export interface IncidentMessage {
  text: string;
  blocks: KnownBlock[];
}

const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;

/** A person in mrkdwn: a Slack mention for a user ID, the escaped name otherwise (terminal users). */
export function mention(userId: string | null | undefined): string {
  if (!userId) return 'nobody';
  return SLACK_USER.test(userId) ? `<@${userId}>` : safeMrkdwn(userId, 80);
}

/** A person in plain text (service messages, report headlines): `<@U…>` for Slack users, the name otherwise. */
export function userRef(userId: string | null | undefined): string {
  if (!userId) return 'nobody';
  return SLACK_USER.test(userId) ? `<@${userId}>` : userId;
}

/** What the guide calls the escalation contacts, by the words `/atlas escalate` takes. */
export const ESCALATE_TARGET_TEXT = {
  techlead: 'tech lead',
  cto: 'CTO',
  secondary: 'secondary on-call',
  db: 'database expert',
  security: 'security',
} as const;

export type EscalateTarget = keyof typeof ESCALATE_TARGET_TEXT;

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text, verbatim: true } });
const context = (...texts: string[]): KnownBlock => ({
  type: 'context',
  elements: texts.slice(0, 10).map((text) => ({ type: 'mrkdwn' as const, text, verbatim: true })),
});

/** One bullet per line of user text (modal inputs are multi-line), at most `max` bullets. */
function bullets(text: string | undefined, icon: string, max = 4, each = 110): string[] {
  if (!text) return [];
  const items = text
    .split(/\r?\n/)
    .map((l) => l.replace(/^\s*(?:[-*•]|\d+[.)])\s+/, '').trim())
    .filter(Boolean);
  const shown = items.slice(0, max).map((l) => `• ${icon} ${safeMrkdwn(l, each)}`);
  if (items.length > max) shown.push(`• … ${items.length - max} more`);
  return shown;
}

/** The fallback `text` of a message: already escaped, short (it shows in notifications), never cut inside an entity. */
function fallback(text: string): string {
  if (text.length <= 300) return text;
  let cut = text.slice(0, 299);
  const amp = cut.lastIndexOf('&');
  if (amp !== -1 && !cut.slice(amp).includes(';')) cut = cut.slice(0, amp);
  return `${cut.replace(/[\uD800-\uDBFF]$/, '')}…`;
}

const SECTION_MAX = 3000;

/**
 * Joins escaped lines into one section's text, dropping the lines that no longer fit rather
 * than cutting one in the middle of an entity or a mention.
 */
function packLines(lines: readonly string[], max = SECTION_MAX): string {
  let out = '';
  for (const line of lines) {
    const next = out ? `${out}\n${line}` : line;
    if (next.length > max - 2) return `${out}\n…`;
    out = next;
  }
  return out;
}

const cadence = (severity: Severity) => SEVERITY_POLICIES[severity].updateText;

export interface InitialResponse {
  incident: Incident;
  /** 'ack': an alert was acknowledged; 'declare': declared without an alert. */
  how: 'ack' | 'declare';
  alertName?: string;
  /** A symptom that goes straight to the CTO and security, in words ("data loss"). */
  immediateEscalation?: string;
}

/** The guide's "Initial Alert Response": severity, on-call, status, impact, ETA for the next update. */
export function initialResponseMessage(r: InitialResponse): IncidentMessage {
  const { incident } = r;
  const policy = SEVERITY_POLICIES[incident.severity];
  const title = safeMrkdwn(incident.title, 300);
  const ackAfter = incident.ack_seconds !== null ? formatDuration(incident.ack_seconds * 1000) : null;
  const first =
    r.how === 'ack'
      ? `🔎 ${incident.id} acknowledged by ${mention(incident.owner_id)}${ackAfter ? ` after ${ackAfter}` : ''}`
      : `🚨 ${incident.id} declared by ${mention(incident.created_by)}: ${incident.severity}`;
  const heading = r.how === 'ack' ? `🚨 *Alert acknowledged: ${title}*` : `🚨 *Incident declared: ${title}*`;
  const lines = [
    `*Severity*: ${incident.severity} (${policy.meaning}; respond within ${policy.responseText})`,
    `*On-call*: ${mention(incident.owner_id)}`,
    `*Status*: Investigating`,
    `*Impact*: ${incident.impact ? safeMrkdwn(incident.impact, 1000) : 'being assessed'}`,
    `*ETA for update*: ${incident.next_update_at ? hhmm(incident.next_update_at) : 'as soon as known'}`,
  ];
  const blocks: KnownBlock[] = [section(`${heading}\n${lines.join('\n')}`)];
  if (r.immediateEscalation) {
    blocks.push(section(`⚠️ ${safeMrkdwn(r.immediateEscalation, 200)} goes straight to the CTO and security: \`/atlas escalate ${incident.id} cto\``));
  }
  blocks.push(
    context(
      `${incident.id} · updates ${cadence(incident.severity)} · \`/atlas update ${incident.id}\` · \`/atlas escalate ${incident.id}\` · \`/atlas resolve ${incident.id}\``,
    ),
  );
  return { text: fallback(`${first} · ${safeMrkdwn(incident.title, 150)}`), blocks };
}

/** The answers of the acknowledge modal: impact and when the next update comes. */
export function ackDetailsMessage(incident: Incident, actorId: string): IncidentMessage {
  const impact = incident.impact ? safeMrkdwn(incident.impact, 2000) : 'being assessed';
  const next = incident.next_update_at ? hhmm(incident.next_update_at) : 'as soon as known';
  const line = `*Impact*: ${impact} · *Next update*: ${next}`;
  return {
    text: fallback(`📝 ${incident.id} impact: ${incident.impact ? safeMrkdwn(incident.impact, 150) : 'being assessed'} · next update ${next}`),
    blocks: [section(line), context(`set by ${mention(actorId)}`)],
  };
}

export interface StatusUpdate {
  summary: string;
  completed?: string;
  inProgress?: string;
  blocked?: string;
  nextSteps?: string;
  eta?: string;
  /** Set when the update changed the status. */
  status?: Incident['status'];
}

/** The guide's "Incident Update [HH:MM UTC]": summary, progress, next steps, ETA. */
export function statusUpdateMessage(incident: Incident, update: StatusUpdate, at: Date, actorId: string): IncidentMessage {
  const progress = [
    ...bullets(update.completed, '✅'),
    ...bullets(update.inProgress, '⏳'),
    ...bullets(update.blocked, '⏸️'),
  ];
  const body = [
    `*Incident Update* [${hhmm(at)}] · ${incident.id} · ${incident.severity}`,
    `*Summary*: ${safeMrkdwn(update.summary, 800)}`,
  ];
  if (update.status) body.push(`*Status*: ${update.status}`);
  if (progress.length > 0) body.push('*Progress*:', ...progress);
  body.push(`*Next Steps*: ${update.nextSteps ? safeMrkdwn(update.nextSteps, 300) : '—'}`);
  body.push(`*ETA*: ${update.eta ? safeMrkdwn(update.eta, 100) : 'investigating'}`);
  const next = incident.next_update_at ? `next update due ${hhmm(incident.next_update_at)}` : '';
  return {
    text: fallback(`🔄 ${incident.id} update [${hhmm(at)}]: ${safeMrkdwn(update.summary, 200)}`),
    blocks: [section(packLines(body)), context([`by ${mention(actorId)}`, next].filter(Boolean).join(' · '))],
  };
}

/** A severity change and what it does to the clock. */
export function severityChangedMessage(incident: Incident, from: Severity, actorId: string): IncidentMessage {
  const rank = (s: Severity) => Number(s.slice(1));
  const icon = rank(incident.severity) < rank(from) ? '⬆️' : '⬇️';
  const policy = SEVERITY_POLICIES[incident.severity];
  const line = `${icon} *Severity ${from} → ${incident.severity}* (${policy.meaning}) by ${mention(actorId)}`;
  const clock = `Updates ${policy.updateText}${incident.next_update_at ? `; next update due ${hhmm(incident.next_update_at)}` : ''}.`;
  return { text: fallback(`${icon} ${incident.id} severity ${from} → ${incident.severity}`), blocks: [section(`${line}\n${clock}`)] };
}

export function ownerChangedMessage(incident: Incident, previous: string | null, actorId: string): IncidentMessage {
  const by = actorId === incident.owner_id ? '' : ` (set by ${mention(actorId)})`;
  const line = `👤 ${mention(incident.owner_id)} now owns ${incident.id} (was ${mention(previous)})${by}`;
  return { text: fallback(`👤 ${incident.id} now owned by ${mention(incident.owner_id)}`), blocks: [section(line)] };
}

export function noteMessage(incident: Incident, text: string, actorId: string): IncidentMessage {
  return {
    text: fallback(`📝 ${incident.id} note from ${mention(actorId)}: ${safeMrkdwn(text, 200)}`),
    blocks: [section(`📝 *Note* from ${mention(actorId)}:\n${safeMrkdwn(text, 2900)}`)],
  };
}

export interface Escalation {
  incident: Incident;
  target: EscalateTarget;
  /** The contact's Slack user ID, or null when none is configured. */
  contactId: string | null;
  /** Where the contact would be configured, to say so when it is not. */
  configKey: string;
  durationMs: number;
  actionsTaken: string[];
  why: string;
  need: string;
  actorId: string;
}

/** The guide's "good escalation message": issue, duration, impact, actions taken, why, immediate need. */
export function escalationMessage(e: Escalation): IncidentMessage {
  const { incident } = e;
  const who = ESCALATE_TARGET_TEXT[e.target];
  const addressee = e.contactId ? mention(e.contactId) : `⚠️ No ${who} is configured (\`${e.configKey}\`): page them by hand`;
  // The latest few: the message must keep its why and need within one section.
  const recent = e.actionsTaken.slice(-6);
  const actions = recent.length > 0 ? recent.map((a) => `• ${safeMrkdwn(a, 180)}`) : ['• nothing recorded on the timeline yet'];
  if (e.actionsTaken.length > recent.length) actions.unshift(`• … ${e.actionsTaken.length - recent.length} earlier (\`/atlas timeline ${incident.id}\`)`);
  const body = [
    `${addressee} - Escalating ${incident.severity} incident ${incident.id}`,
    `*Issue*: ${safeMrkdwn(incident.title, 200)}`,
    `*Duration*: ${formatDuration(e.durationMs)} (started ${hhmm(incident.opened_at)})`,
    `*Impact*: ${incident.impact ? safeMrkdwn(incident.impact, 300) : 'being assessed'}`,
    '*Actions Taken*:',
    ...actions,
    `*Escalating Because*: ${safeMrkdwn(e.why, 300)}`,
    `*Immediate Need*: ${safeMrkdwn(e.need, 600)}`,
  ];
  const to = e.contactId ? `the ${who} (${mention(e.contactId)})` : `the ${who} (not configured)`;
  return {
    text: fallback(`📣 ${incident.id} escalated to ${to} by ${mention(e.actorId)}`),
    blocks: [section(packLines(body)), context(`escalated by ${mention(e.actorId)}`)],
  };
}

/** The guide's resolution message: start, end, duration, resolution, impact. */
export function resolutionMessage(incident: Incident, reviewDue: Date, actorId: string): IncidentMessage {
  const end = incident.resolved_at ?? incident.opened_at;
  const duration = since(incident.opened_at, new Date(end));
  const body = [
    `✅ *RESOLVED*: ${safeMrkdwn(incident.title, 300)}`,
    `*Duration*: ${dayTime(incident.opened_at)} – ${hhmm(end)} (${duration})`,
    `*Resolution*: ${safeMrkdwn(incident.resolution ?? '', 1200)}`,
    `*Impact*: ${incident.impact ? safeMrkdwn(incident.impact, 800) : 'not recorded'}`,
    `*Follow-up*: post-incident review due by ${dayTime(reviewDue)} (\`/atlas review ${incident.id}\` drafts it)`,
  ];
  return {
    text: fallback(`✅ ${incident.id} resolved after ${duration} by ${mention(actorId)}`),
    blocks: [section(packLines(body))],
  };
}

/** The guide's post-incident checklist, with what the bot already did ticked. */
export function postIncidentChecklistMessage(incident: Incident, firingAlerts: readonly string[], reviewDue: Date): IncidentMessage {
  const alerts =
    firingAlerts.length === 0
      ? '✅ Clear any firing alerts: none firing'
      : `☐ Clear any firing alerts: ${firingAlerts.length} still firing (${firingAlerts.slice(0, 5).map((n) => safeMrkdwn(n, 80)).join(', ')})`;
  const items = [
    '✅ Post resolution message (above)',
    '☐ Resolve the PagerDuty incident, if one was opened',
    alerts,
    `✅ Document timeline: recorded, \`/atlas timeline ${incident.id}\``,
    `☐ Create GitHub issue for post-incident review: \`/atlas review ${incident.id}\` prints the draft`,
    '☐ Update runbook if gaps found',
    `☐ Schedule debrief meeting (by ${dayTime(reviewDue)})`,
  ];
  return {
    text: fallback(`📋 ${incident.id} post-incident checklist`),
    blocks: [section(`📋 *Post-Incident Checklist*\n${items.join('\n')}`), context(`\`/atlas review-done ${incident.id}\` when the review is done`)],
  };
}

/** Told in the channel (not only the thread) when an incident closes. */
export function incidentClosedMessage(incident: Incident): IncidentMessage {
  const duration = since(incident.opened_at, new Date(incident.resolved_at ?? incident.opened_at));
  const line = `✅ *${incident.id}* (${incident.severity}) resolved after ${duration}: ${safeMrkdwn(incident.title, 300)}`;
  const resolution = incident.resolution ? `\n${safeMrkdwn(incident.resolution, 500)}` : '';
  return {
    text: fallback(`✅ ${incident.id} (${incident.severity}) resolved after ${duration}: ${safeMrkdwn(incident.title, 150)}`),
    blocks: [section(`${line}${resolution}`), context(`owner ${mention(incident.owner_id)} · \`/atlas timeline ${incident.id}\``)],
  };
}

export function alertsResolvedMessage(incident: Incident, names: readonly string[], notWritten: readonly string[], actorId: string): IncidentMessage {
  const list = names.slice(0, 10).map((n) => safeMrkdwn(n, 100)).join(', ');
  const count = `${names.length} firing alert${names.length === 1 ? '' : 's'}`;
  const lines = [`🔕 Resolved ${count} by ${mention(actorId)}: ${list}`];
  if (notWritten.length > 0) {
    lines.push(`⚠️ metrics.db was not updated for ${notWritten.map((n) => safeMrkdwn(n, 100)).join(', ')}; the timeline has why`);
  }
  return { text: fallback(`🔕 ${incident.id}: resolved ${count}`), blocks: [section(lines.join('\n'))] };
}

export function attachedResultMessage(incident: Incident, result: { headline: string; command: string }, actorId: string): IncidentMessage {
  const command = safeMrkdwn(result.command.replace(/`/g, "'"), 100);
  return {
    text: fallback(`📎 ${incident.id}: ${mention(actorId)} added \`${command}\``),
    blocks: [section(`📎 ${mention(actorId)} added \`${command}\` to the timeline:\n${safeMrkdwn(result.headline, 2500)}`)],
  };
}

export function reviewDoneMessage(incident: Incident, actorId: string): IncidentMessage {
  return {
    text: fallback(`📋 ${incident.id} post-incident review marked done by ${mention(actorId)}`),
    blocks: [section(`📋 Post-incident review of ${incident.id} marked done by ${mention(actorId)}; the reminder is off.`)],
  };
}

/** The answer to an acting command: the service's one sentence. */
export function incidentActionReport(command: string, message: string, data: unknown, level: ReportLevel = 'ok'): Report {
  return { command, level, headline: message, sections: [], data };
}

const bareUser = (id: string | null) => id ?? '—';

/** `/atlas incidents`: the open incidents, worst first. */
export function incidentsReport(incidents: readonly IncidentSummary[]): Report {
  if (incidents.length === 0) {
    return { command: 'incidents', level: 'ok', headline: 'No open incidents', sections: [], footer: '`/atlas declare <title>` opens one.', data: [] };
  }
  const bySeverity = new Map<string, number>();
  for (const i of incidents) bySeverity.set(i.severity, (bySeverity.get(i.severity) ?? 0) + 1);
  const counts = [...bySeverity.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${n} ${s}`);
  const worst = incidents.reduce((w, i) => (i.severity < w ? i.severity : w), 'P3' as Severity);
  return {
    command: 'incidents',
    level: worst === 'P0' ? 'crit' : worst === 'P1' ? 'warn' : 'info',
    headline: `${incidents.length} open incident${incidents.length === 1 ? '' : 's'}: ${counts.join(', ')}`,
    sections: [
      {
        table: {
          columns: ['incident', 'sev', 'status', 'owner', 'age', 'next deadline', 'title'],
          rows: incidents.map((i) => [i.id, i.severity, i.status, bareUser(i.ownerId), formatDuration(i.ageMs), i.nextDeadline ?? '—', i.title]),
        },
      },
    ],
    footer: '`/atlas timeline <INC>` for the story of one.',
    data: incidents,
  };
}

/** `/atlas timeline <INC>`: every event with its time (UTC) and actor. */
export function timelineReport(incident: Incident, events: readonly IncidentEvent[], now: Date): Report {
  const spansDays = events.length > 0 && events[0]!.at.slice(0, 10) !== events[events.length - 1]!.at.slice(0, 10);
  const when = (at: string) => (spansDays ? dayTime(at) : hhmm(at));
  const state =
    incident.status === 'resolved' && incident.resolved_at
      ? `resolved after ${since(incident.opened_at, new Date(incident.resolved_at))}`
      : `${incident.status}, open ${since(incident.opened_at, now)}`;
  return {
    command: 'timeline',
    level: 'info',
    headline: `${incident.id} (${incident.severity}, ${state}): ${events.length} event${events.length === 1 ? '' : 's'}`,
    sections: [
      { title: incident.title, lines: events.map((e) => `${when(e.at)} · ${e.actor === 'bot' ? 'bot' : userRef(e.actor)} · ${e.text}`) },
    ],
    footer: spansDays ? undefined : `All times ${events[0]?.at.slice(0, 10) ?? incident.opened_at.slice(0, 10)}, UTC.`,
    data: { incident, events },
  };
}

/** `/atlas review <INC>`: the markdown draft, one line per report line, ready to paste into a GitHub issue. */
export function reviewReport(incident: Incident, markdown: string): Report {
  return {
    command: 'review',
    level: 'info',
    headline: `Post-incident review draft for ${incident.id}: copy it into a GitHub issue`,
    sections: [{ lines: markdown.split('\n') }],
    footer:
      incident.review_done_at !== null
        ? `Review marked done ${dayTime(incident.review_done_at)}.`
        : `\`review-done ${incident.id}\` when the review is done (stops the 48 h reminder).`,
    data: { incidentId: incident.id, markdown },
  };
}
