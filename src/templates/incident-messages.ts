/** The messages posted in an incident's thread (and the channel), one per kind of change. */
import type { Incident, TimelineEntry } from '../db/state/state-records.js';
import type { EscalationReason, StatusUpdate } from '../incidents/domain-events.js';
import { ESCALATION_TARGET_TEXT, SEVERITY_POLICIES, type EscalationTarget, type Severity } from '../incidents/severity-matrix.js';
import { formatDuration } from '../time/atlas-time.js';
import { safeMrkdwn, type SlackMessage } from './block-kit.js';
import { bullets, context, fallback, packLines, section } from './message-parts.js';
import { actionsTaken } from './actions-taken.js';
import { REVIEW_ISSUE_ITEM, slackLink } from './github-messages.js';
import { mention, withNames } from './people.js';
import { dayTime, hhmm, since } from './slack-time.js';

const cadence = (severity: Severity) => SEVERITY_POLICIES[severity].updateText;

export interface InitialResponse {
  incident: Incident;
  /** 'ack': an alert was acknowledged; 'declare': declared without an alert. */
  how: 'ack' | 'declare';
  /** A symptom that goes straight to the CTO and security, in words ("data loss"). */
  immediateEscalation: string | null;
}

/** The guide's "Initial Alert Response": severity, on-call, status, impact, ETA for the next update. */
export function initialResponseMessage(r: InitialResponse): SlackMessage {
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
  const blocks = [section(`${heading}\n${lines.join('\n')}`)];
  if (r.immediateEscalation) {
    blocks.push(section(`⚠️ ${safeMrkdwn(r.immediateEscalation, 200)} goes straight to the CTO and security: \`/atlas escalate ${incident.id} cto\``));
  }
  blocks.push(
    context(`${incident.id} · updates ${cadence(incident.severity)} · \`/atlas update ${incident.id}\` · \`/atlas escalate ${incident.id}\` · \`/atlas resolve ${incident.id}\``),
  );
  return { text: fallback(`${first} · ${safeMrkdwn(incident.title, 150)}`), blocks };
}

/** The answers of the acknowledge form: impact and when the next update comes. */
export function ackDetailsMessage(incident: Incident, actorId: string): SlackMessage {
  const impact = incident.impact ? safeMrkdwn(incident.impact, 2000) : 'being assessed';
  const next = incident.next_update_at ? hhmm(incident.next_update_at) : 'as soon as known';
  return {
    text: fallback(`📝 ${incident.id} impact: ${incident.impact ? safeMrkdwn(incident.impact, 150) : 'being assessed'} · next update ${next}`),
    blocks: [section(`*Impact*: ${impact} · *Next update*: ${next}`), context(`set by ${mention(actorId)}`)],
  };
}

