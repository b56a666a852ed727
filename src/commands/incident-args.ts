/** What the incident subcommands share: reading an incident reference, a severity, a person; answering a refusal. */
import { z } from 'zod';
import { INCIDENT_ID } from '../ids.js';
import { IncidentError } from '../incidents/incident-errors.js';
import type { Severity } from '../incidents/severity-matrix.js';
import { refusalReport } from '../templates/incident-answers.js';
import type { Report } from '../templates/report.js';

/** Splits off a leading incident id; without one, the domain picks the only open incident. */
export function takeRef(words: readonly string[]): { ref: string | undefined; rest: string[] } {
  const [first, ...rest] = words;
  return first !== undefined && INCIDENT_ID.test(first) ? { ref: first, rest } : { ref: undefined, rest: [...words] };
}

/** Runs an action; a refusal from the domain is the person's answer, not a failure of the bot. */
export async function answer(command: string, fn: () => Promise<Report> | Report): Promise<Report> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof IncidentError) return refusalReport(command, err);
    throw err;
  }
}

export const severityWord = z.string().transform((s, ctx): Severity => {
  const up = s.trim().toUpperCase();
  if (up === 'P0' || up === 'P1' || up === 'P2') return up;
  ctx.addIssue({ code: 'custom', message: `severity is P0, P1 or P2 (got "${s.slice(0, 10)}")` });
  return z.NEVER;
});

export const words = (max: number, message: string) => z.array(z.string()).max(max, { message });

/**
 * A person as typed: Slack's escaped mention `<@U123|name>`, `<@U123>`, `@U123` or `U123` give
 * the user ID; anything else is returned as typed, for the domain to refuse with a sentence.
 */
export function parseUserRef(word: string): string {
  const slack = /^<?@?([UW][A-Z0-9]{2,})(?:\|[^>]*)?>?$/.exec(word.trim());
  return slack ? slack[1]! : word.trim().replace(/^@/, '');
}
