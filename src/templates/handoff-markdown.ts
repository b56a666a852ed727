/**
 * The handoff as the guide's `handoff-YYYYMMDD.md`: the same content as the Slack message, in
 * the template's sections and order, nothing cut (a file has no block limit), for the team's
 * records or a GitHub issue labelled `ops-handoff`.
 */
import { problemText } from './handoff-problems.js';
import {
  alertGroupText,
  isGap,
  shiftChangeText,
  STATUS_WORDS,
  type HandoffContent,
  type HandoffGitHubIssue,
  type HandoffIncident,
  type HandoffSection,
  type HandoffStatusLevel,
  type HandoffWatchItem,
  type JobRow,
  type MaintenanceEntry,
} from '../oncall/handoff-content.js';
import { wallClock } from '../oncall/zoned-time.js';
import { formatDuration } from '../time/atlas-time.js';
import { deadlineText } from './incident-card.js';
import { dayTime } from './slack-time.js';
import { idsAsNames, type PersonName } from './people.js';

const STATUS_MARK: Record<HandoffStatusLevel, string> = { 'all-clear': '✅', issues: '⚠', critical: '🚨' };

/** `handoff-20261130.md`: the shift change's date in the rotation's zone, the day the team calls it. */
export function handoffFileName(content: Pick<HandoffContent, 'shiftChange' | 'timezone'>): string {
  return `handoff-${wallClock(content.shiftChange, content.timezone).date.replaceAll('-', '')}.md`;
}

