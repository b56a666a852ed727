/**
 * The shift handoff as posted in channels.handoff: the guide's template, filled in. The first
 * block is the answer (who hands over to whom, when, and the status with its reasons); each
 * section after it is capped so that the whole stays well inside Slack's limits however much
 * is open, naming the command that lists the rest.
 */
import type { types } from '@slack/bolt';
import type { Severity } from '../db/state/state-records.js';
import { problemText } from './handoff-problems.js';
import {
  alertGroupText,
  isGap,
  shiftChangeText,
  STATUS_WORDS,
  type HandoffAlertGroup,
  type HandoffContent,
  type HandoffGitHubIssue,
  type HandoffIncident,
  type HandoffSection,
  type HandoffStatusLevel,
  type HandoffWatchItem,
  type JobRow,
  type MaintenanceEntry,
} from '../oncall/handoff-content.js';
import { formatDuration } from '../time/atlas-time.js';
import { safeMrkdwn, type SlackMessage } from './block-kit.js';
import { HANDOFF_TAKE_OVER_ACTION } from './handoff-buttons.js';
import { deadlineText } from './incident-card.js';
import { button, context, fallback, section } from './message-parts.js';
import { auditHeadLine } from './audit-head.js';
import { slackLink } from './github-messages.js';
import { mention } from './people.js';
import { dayTime, hhmm } from './slack-time.js';

type KnownBlock = types.KnownBlock;

export const STATUS_EMOJI: Record<HandoffStatusLevel, string> = { 'all-clear': '✅', issues: '⚠️', critical: '🚨' };
const SEVERITY_EMOJI: Record<Severity, string> = { P0: '🔴', P1: '🟠', P2: '🟡', P3: '⚪' };

/*
 * Character caps per part. Their sum (with the buttons' labels) stays near 10,300 characters,
 * under the ~11,000 of block text past which Slack answers msg_blocks_too_long, and the blocks
 * stay near 25 of 50.
 */
const HEAD_MAX = 900;
const CONTEXT_ITEM_MAX = 200;
const INCIDENTS_SHOWN = 8;
const INCIDENT_MAX = 330;
const ALERTS_MAX = 1300;
const JOBS_MAX = 1100;
const WATCH_MAX = 1300;
const MAINTENANCE_MAX = 700;
const NOTES_MAX = 1200;
/** The open GitHub incident issues (github.incidentLabels), when GitHub is on. */
const GITHUB_MAX = 700;
/** Shift changes named in "Skipped", newest last; the rest are counted. */
const SKIPPED_SHOWN = 5;

const divider: KnownBlock = { type: 'divider' };

/** The outgoing or incoming primary, or "Nobody on call". */
function person(userId: string | null): string {
  return userId ? mention(userId) : 'Nobody on call';
}

/** "12:05 UTC" today-ish, the date with it when more than a day away from `now`. */
function when(at: string | Date, now: Date): string {
  return Math.abs(now.getTime() - new Date(at).getTime()) < 20 * 3_600_000 ? hhmm(at) : dayTime(at);
}

/**
 * A title and escaped lines in one section text of at most `max` characters: whole lines only,
 * then "… and N more: <where>" for the rest.
 */
function packList(title: string, lines: readonly string[], max: number, more: (n: number) => string): string {
  const reserve = more(lines.length).length + 1;
  let out = title;
  let shown = 0;
  for (const line of lines) {
    const next = `${out}\n${line}`;
    const isLast = shown === lines.length - 1;
    if (next.length > (isLast ? max : max - reserve)) break;
    out = next;
    shown += 1;
  }
  return shown < lines.length ? `${out}\n${more(lines.length - shown)}` : out;
}

/** The lines a section shows before (gap) or after (gaps, notes) its items. */
function sectionNotes<T>(s: HandoffSection<T>): { gapLine: string | null; after: string[] } {
  if (isGap(s)) return { gapLine: `⚠️ ${safeMrkdwn(s.gap, 500)}`, after: [] };
  return { gapLine: null, after: [...s.gaps.map((g) => `⚠️ ${safeMrkdwn(g, 300)}`), ...s.notes.map((n) => `ℹ️ ${safeMrkdwn(n, 300)}`)] };
}

