/**
 * The reliability report as an answer: the first line is the answer ("Last 7 days: 4 incidents
 * (1 P0), MTTA 3 min (SLA 5 min, 1 breach), MTTR 42 min"), then incidents by severity, the
 * response times against the protocol's SLAs with the breaches named, pages per person, the
 * noisiest alerts with one suggestion each, and the reviews still open. Slack gets lines (a
 * phone reads them), the terminal aligned tables; renderBlocks keeps it within Block Kit's limits.
 */
import { SEVERITIES } from '../incidents/severity-matrix.js';
import { wallClock } from '../oncall/zoned-time.js';
import { NIGHT_END_HOUR } from '../oncall/night-hours.js';
import { PROTOCOL_SLA_MINUTES } from '../reports/protocol-sla.js';
import { FLAP_CYCLES, isQuietWindow, type Breach, type NoisyAlert, type NoisySuggestion, type ReliabilityReport, type Stage, type StageFigures } from '../reports/reliability-report.js';
import { formatDuration } from '../time/atlas-time.js';
import { renderBlocks, type SlackMessage } from './block-kit.js';
import type { PersonName } from './people.js';
import type { Report, ReportSection } from './report.js';

const MIN = 60_000;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "45 s", "3.5 min", "42 min", "2 h 5 min": tenths of a minute under ten minutes, where SLAs are decided. */
export function responseTime(ms: number): string {
  if (ms < MIN) return `${Math.round(ms / 1000)} s`;
  if (ms < 10 * MIN) return `${Math.round((ms / MIN) * 10) / 10} min`;
  if (ms < 60 * MIN) return `${Math.round(ms / MIN)} min`;
  return formatDuration(ms);
}

/** "Last 7 days", "Last 36 h". */
export function windowLabel(windowMs: number): string {
  const day = 24 * 60 * MIN;
  return windowMs % day === 0 ? `Last ${plural(windowMs / day, 'day')}` : `Last ${formatDuration(windowMs)}`;
}

const STAGE_NAME: Record<Stage, string> = { ack: 'Acknowledge (MTTA)', assess: 'Assess', triage: 'Triage', resolve: 'Resolve (MTTR)' };
const STAGE_VERB: Record<Exclude<Stage, 'resolve'>, [done: string, notYet: string]> = {
  ack: ['acknowledged after', 'not acknowledged yet after'],
  assess: ['assessed after', 'not assessed yet after'],
  triage: ['triaged after', 'not triaged yet after'],
};

export const SUGGESTION_TEXT: Record<NoisySuggestion, string> = {
  'raise-threshold': 'raise its threshold (or make it hold longer before firing)',
  snooze: 'snooze it, or make it a warning: it clears on its own',
  group: 'group it with the alerts about the same thing (alerts.groupBy)',
};

/** Slack lists at most this many breaches, people or reviews: every section of a bad quarter still fits one message. */
export const SLACK_LIST_MAX = 10;
/** Titles are cut to this in Slack's lines (the terminal keeps them whole). */
const SLACK_TITLE_MAX = 80;

/** The first `max` lines and a note of how many more the terminal lists. */
function capped(lines: string[], max: number, what: string): string[] {
  return lines.length <= max ? lines : [...lines.slice(0, max), `… and ${lines.length - max} more ${what}: \`atlas report\` in a terminal lists all.`];
}

const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

const figure = (ms: number | null) => (ms === null ? '—' : responseTime(ms));
const byStage = (r: ReliabilityReport, stage: Stage) => r.stages.find((s) => s.stage === stage)!;

function severityText(r: ReliabilityReport): string {
  const parts = SEVERITIES.filter((s) => r.incidents.bySeverity[s] > 0).map((s) => `${r.incidents.bySeverity[s]} ${s}`);
  return parts.join(', ');
}

function slaPart(s: StageFigures): string {
  return s.slaMinutes === null ? '' : ` (SLA ${s.slaMinutes} min${s.breaches > 0 ? `, ${plural(s.breaches, 'breach', 'breaches')}` : ''})`;
}

