import type { Incident, TimelineEntry } from '../db/state/state-records.js';
import { formatDuration } from '../time/atlas-time.js';

const cellText = (s: string) => s.replace(/\r?\n+/g, ' ').replace(/\|/g, '\\|').trim();
const iso = (d: Date) => d.toISOString();

/**
 * A post-incident review draft in markdown for a GitHub issue, after the guide's incident
 * report template: facts from the record, placeholders where the team must think.
 */
export function reviewDraft(incident: Incident, events: readonly TimelineEntry[], now: Date): string {
  const end = incident.resolved_at ? new Date(incident.resolved_at) : now;
  const duration = formatDuration(end.getTime() - new Date(incident.opened_at).getTime());
  const spansDays = incident.opened_at.slice(0, 10) !== iso(end).slice(0, 10);
  const when = (at: string) => (spansDays ? `${at.slice(0, 10)} ${at.slice(11, 16)}` : at.slice(11, 16));
  const person = (id: string | null) => (id === null ? 'nobody' : id === 'bot' ? 'bot' : id);
  const notes = events.filter((e) => e.kind === 'note');
  const escalations = events.filter((e) => e.kind === 'escalated').map((e) => e.text);
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
    ...events.map((e) => `| ${when(e.at)} | ${person(e.actor)} | ${cellText(e.text.slice(0, 500))} |`),
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
      ? notes.map((n) => `- [ ] ${cellText(n.text.slice(0, 500))} (noted by ${person(n.actor)}, ${when(n.at)} UTC)`)
      : [`- [ ] ${todo}`]),
  ];
  return `${md.filter((line, i, all) => !(line === '' && all[i - 1] === '')).join('\n')}\n`;
}