/** A list section: its title, its item lines capped, its gaps and notes last (they are never dropped for items). */
function listSection<T>(title: string, s: HandoffSection<T>, line: (item: T) => string, empty: string, max: number, more: (n: number) => string): KnownBlock {
  const { gapLine, after } = sectionNotes(s);
  if (gapLine) return section(`${title}\n${gapLine}`);
  const items = isGap(s) ? [] : s.items;
  const tail = after.join('\n');
  const room = max - (tail ? tail.length + 1 : 0);
  const body = items.length === 0 ? `${title}\n${empty}` : packList(title, items.map(line), room, more);
  return section(tail ? `${body}\n${tail}` : body);
}

function headBlock(c: HandoffContent): KnownBlock {
  const { status } = c;
  const reasons = status.reasons.map((r) => safeMrkdwn(r, 100)).join(' · ');
  const lines = [
    `*On-Call Handoff: ${person(c.outgoing.primary)} → ${person(c.incoming.primary)}*`,
    `Date: ${shiftChangeText(c.shiftChange, c.timezone)}`,
    `Status: ${STATUS_EMOJI[status.level]} *${STATUS_WORDS[status.level]}*${reasons ? `: ${reasons}` : ''}`,
  ];
  const text = lines.join('\n');
  return section(text.length <= HEAD_MAX ? text : `${text.slice(0, HEAD_MAX - 1).replace(/&[a-z]*$/, '')}…`);
}

function contextBlock(c: HandoffContent): KnownBlock | null {
  const items: string[] = [];
  const { outgoing, incoming } = c;
  if (outgoing.secondary || incoming.secondary) items.push(`Secondary: ${person(outgoing.secondary)} → ${person(incoming.secondary)}`);
  if (c.late) items.push(`⏰ Posted late: scheduled for ${shiftChangeText(c.late.scheduled, c.timezone)}`);
  for (const p of c.problems) items.push(`⚠️ ${problemText(p, mention)}`);
  const skippedTotal = c.skipped.length + c.skippedMore;
  if (skippedTotal > 0) {
    const shown = c.skipped.slice(-SKIPPED_SHOWN).map((d) => dayTime(d));
    const rest = skippedTotal - shown.length;
    items.push(`Skipped (the bot was down): ${shown.join(', ')}${rest > 0 ? ` and ${rest} earlier` : ''}`);
  }
  return items.length > 0 ? context(...items.map((t) => (t.length <= CONTEXT_ITEM_MAX ? t : `${t.slice(0, CONTEXT_ITEM_MAX - 1)}…`))) : null;
}

function incidentText(i: HandoffIncident, now: Date): string {
  const flag =
    i.needsOwner === 'owner-leaves' ? '🆘 *Needs a new owner* (the owner goes off shift)\n' : i.needsOwner === 'no-owner' ? '🆘 *Needs an owner* (nobody owns it)\n' : '';
  const head = `${SEVERITY_EMOJI[i.severity]} *${i.id}* · ${i.severity} · ${i.status} · open ${formatDuration(i.ageMs)}`;
  const last = i.lastUpdateAt ? `last update ${when(i.lastUpdateAt, now)}` : 'no update yet';
  const next = deadlineText(i.nextDeadline, now);
  const facts = [`owner ${i.ownerId ? mention(i.ownerId) : 'nobody'}`, last, next ? `next: ${safeMrkdwn(next, 90)}` : null].filter(Boolean).join(' · ');
  const fixed = `${flag}${head}\n\n${facts}`;
  // The title gives way first: the id, owner and deadline are what the incoming engineer acts on.
  const title = safeMrkdwn(i.title, Math.max(20, Math.min(150, INCIDENT_MAX - fixed.length)));
  return `${flag}${head}\n${title}\n${facts}`;
}

