import type { Incident, TimelineEntry } from '../db/state/state-records.js';
import { formatDuration } from '../time/atlas-time.js';
import { actionsTaken } from './actions-taken.js';
import { idsAsNames, userIdsIn, withNames, type PersonName } from './people.js';

const cellText = (s: string) => s.replace(/\r?\n+/g, ' ').replace(/\|/g, '\\|').trim();
const iso = (d: Date) => d.toISOString();

/** Everyone the draft names: the owner, whoever acted, and anyone the timeline's words mention. */
export function peopleInReview(incident: Incident, events: readonly TimelineEntry[]): string[] {
  return [incident.owner_id, incident.created_by, ...events.map((e) => e.actor), ...events.flatMap((e) => userIdsIn(e.text))].filter((x): x is string => typeof x === 'string');
}

/**
 * A post-incident review draft in markdown for a GitHub issue, after the guide's incident
 * report template: facts from the record, placeholders where the team must think. People are
 * named by `name` (Slack's display or real name; their ID only when never known): a review is
 * read outside Slack, where `U0ONCALL1` means nothing.
 */
export function reviewDraft(incident: Incident, events: readonly TimelineEntry[], now: Date, name: PersonName = idsAsNames): string {
  const end = incident.resolved_at ? new Date(incident.resolved_at) : now;
  const duration = formatDuration(end.getTime() - new Date(incident.opened_at).getTime());
  const spansDays = incident.opened_at.slice(0, 10) !== iso(end).slice(0, 10);
  const when = (at: string) => (spansDays ? `${at.slice(0, 10)} ${at.slice(11, 16)}` : at.slice(11, 16));
  const person = (id: string | null) => (id === null ? 'nobody' : id === 'bot' ? 'bot' : cellText(name(id)));
  const named = (text: string) => withNames(text, name);
  const notes = events.filter((e) => e.kind === 'note');
  const escalations = events.filter((e) => e.kind === 'escalated').map((e) => named(e.text));
  const actions = actionsTaken(events).map((a) => `- ${cellText(named(a).slice(0, 500))}`);
  const todo = '_(for the team)_';
  const md = [
    `# Incident Report: ${incident.id} ${cellText(incident.title)}`,
    '',
    `**Date**: ${incident.opened_at.slice(0, 10)}`,
    `**Severity**: ${incident.severity}`,
    `**Duration**: ${when(incident.opened_at)} UTC - ${incident.resolved_at ? `${when(incident.resolved_at)} UTC` : 'still open'} (${duration})`,
    `**Owner**: ${person(incident.owner_id)}`,
    `**Author**: ${todo}`,
    '',
    '## Summary',
    '',
    `${todo} 2-3 sentences: what happened, impact, resolution.`,
    incident.resolution ? `Resolution recorded: ${cellText(incident.resolution)}` : '',
    '',
    '## Impact',
    '',
    `**Recorded impact**: ${incident.impact ? cellText(incident.impact) : 'not recorded'}`,
    `**Users Affected**: ${todo}`,
    `**Data Loss**: ${todo}`,
    `**Downtime**: ${duration}`,
    `**Time to acknowledge**: ${incident.ack_seconds !== null ? formatDuration(incident.ack_seconds * 1000) : 'not recorded'}`,
    '',
    '## Timeline (UTC)',
    '',
    '| Time | Who | Event |',
    '|------|-----|-------|',
    ...events.map((e) => `| ${when(e.at)} | ${person(e.actor)} | ${cellText(named(e.text).slice(0, 500))} |`),
    '',
    '## Actions Taken',
    '',
    ...(actions.length > 0 ? actions : ['- nothing recorded on the timeline']),
    '',
    '## Root Cause',
    '',
    `**Immediate Cause**: ${todo}`,
    `**Contributing Factors**: ${todo}`,
    `**Why it wasn't detected earlier**: ${todo}`,
    '',
    '## Resolution',
    '',
    incident.resolution ? cellText(incident.resolution) : `${todo} (not resolved yet)`,
    escalations.length > 0 ? `Escalations: ${escalations.map(cellText).join('; ')}` : 'Escalations: none',
    '',
    '## Lessons Learned',
    '',
    '**What Went Well**:',
    `- ${todo}`,
    '',
    '**What Could Be Improved**:',
    `- ${todo}`,
    '',
    '## Action Items',
    '',
    ...(notes.length > 0
      ? notes.map((n) => `- [ ] ${cellText(named(n.text).slice(0, 500))} (noted by ${person(n.actor)}, ${when(n.at)} UTC)`)
      : [`- [ ] ${todo}`]),
  ];
  return `${md.filter((line, i, all) => !(line === '' && all[i - 1] === '')).join('\n')}\n`;
}