/** Text from people or alerts on one line, with markdown's active characters taken literally. */
function md(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/([\\`*_[\]<>#|~])/g, '\\$1');
}

/** An identifier in a code span; a backtick inside it (never in our ids) becomes a quote. */
const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;

/** Everyone the handoff file names, for their names to be looked up before it is written. */
export function peopleInHandoff(c: HandoffContent): string[] {
  const ids = [c.outgoing.primary, c.outgoing.secondary, c.incoming.primary, c.incoming.secondary, c.notes?.by, ...c.problems.map((p) => p.userId)];
  if (!isGap(c.incidents)) ids.push(...c.incidents.items.map((i) => i.ownerId));
  return ids.filter((x): x is string => typeof x === 'string');
}

function listOf<T>(s: HandoffSection<T>, line: (item: T) => string, empty: string): string[] {
  if (isGap(s)) return [`- ⚠ ${md(s.gap)}`];
  const lines = s.items.length > 0 ? s.items.map(line) : [empty];
  return [...lines, ...s.gaps.map((g) => `- ⚠ ${md(g)}`), ...s.notes.map((n) => `- ℹ ${md(n)}`)];
}

function incidentLines(i: HandoffIncident, now: Date, user: (id: string | null) => string): string {
  const owner = i.needsOwner === 'owner-leaves' ? ' **needs a new owner** (the owner goes off shift)' : i.needsOwner === 'no-owner' ? ' **needs an owner**' : '';
  const facts = [
    `Started: ${dayTime(i.openedAt)} (${formatDuration(i.ageMs)} ago)`,
    `Status: ${i.status}`,
    `Owner: ${user(i.ownerId)}`,
    `Last update: ${i.lastUpdateAt ? dayTime(i.lastUpdateAt) : 'none yet'}`,
    `Next: ${deadlineText(i.nextDeadline, now) ?? 'nothing scheduled'}`,
  ];
  return `- **${i.id}** ${i.severity}: ${md(i.title)}${owner}\n  - ${facts.join('\n  - ')}`;
}

function incidentSection(c: HandoffContent, user: (id: string | null) => string): string[] {
  const s = c.incidents;
  if (isGap(s)) return [`- ⚠ ${md(s.gap)}`];
  const urgent = s.items.filter((i) => i.severity === 'P0' || i.severity === 'P1');
  const other = s.items.filter((i) => i.severity === 'P2' || i.severity === 'P3');
  const lines = (list: HandoffIncident[]) => (list.length > 0 ? list.map((i) => incidentLines(i, c.now, user)) : ['_None_']);
  return ['### P0/P1 Incidents', '', ...lines(urgent), '', '### P2/P3 Incidents', '', ...lines(other), ...s.gaps.map((g) => `\n- ⚠ ${md(g)}`), ...s.notes.map((n) => `\n- ℹ ${md(n)}`)];
}

/** The repository's open incident issues under the bot's incidents (the guide's `gh issue list`); none when GitHub is off. */
function gitHubIssueSection(c: HandoffContent): string[] {
  const s = c.githubIssues;
  if (!s) return [];
  const line = (i: HandoffGitHubIssue) => `- [${md(`${i.repo}#${i.number}`)}](${i.url.replace(/[()\s]/g, encodeURIComponent)}) ${md(i.title)} (opened ${dayTime(i.createdAt)})`;
  return ['', '### GitHub Incident Issues', '', ...listOf(s, line, '_None open_')];
}

function jobLine(j: JobRow, stuckHours: number): string {
  const tasks = j.totalTasks > 0 ? `, ${j.percent ?? 0}% (${j.completedTasks} of ${j.totalTasks} tasks${j.failedTasks > 0 ? `, ${j.failedTasks} failed` : ''})` : '';
  const updated = j.sinceUpdateMs === null ? 'no readable update time' : `updated ${formatDuration(j.sinceUpdateMs)} ago`;
  const stuck = j.stuck ? ` — **stuck?** silent for ${stuckHours} h or more: is the orchestrator alive? has updatedAt moved?` : '';
  const current = j.currentTask ? `, on ${md(j.currentTask)}` : '';
  return `- [ ] ${code(j.id)} ${j.status}${tasks}, ${updated}${current}${stuck}`;
}

function watchLine(w: HandoffWatchItem): string {
  const value = w.value === null ? '' : ` ${Number.isInteger(w.value) ? w.value : w.value.toFixed(1)}${w.unit === '' || w.unit === 'count' ? '' : ` ${w.unit}`}`;
  const target = w.target ? `(target ${w.target})` : '';
  return `- [ ] ${w.level === 'crit' ? '🚨 **critical**' : '⚠'} ${md(w.label)}${value}${target ? ` ${md(target)}` : ''}: ${md(w.detail)}`;
}

function maintenanceLine(e: MaintenanceEntry): string {
  const at = e.time === null ? `${e.date} (all day${e.zone === 'UTC' ? '' : `, ${e.zone}`})` : e.zone === 'UTC' ? `${e.date} ${e.time} UTC` : `${e.date} ${e.time} ${e.zone} (${dayTime(e.start)})`;
  return `- [ ] ${at}: ${e.text ? md(e.text) : '(no description)'}`;
}

function notesSection(c: HandoffContent, user: (id: string | null) => string): string[] {
  if (!c.notes || c.notes.text.trim() === '') return ['_None left._'];
  const quoted = c.notes.text
    .trim()
    .split(/\r?\n/)
    .map((l) => (l.trim() === '' ? '>' : `> ${md(l)}`));
  return [`From ${user(c.notes.by)} at ${dayTime(c.notes.at)}:`, '', ...quoted];
}

/**
 * The guide's handoff file, filled in. People are named by `name` (Slack's display or real name:
 * a file is read outside Slack), `@U…` only for someone whose name was never known.
 */
export function handoffMarkdown(content: HandoffContent, name: PersonName = idsAsNames): string {
  const c = content;
  const user = (id: string | null) => {
    if (!id) return 'Nobody on call';
    const known = name(id);
    return known === id ? `@${id}` : md(known);
  };
  const { status } = c;
  const header = [`# On-Call Handoff: ${user(c.outgoing.primary)} → ${user(c.incoming.primary)}`, '', `Date: ${shiftChangeText(c.shiftChange, c.timezone)}`];
  header.push(`From: ${user(c.outgoing.primary)}${c.outgoing.secondary ? ` (secondary ${user(c.outgoing.secondary)})` : ''}`);
  header.push(`To: ${user(c.incoming.primary)}${c.incoming.secondary ? ` (secondary ${user(c.incoming.secondary)})` : ''}`);
  if (c.late) header.push(`Posted late: scheduled for ${shiftChangeText(c.late.scheduled, c.timezone)}`);
  for (const p of c.problems) header.push(`Warning: ${problemText(p, user)}`);
  if (c.skipped.length + c.skippedMore > 0) {
    const more = c.skippedMore > 0 ? ` and ${c.skippedMore} earlier` : '';
    header.push(`Skipped (the bot was down): ${c.skipped.map((d) => dayTime(d)).join(', ')}${more}`);
  }
  // Consecutive lines of the header each on their own line in rendered markdown.
  const head = header.map((l, i) => (i >= 2 && i < header.length - 1 ? `${l}  ` : l));

  const body = [
    '## Summary Status',
    '',
    `**Overall Status**: ${STATUS_MARK[status.level]} ${STATUS_WORDS[status.level]}`,
    '',
    '**Key Points**:',
    ...(status.reasons.length > 0 ? status.reasons.map((r) => `- ${md(r)}`) : ['- Nothing open, firing or at warn']),
    '',
    '## Active Incidents',
    '',
    ...incidentSection(c, user),
    ...gitHubIssueSection(c),
    '',
    `## Alerts (last ${c.alertHours} h)`,
    '',
    ...listOf(c.alerts, (g) => `- ${md(alertGroupText(g))}, ${g.severity}${g.resolvedAt ? `, resolved ${dayTime(g.resolvedAt)}` : `, last fired ${dayTime(g.lastFiredAt)}`}`, '- None'),
    '',
    '## Ongoing Work',
    '',
    ...listOf(c.jobs, (j) => jobLine(j, c.stuckHours), '- [ ] None (no running, pending or partial jobs)'),
    '',
    '## Watch Items',
    '',
    ...listOf(c.watch, watchLine, '- [ ] None'),
    '',
    `## Scheduled Maintenance`,
    '',
    `Next ${c.maintenanceDays} days:`,
    '',
    ...listOf(c.maintenance, maintenanceLine, '- [ ] None scheduled'),
    '',
    '## Notes',
    '',
    ...notesSection(c, user),
    '',
    '## Handoff Checklist',
    '',
    '- [ ] Reviewed active alerts',
    '- [ ] Checked recent jobs',
    '- [ ] Verified latest snapshot accessible',
    '- [ ] Documented any incidents or interventions',
    '- [ ] No critical alerts firing',
    '- [ ] Every incident has an owner on shift',
    '- [ ] Next on-call acknowledged handoff',
  ];
  return `${[...head, '', ...body].join('\n')}\n`;
}