function incidentBlocks(c: HandoffContent): KnownBlock[] {
  const title = '*Active incidents*';
  const s = c.incidents;
  const { gapLine, after } = sectionNotes(s);
  if (gapLine) return [section(`${title}\n${gapLine}`)];
  const items = isGap(s) ? [] : s.items;
  if (items.length === 0) return [section([`${title}: none`, ...after].join('\n'))];
  const orphans = items.filter((i) => i.needsOwner !== null).length;
  const blocks: KnownBlock[] = [section([`${title} (${items.length})${orphans > 0 ? ` · ${orphans} need${orphans === 1 ? 's' : ''} an owner, listed first` : ''}`, ...after].join('\n'))];
  for (const i of items.slice(0, INCIDENTS_SHOWN)) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: incidentText(i, c.now), verbatim: true },
      // Action ids must differ within a message; the handler routes on the prefix and reads the id from the value.
      accessory: button(`${HANDOFF_TAKE_OVER_ACTION}:${i.id}`, 'Take over', i.id, i.needsOwner ? 'primary' : undefined),
    });
  }
  const hidden = items.slice(INCIDENTS_SHOWN);
  if (hidden.length > 0) {
    const hiddenOrphans = hidden.filter((i) => i.needsOwner !== null).length;
    blocks.push(context(`… and ${hidden.length} more${hiddenOrphans > 0 ? ` (${hiddenOrphans} needing an owner)` : ''}: \`/atlas incidents\``));
  }
  return blocks;
}

function gitHubIssueLine(i: HandoffGitHubIssue, now: Date): string {
  return `• ${slackLink(i.url, `#${i.number}`)} ${safeMrkdwn(i.title, 100)} · opened ${when(i.createdAt, now)}`;
}

/** The repository's open incident issues, beside the bot's own incidents; none when GitHub is off. */
function gitHubIssueBlocks(c: HandoffContent): KnownBlock[] {
  const s = c.githubIssues;
  if (!s) return [];
  const repo = isGap(s) || s.items.length === 0 ? '' : ` in ${safeMrkdwn(s.items[0]!.repo, 140)}`;
  return [listSection(`*GitHub incident issues*${repo}`, s, (i) => gitHubIssueLine(i, c.now), 'None open.', GITHUB_MAX, (n) => `… and ${n} more on GitHub`)];
}

function alertLine(g: HandoffAlertGroup, now: Date): string {
  const icon = g.outcome === 'resolved' ? '✅' : g.outcome === 'still firing' ? (g.severity === 'P0' || g.severity === 'P1' ? '🔴' : '🟠') : '👀';
  const name = g.name.length > 80 ? `${g.name.slice(0, 79)}…` : g.name;
  const last = g.resolvedAt ? `resolved ${when(g.resolvedAt, now)}` : `last fired ${when(g.lastFiredAt, now)}`;
  return `• ${icon} ${safeMrkdwn(alertGroupText({ ...g, name }), 200)} · ${g.severity} · ${last}`;
}

function jobLine(j: JobRow, stuckHours: number): string {
  const tasks = j.totalTasks > 0 ? ` · ${j.percent ?? 0} % (${j.completedTasks} of ${j.totalTasks} tasks${j.failedTasks > 0 ? `, ${j.failedTasks} failed` : ''})` : '';
  const silent = j.sinceUpdateMs === null ? 'no readable update time' : `updated ${formatDuration(j.sinceUpdateMs)} ago`;
  const icon = j.stuck ? '⚠️' : j.status === 'failed' ? '❌' : j.status === 'partial' ? '🟠' : j.status === 'pending' ? '⏳' : '🔄';
  const stuck = j.stuck ? ` · *stuck?* silent for ${stuckHours} h or more: is the orchestrator alive?` : '';
  const current = j.currentTask && !j.stuck ? ` · on ${safeMrkdwn(j.currentTask, 40)}` : '';
  return `• ${icon} \`${j.id}\` ${j.status}${tasks} · ${silent}${current}${stuck}`;
}