/** The first line: the answer. */
export function reliabilityHeadline(r: ReliabilityReport): string {
  const label = windowLabel(r.windowMs);
  if (isQuietWindow(r)) {
    const reviews = r.openReviews.length > 0 ? `; ${plural(r.openReviews.length, 'review')} of earlier incidents still open` : '';
    return `${label}: no incidents, no alerts fired, nobody paged${reviews}.`;
  }
  if (r.incidents.total === 0) {
    const paged = r.pages.reduce((n, p) => n + p.pages, 0);
    return `${label}: no incidents; ${plural(r.alertFirings, 'alert firing')}, ${plural(paged, 'page')}.`;
  }
  const ack = byStage(r, 'ack');
  const resolve = byStage(r, 'resolve');
  const mtta = ack.medianMs === null ? 'MTTA — (no incident from an alert)' : `MTTA ${responseTime(ack.medianMs)}${slaPart(ack)}`;
  const mttr = resolve.medianMs === null ? 'MTTR — (none resolved yet)' : `MTTR ${responseTime(resolve.medianMs)}`;
  const others = (['assess', 'triage'] as const).map((s) => byStage(r, s)).filter((s) => s.breaches > 0);
  const more = others.length > 0 ? `; ${others.map((s) => `${s.stage} SLA missed ${s.breaches}×`).join(', ')}` : '';
  return `${label}: ${plural(r.incidents.total, 'incident')} (${severityText(r)}), ${mtta}, ${mttr}${more}`;
}

function breachLine(b: Breach, titleMax = Infinity): string {
  const [done, notYet] = STAGE_VERB[b.stage];
  return `${b.incidentId} (${b.severity}, ${cut(b.title, titleMax)}): ${b.reached ? done : notYet} ${responseTime(b.elapsedMs)}, ${responseTime(b.overByMs)} over the ${PROTOCOL_SLA_MINUTES[b.stage]} min SLA`;
}


function noisyLine(a: NoisyAlert, nameMax = Infinity): string {
  const flap = a.flapping ? `, flapping (${a.maxCyclesIn24h} fire/resolve cycles within 24 h)` : '';
  return `${cut(a.name, nameMax)}: fired ${plural(a.fired, 'time')}, ${a.resolvedUnacknowledged} cleared with nobody acknowledging${flap}. Suggestion: ${SUGGESTION_TEXT[a.suggestion]}.`;
}

const local = (iso: string, timezone: string) => {
  const w = wallClock(new Date(iso), timezone);
  return `${w.date} ${w.time}`;
};

/** What the figures mean, in one short note (docs/report.md says it in full). */
function definitionsNote(r: ReliabilityReport): string {
  return (
    `From the opening (the alert's firing, or the declaration): acknowledged; assessed (impact, a status update, an attached result, or the resolution); ` +
    `triaged (status identified or monitoring, or resolved); resolved. Median and p90 interpolate between ranks. Night: 00:00–0${NIGHT_END_HOUR}:00 ${r.timezone}. ` +
    `Flapping: ${FLAP_CYCLES} or more fire/resolve cycles within 24 h. Times in ${r.timezone}.`
  );
}

