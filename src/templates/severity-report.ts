import { quoteInput } from '../text/quote-input.js';
import {
  ESCALATION_TARGET_TEXT,
  SEVERITIES,
  SEVERITY_POLICIES,
  SYMPTOMS,
  type SeverityPolicy,
  type Symptom,
  type SymptomMatch,
} from '../incidents/severity-matrix.js';
import { formatDuration } from '../time/atlas-time.js';
import type { Report, ReportSection } from './report.js';

const minutes = (m: number) => formatDuration(m * 60_000);

/** "secondary on-call if not acknowledged after 30 min", "CTO if unresolved after 1 h". */
export function escalationLines(policy: SeverityPolicy, symptom?: Symptom): string[] {
  const lines: string[] = [];
  if (symptom && symptom.immediateEscalation.length > 0) {
    lines.push(`${symptom.immediateEscalation.map((t) => ESCALATION_TARGET_TEXT[t]).join(' and ')}: at once`);
  }
  for (const rule of policy.escalation) {
    const when = rule.when === 'unacknowledged' ? 'not acknowledged' : 'unresolved';
    lines.push(`${ESCALATION_TARGET_TEXT[rule.to]} if ${when} after ${minutes(rule.afterMinutes)}`);
  }
  if (policy.escalation.length === 0 && lines.length === 0) lines.push('no escalation: team queue');
  lines.push(`hand the incident over if it runs past ${minutes(policy.handoffAfterMinutes)}`);
  return lines;
}

/** "respond within 1 h", "respond by the next business day". */
export function respondPhrase(policy: SeverityPolicy): string {
  return policy.severity === 'P3' ? `respond by the ${policy.responseText}` : `respond within ${policy.responseText}`;
}

/** "provider outage → P1, respond within 1 h" */
export function severityHeadline(symptom: Symptom): string {
  return `${symptom.title} → ${symptom.severity}, ${respondPhrase(SEVERITY_POLICIES[symptom.severity])}`;
}

export function symptomsTable(symptoms: readonly Symptom[] = SYMPTOMS): ReportSection['table'] {
  return {
    columns: ['symptom', 'severity', 'respond within', 'type'],
    rows: symptoms.map((s) => [s.title, s.severity, SEVERITY_POLICIES[s.severity].responseText, s.id]),
  };
}

function policyTable(): ReportSection['table'] {
  return {
    columns: ['class', 'meaning', 'respond', 'updates', 'escalation'],
    rows: SEVERITIES.map((sev) => {
      const p = SEVERITY_POLICIES[sev];
      const esc = p.escalation
        .filter((r) => r.when === 'unresolved')
        .map((r) => `${ESCALATION_TARGET_TEXT[r.to]} ${minutes(r.afterMinutes)}`)
        .join(', ');
      return [sev, p.meaning, p.responseText, p.updateText, esc || 'team queue'];
    }),
  };
}

/** `severity` with no symptom: the whole matrix. */
export function severityMatrixReport(prefix = '/atlas'): Report {
  const response = SEVERITIES.map((s) => `${s} ${SEVERITY_POLICIES[s].responseText}`).join(', ');
  return {
    command: 'severity',
    level: 'info',
    headline: `severity matrix: respond within ${response}`,
    sections: [
      { table: symptomsTable() },
      { title: 'Classes', table: policyTable() },
      {
        title: 'Always',
        lines: [
          'Data loss or a suspected breach: CTO and security at once.',
          'Secondary on-call after 30 min (P0) or 2 h (P1) without acknowledgement.',
          'Unsure? Pick the higher severity.',
        ],
      },
    ],
    footer: `One symptom: \`${prefix} severity tiger down\`; its steps: \`${prefix} runbook tiger down\``,
    data: { policies: SEVERITY_POLICIES, symptoms: SYMPTOMS },
  };
}

/** `severity <symptom>`: the class, deadlines and escalation for one symptom. */
export function symptomSeverityReport(match: SymptomMatch, prefix = '/atlas'): Report {
  const { symptom, policy } = match;
  const lines = [
    `${policy.severity}: ${policy.meaning}`,
    `${respondPhrase(policy)}${policy.ackMinutes !== null ? ` (acknowledge within ${minutes(policy.ackMinutes)})` : ''}`,
    `status updates ${policy.updateText}`,
  ];
  if (symptom.note) lines.push(symptom.note);
  return {
    command: 'severity',
    level: 'info',
    headline: severityHeadline(symptom),
    sections: [
      { lines },
      { title: 'Escalate', lines: escalationLines(policy, symptom) },
    ],
    footer: symptom.runbook ? `First steps: \`${prefix} runbook ${symptom.id}\`` : 'No runbook: put it in the team backlog.',
    data: { symptom, policy },
  };
}

/** A symptom nobody listed: say so and show the ones we know. */
export function unknownSymptomReport(command: string, query: string, prefix = '/atlas'): Report {
  return {
    command,
    level: 'info',
    headline: `No known symptom matches "${quoteInput(query)}"; here are the ones the guide lists. Unsure? Pick the higher severity.`,
    sections: [{ table: symptomsTable() }],
    footer: `Try \`${prefix} ${command} <words from the list>\`, e.g. \`${prefix} ${command} corrupt db\``,
    data: { query, known: SYMPTOMS.map((s) => s.id) },
  };
}