function itemValue(w: HandoffWatchItem): string {
  if (w.value === null) return '';
  const rounded = Number.isInteger(w.value) ? String(w.value) : w.value.toFixed(1);
  const unit = w.unit === '' || w.unit === 'count' ? '' : ` ${w.unit}`;
  return ` ${rounded}${unit}`;
}

function watchLine(w: HandoffWatchItem): string {
  const target = w.target ? ` (target ${w.target})` : '';
  const icon = w.level === 'crit' ? '🔴' : '⚠️';
  return `• ${icon} *${safeMrkdwn(w.label, 60)}*${itemValue(w)}${safeMrkdwn(target, 40)}: ${safeMrkdwn(w.detail, 180)}`;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function maintenanceLine(e: MaintenanceEntry): string {
  const [y, m, d] = e.date.split('-').map(Number) as [number, number, number];
  const day = `${WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()]} ${e.date}`;
  const at = e.time === null ? `${day} (all day${e.zone === 'UTC' ? '' : `, ${e.zone}`})` : e.zone === 'UTC' ? `${day} ${e.time} UTC` : `${day} ${e.time} ${e.zone} (${hhmm(e.start)})`;
  return `• ${at}: ${e.text ? safeMrkdwn(e.text, 150) : '(no description)'}`;
}

function notesBlock(c: HandoffContent): KnownBlock {
  if (!c.notes || c.notes.text.trim() === '') return section('*Notes*: none left');
  const head = `*Notes* from ${mention(c.notes.by)} (${when(c.notes.at, c.now)}):`;
  // Whole lines, each quoted, as many as fit; the count of the rest says the notes go on.
  const lines = c.notes.text.trim().split(/\r?\n/).map((l) => `>${safeMrkdwn(l, 300)}`);
  return section(packList(head, lines, NOTES_MAX, (n) => `>… ${n} more line${n === 1 ? '' : 's'} of notes`));
}

/** The handoff as a Slack message: the answer first, then incidents with Take over, alerts, work, watch items, maintenance, notes. */
export function handoffMessage(content: HandoffContent): SlackMessage {
  const c = content;
  const blocks: KnownBlock[] = [headBlock(c)];
  const ctx = contextBlock(c);
  if (ctx) blocks.push(ctx);
  blocks.push(divider, ...incidentBlocks(c), ...gitHubIssueBlocks(c), divider);
  blocks.push(
    listSection(`*Recent alerts (last ${c.alertHours} h)*`, c.alerts, (g) => alertLine(g, c.now), 'None.', ALERTS_MAX, (n) => `… and ${n} more: \`/atlas alerts --all\``),
  );
  blocks.push(
    listSection('*Ongoing work*', c.jobs, (j) => jobLine(j, c.stuckHours), 'No running, pending or partial jobs.', JOBS_MAX, (n) => `… and ${n} more: \`/atlas jobs\``),
  );
  blocks.push(listSection('*Watch items*', c.watch, watchLine, 'Nothing at warn or critical.', WATCH_MAX, (n) => `… and ${n} more: \`/atlas health\``));
  blocks.push(
    listSection(
      `*Scheduled maintenance (next ${c.maintenanceDays} days)*`,
      c.maintenance,
      maintenanceLine,
      'None scheduled.',
      MAINTENANCE_MAX,
      (n) => `… and ${n} more in the maintenance calendar`,
    ),
  );
  blocks.push(divider, notesBlock(c));
  // Anchors the audit log outside chatops.db: `audit verify --head` checks against what is posted here.
  if (c.auditHead) blocks.push(context(auditHeadLine(c.auditHead)));
  const text = fallback(
    `On-Call Handoff: ${person(c.outgoing.primary)} → ${person(c.incoming.primary)} · ${STATUS_EMOJI[c.status.level]} ${STATUS_WORDS[c.status.level]}`,
  );
  return { text, blocks };
}