/** The report for the terminal (aligned tables) and Slack (lines); `name` turns user IDs into what the surface shows. */
export function reliabilityReportAnswer(r: ReliabilityReport, name: PersonName): Report {
  const headline = reliabilityHeadline(r);
  const breaches = r.breaches.length;
  const level = breaches > 0 || r.openReviews.some((v) => v.overdue) ? 'warn' : 'info';
  const data = r;
  if (isQuietWindow(r) && r.openReviews.length === 0) return { command: 'report', level: 'info', headline, sections: [], data };

  const severity: ReportSection = { title: 'Incidents by severity', lines: [SEVERITIES.map((s) => `${s} ${r.incidents.bySeverity[s]}`).join(' · ')] };
  const stagesTable: ReportSection = {
    title: "Response times against the guide's SLAs",
    table: {
      columns: ['Stage', 'SLA', 'Median', 'p90', 'Incidents', 'Breaches'],
      rows: r.stages.map((s) => [STAGE_NAME[s.stage], s.slaMinutes === null ? '—' : `${s.slaMinutes} min`, figure(s.medianMs), figure(s.p90Ms), String(s.counted), s.slaMinutes === null ? '—' : String(s.breaches)]),
    },
  };
  const stagesLines: ReportSection = {
    title: "Response times against the guide's SLAs",
    lines: r.stages.map((s) => `${STAGE_NAME[s.stage]}: median ${figure(s.medianMs)}, p90 ${figure(s.p90Ms)} over ${plural(s.counted, 'incident')}${slaPart(s)}`),
  };
  const breachSection: ReportSection = { title: 'Breaches', lines: breaches > 0 ? r.breaches.map((b) => breachLine(b)) : ['None.'] };
  const breachLines: ReportSection = { title: 'Breaches', lines: breaches > 0 ? capped(r.breaches.map((b) => breachLine(b, SLACK_TITLE_MAX)), SLACK_LIST_MAX, 'breaches') : ['None.'] };
  const nightTitle = `Night (00:00–0${NIGHT_END_HOUR}:00)`;
  const pagesTable: ReportSection = {
    title: 'Pages per person',
    ...(r.pages.length > 0 ? { table: { columns: ['Person', 'Pages', nightTitle], rows: r.pages.map((p) => [name(p.user), String(p.pages), String(p.nightPages)]) } } : { lines: ['Nobody was paged.'] }),
  };
  const pagesLines: ReportSection = {
    title: 'Pages per person',
    lines: r.pages.length > 0 ? capped(r.pages.map((p) => `${name(p.user)}: ${plural(p.pages, 'page')}, ${p.nightPages} at night`), SLACK_LIST_MAX, 'people') : ['Nobody was paged.'],
  };
  const quietAlerts = [`No alert fired twice or cleared unacknowledged (${plural(r.alertFirings, 'firing')} in all).`];
  const noisy: ReportSection = { title: 'Noisiest alerts', lines: r.noisyAlerts.length > 0 ? r.noisyAlerts.map((a) => noisyLine(a)) : quietAlerts };
  const noisyLines: ReportSection = { title: 'Noisiest alerts', lines: r.noisyAlerts.length > 0 ? r.noisyAlerts.map((a) => noisyLine(a, SLACK_TITLE_MAX)) : quietAlerts };
  const reviewLine = (v: ReliabilityReport['openReviews'][number], titleMax = Infinity) =>
    `${v.incidentId} (${v.severity}, ${cut(v.title, titleMax)}): resolved ${local(v.resolvedAt, r.timezone)}, review ${v.overdue ? 'overdue since' : 'due'} ${local(v.dueAt, r.timezone)}`;
  const reviews: ReportSection = { title: 'Reviews still open', lines: r.openReviews.length > 0 ? r.openReviews.map((v) => reviewLine(v)) : ['None.'] };
  const reviewLines: ReportSection = {
    title: 'Reviews still open',
    lines: r.openReviews.length > 0 ? capped(r.openReviews.map((v) => reviewLine(v, SLACK_TITLE_MAX)), SLACK_LIST_MAX, 'reviews') : ['None.'],
  };
  const note: ReportSection = { lines: [definitionsNote(r)], context: true };
  return {
    command: 'report',
    level,
    headline,
    sections: [severity, stagesTable, breachSection, pagesTable, noisy, reviews, note],
    slackSections: [severity, stagesLines, breachLines, pagesLines, noisyLines, reviewLines, note],
    footer: '`/atlas report --window 30d` for the month; `/atlas oncall load` for pages per shift.',
    data,
  };
}

/**
 * The weekly post in the handoff channel: the same report, people by name (a weekly post pings
 * nobody); `lateFrom`, when the bot was down at the scheduled time, is said under the headline.
 */
export function weeklyReportMessage(r: ReliabilityReport, names: Readonly<Record<string, string>>, lateFrom: Date | null = null): SlackMessage {
  const report = reliabilityReportAnswer(r, (id) => (!id ? 'nobody' : (names[id] ?? id)));
  const late: ReportSection[] = lateFrom ? [{ lines: [`Posted late: it was due ${local(lateFrom.toISOString(), r.timezone)} ${r.timezone}, and covers the week before that.`], context: true }] : [];
  const weekly = { ...report, headline: `Weekly reliability report · ${report.headline}`, footer: '`/atlas report --window 30d` for the month.' };
  return renderBlocks({ ...weekly, sections: [...late, ...weekly.sections], ...(weekly.slackSections ? { slackSections: [...late, ...weekly.slackSections] } : {}) });
}