/** The guide's "Incident Update [HH:MM UTC]": summary, progress, next steps, ETA. */
export function statusUpdateMessage(incident: Incident, update: StatusUpdate, at: Date, actorId: string): SlackMessage {
  const progress = [...bullets(update.completed, '✅'), ...bullets(update.inProgress, '⏳'), ...bullets(update.blocked, '⏸️')];
  const body = [`*Incident Update* [${hhmm(at)}] · ${incident.id} · ${incident.severity}`, `*Summary*: ${safeMrkdwn(update.summary, 800)}`];
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
export function severityChangedMessage(incident: Incident, from: Severity, actorId: string): SlackMessage {
  const rank = (s: Severity) => Number(s.slice(1));
  const icon = rank(incident.severity) < rank(from) ? '⬆️' : '⬇️';
  const policy = SEVERITY_POLICIES[incident.severity];
  const line = `${icon} *Severity ${from} → ${incident.severity}* (${policy.meaning}) by ${mention(actorId)}`;
  const clock = `Updates ${policy.updateText}${incident.next_update_at ? `; next update due ${hhmm(incident.next_update_at)}` : ''}.`;
  return { text: fallback(`${icon} ${incident.id} severity ${from} → ${incident.severity}`), blocks: [section(`${line}\n${clock}`)] };
}

export function ownerChangedMessage(incident: Incident, previous: string | null, actorId: string): SlackMessage {
  const by = actorId === incident.owner_id ? '' : ` (set by ${mention(actorId)})`;
  const line = `👤 ${mention(incident.owner_id)} now owns ${incident.id} (was ${mention(previous)})${by}`;
  return { text: fallback(`👤 ${incident.id} now owned by ${mention(incident.owner_id)}`), blocks: [section(line)] };
}

export function noteMessage(incident: Incident, text: string, actorId: string): SlackMessage {
  return {
    text: fallback(`📝 ${incident.id} note from ${mention(actorId)}: ${safeMrkdwn(text, 200)}`),
    blocks: [section(`📝 *Note* from ${mention(actorId)}:\n${safeMrkdwn(text, 2900)}`)],
  };
}

export { actionsTaken } from './actions-taken.js';

/** Why now, in the guide's words. */
export function escalationReasonText(reason: EscalationReason, target: EscalationTarget): string {
  switch (reason.kind) {
    case 'given':
      return reason.text;
    case 'immediate':
      return `${reason.symptom}: the guide sends it straight to the CTO and security`;
    case 'threshold': {
      const after = formatDuration(reason.afterMinutes * 60_000);
      return reason.reached
        ? `${after} threshold for a ${reason.severity} reached (open ${formatDuration(reason.ageMs)})`
        : `judgement call of the responder, before the ${after} threshold for a ${reason.severity}`;
    }
    case 'judgement':
      return `judgement call of the responder (no ${ESCALATION_TARGET_TEXT[target]} deadline for a ${reason.severity})`;
  }
}

export interface Escalation {
  incident: Incident;
  target: EscalationTarget;
  /** The contact's Slack user ID, or null when none is configured. */
  contactId: string | null;
  /** Where the contact would be configured, to say so when it is not. */
  configKey: string;
  at: Date;
  history: readonly TimelineEntry[];
  reason: EscalationReason;
  need: string | null;
  actorId: string;
  /** The contact is paged through PagerDuty too. */
  pagedInPagerDuty?: boolean;
}

/** The guide's "good escalation message": issue, duration, impact, actions taken, why, immediate need. */
export function escalationMessage(e: Escalation): SlackMessage {
  const { incident } = e;
  const who = ESCALATION_TARGET_TEXT[e.target];
  const addressee = e.contactId ? mention(e.contactId) : `⚠️ No ${who} is configured (\`${e.configKey}\`): page them by hand`;
  const taken = actionsTaken(e.history);
  // The latest few: the message must keep its why and need within one section.
  const recent = taken.slice(-6);
  // IDs in the timeline's words become mentions: inside Slack people are named by Slack.
  const actions = recent.length > 0 ? recent.map((a) => `• ${withNames(safeMrkdwn(a, 180), (id) => mention(id))}`) : ['• nothing recorded on the timeline yet'];
  if (taken.length > recent.length) actions.unshift(`• … ${taken.length - recent.length} earlier (\`/atlas timeline ${incident.id}\`)`);
  const body = [
    `${addressee} - Escalating ${incident.severity} incident ${incident.id}`,
    `*Issue*: ${safeMrkdwn(incident.title, 200)}`,
    `*Duration*: ${since(incident.opened_at, e.at)} (started ${hhmm(incident.opened_at)})`,
    `*Impact*: ${incident.impact ? safeMrkdwn(incident.impact, 300) : 'being assessed'}`,
    '*Actions Taken*:',
    ...actions,
    `*Escalating Because*: ${safeMrkdwn(escalationReasonText(e.reason, e.target), 300)}`,
    `*Immediate Need*: ${safeMrkdwn(e.need ?? 'eyes on the incident: see the thread', 600)}`,
  ];
  const to = e.contactId ? `the ${who} (${mention(e.contactId)})` : `the ${who} (not configured)`;
  return {
    text: fallback(`📣 ${incident.id} escalated to ${to} by ${mention(e.actorId)}`),
    blocks: [section(packLines(body)), context(`escalated by ${mention(e.actorId)}${e.pagedInPagerDuty ? ` · 📟 the ${who} is paged through PagerDuty too` : ''}`)],
  };
}

/** The guide's resolution message: start, end, duration, resolution, impact. */
export function resolutionMessage(incident: Incident, reviewDue: Date, actorId: string): SlackMessage {
  const end = incident.resolved_at ?? incident.opened_at;
  const duration = since(incident.opened_at, new Date(end));
  const body = [
    `✅ *RESOLVED*: ${safeMrkdwn(incident.title, 300)}`,
    `*Duration*: ${dayTime(incident.opened_at)} – ${hhmm(end)} (${duration})`,
    `*Resolution*: ${safeMrkdwn(incident.resolution ?? '', 1200)}`,
    `*Impact*: ${incident.impact ? safeMrkdwn(incident.impact, 800) : 'not recorded'}`,
    `*Follow-up*: post-incident review due by ${dayTime(reviewDue)} (\`/atlas review ${incident.id}\` drafts it)`,
  ];
  return { text: fallback(`✅ ${incident.id} resolved after ${duration} by ${mention(actorId)}`), blocks: [section(packLines(body))] };
}

/** Where the post-incident checklist stands: what the bot knows is done. */
export interface ChecklistState {
  firingAlerts: readonly string[];
  reviewDue: Date;
  reviewIssue?: { repo: string; number: number; url: string } | null;
  /** When the debrief meeting was marked scheduled. */
  debriefScheduledAt?: string | null;
  /** When the review was marked done. */
  reviewDoneAt?: string | null;
}

/**
 * The guide's post-incident checklist, with what the bot knows is done ticked. It is a reply
 * in the thread that stays true: edited as alerts are cleared, the issue filed, the debrief
 * scheduled and the review done.
 */
export function postIncidentChecklistMessage(incident: Incident, c: ChecklistState): SlackMessage {
  const { firingAlerts, reviewDue } = c;
  const alerts =
    firingAlerts.length === 0
      ? '✅ Clear any firing alerts: none firing'
      : `☐ Clear any firing alerts: ${firingAlerts.length} still firing (${firingAlerts.slice(0, 5).map((n) => safeMrkdwn(n, 80)).join(', ')})`;
  const items = [
    '✅ Post resolution message (above)',
    '☐ Resolve the PagerDuty incident, if one was opened',
    alerts,
    `✅ Document timeline: recorded, \`/atlas timeline ${incident.id}\``,
    c.reviewIssue
      ? `✅ ${REVIEW_ISSUE_ITEM}: ${slackLink(c.reviewIssue.url, `${c.reviewIssue.repo}#${c.reviewIssue.number}`)}`
      : `☐ ${REVIEW_ISSUE_ITEM}: \`/atlas review ${incident.id}\` prints the draft, with a button that files it`,
    '☐ Update runbook if gaps found',
    c.debriefScheduledAt ? `✅ Schedule debrief meeting: scheduled (${dayTime(c.debriefScheduledAt)})` : `☐ Schedule debrief meeting (by ${dayTime(reviewDue)})`,
  ];
  const done = c.reviewDoneAt ? `✅ Review marked done ${dayTime(c.reviewDoneAt)}` : `\`/atlas review-done ${incident.id}\` when the review is done`;
  return {
    text: fallback(`📋 ${incident.id} post-incident checklist`),
    blocks: [section(`📋 *Post-Incident Checklist*\n${items.join('\n')}`), context(done)],
  };
}

/** Told in the channel (not only the thread) when an incident closes. */
export function incidentClosedMessage(incident: Incident): SlackMessage {
  const duration = since(incident.opened_at, new Date(incident.resolved_at ?? incident.opened_at));
  const line = `✅ *${incident.id}* (${incident.severity}) resolved after ${duration}: ${safeMrkdwn(incident.title, 300)}`;
  const resolution = incident.resolution ? `\n${safeMrkdwn(incident.resolution, 500)}` : '';
  return {
    text: fallback(`✅ ${incident.id} (${incident.severity}) resolved after ${duration}: ${safeMrkdwn(incident.title, 150)}`),
    blocks: [section(`${line}${resolution}`), context(`owner ${mention(incident.owner_id)} · \`/atlas timeline ${incident.id}\``)],
  };
}

/** A resolved incident opened again: in the thread, broadcast to the channel that heard it close. */
export function incidentReopenedMessage(incident: Incident, actorId: string): SlackMessage {
  const next = incident.next_update_at ? `; next update due ${hhmm(incident.next_update_at)}` : '';
  return {
    text: fallback(`🔁 ${incident.id} reopened by ${mention(actorId)}: ${safeMrkdwn(incident.title, 150)}`),
    blocks: [section(`🔁 *${incident.id} reopened* by ${mention(actorId)}: investigating again${next}. Updates ${cadence(incident.severity)}.`)],
  };
}

export function alertsResolvedMessage(incident: Incident, names: readonly string[], notWritten: readonly string[], actorId: string): SlackMessage {
  const list = names.slice(0, 10).map((n) => safeMrkdwn(n, 100)).join(', ');
  const count = `${names.length} firing alert${names.length === 1 ? '' : 's'}`;
  const lines = [`🔕 Resolved ${count} by ${mention(actorId)}: ${list}`];
  if (notWritten.length > 0) lines.push(`⚠️ metrics.db was not updated for ${notWritten.map((n) => safeMrkdwn(n, 100)).join(', ')}; the timeline has why`);
  return { text: fallback(`🔕 ${incident.id}: resolved ${count}`), blocks: [section(lines.join('\n'))] };
}

export function attachedResultMessage(incident: Incident, result: { headline: string; command: string }, actorId: string): SlackMessage {
  const command = safeMrkdwn(result.command.replace(/`/g, "'"), 100);
  return {
    text: fallback(`📎 ${incident.id}: ${mention(actorId)} added \`${command}\``),
    blocks: [section(`📎 ${mention(actorId)} added \`${command}\` to the timeline:\n${safeMrkdwn(result.headline, 2500)}`)],
  };
}

export function reviewDoneMessage(incident: Incident, actorId: string): SlackMessage {
  return {
    text: fallback(`📋 ${incident.id} post-incident review marked done by ${mention(actorId)}`),
    blocks: [section(`📋 Post-incident review of ${incident.id} marked done by ${mention(actorId)}; the reminder is off.`)],
  };
}

/** A note from the bot in an incident's thread: the alert resolved, or fired again. */
export function alertNoteMessage(alertName: string, what: 'resolved' | 'refired', at: Date | string): SlackMessage {
  const name = safeMrkdwn(alertName, 150);
  return what === 'resolved'
    ? { text: fallback(`Alert ${name} resolved at ${hhmm(at)}.`), blocks: [section(`✅ Alert *${name}* resolved at ${hhmm(at)}.`)] }
    : {
        text: fallback(`Alert ${name} fired again at ${hhmm(at)}; posted as a new alert.`),
        blocks: [section(`🔁 Alert *${name}* fired again at ${hhmm(at)}; posted as a new alert.`)],
      };
}
