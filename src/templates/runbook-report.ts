import type { RunbookSelection } from '../incidents/runbook-selector.js';
import type { Report } from './report.js';
import { escalationLines, severityHeadline, unknownSymptomReport } from './severity-report.js';

/** `runbook <symptom>`: severity, the first steps as bot subcommands, escalation and the link. */
export function runbookReport(selection: RunbookSelection, prefix = '/atlas'): Report {
  if (selection.kind === 'no-match') return unknownSymptomReport('runbook', selection.query, prefix);
  const { symptom, policy, runbook, link } = selection;
  if (!runbook) {
    return {
      command: 'runbook',
      level: 'info',
      headline: `${severityHeadline(symptom)}: no runbook, put it in the team backlog`,
      sections: [],
      footer: link ? `Notes: ${link}` : undefined,
      data: selection,
    };
  }
  const steps = runbook.steps.map((step, i) => `${i + 1}. ${step.command ? `\`${prefix} ${step.command}\`: ${step.text}` : step.text}`);
  const escalate = [...escalationLines(policy, symptom), `also when ${runbook.escalateWhen}`];
  const sections: Report['sections'] = [
    { title: 'First steps', lines: steps },
    { title: `Escalate (${policy.severity})`, lines: escalate },
  ];
  if (symptom.note) sections.push({ lines: [symptom.note] });
  if (selection.alsoMatched.length > 0) {
    sections.push({ lines: [`Also matches: ${selection.alsoMatched.map((s) => `${s.title} (${s.severity})`).join(', ')}`] });
  }
  return {
    command: 'runbook',
    level: 'info',
    headline: `${severityHeadline(symptom)}: ${runbook.title} runbook`,
    sections,
    footer: link ? `Full runbook: ${link}` : `Full runbook: ${runbook.source} (voter-protocol repository); set runbooks.${runbook.key} in the config to link it here.`,
    data: selection,
  };
}
