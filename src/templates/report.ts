/**
 * The one shape every command answers with. Templates turn check results into a Report;
 * renderers turn a Report into Block Kit (Slack) or plain text (terminal).
 * All strings are plain text: renderers escape them for their surface.
 */
import type { Level } from '../checks/check-item.js';

export type { Level };

/** ok/warn/crit/unknown for verdicts, info for listings, error when the command could not answer. */
export type ReportLevel = Level | 'info' | 'error';

export interface ReportTable {
  columns: string[];
  rows: string[][];
}

export interface ReportSection {
  title?: string;
  lines?: string[];
  table?: ReportTable;
  /** Slack shows the lines as small grey context text: what is fine, folded out of the way. */
  context?: boolean;
}

export interface Report {
  command: string;
  level: ReportLevel;
  /** The first line, and the answer: "🔴 unhealthy: 2 critical, 1 warning". No emoji here; renderers add it. */
  headline: string;
  sections: ReportSection[];
  /**
   * What Slack shows instead of `sections`, where a phone reads another form better than the
   * terminal's (help grouped by family, health as one line per item). The terminal keeps `sections`.
   */
  slackSections?: ReportSection[];
  /** A short closing hint, e.g. the runbook link or the next command to run. */
  footer?: string;
  /** The typed result behind the report, printed by `--json`. */
  data?: unknown;
  /**
   * Asks Slack to open a modal for the details of an action (impact and ETA, status update,
   * escalation, resolution). The terminal ignores it; the headline says which flags to give.
   */
  modal?: ModalRequest;
  /** For a refusal about one input: which one, so a form shows the sentence next to it. */
  field?: string;
  /**
   * An answer laid out by a template of its own (the handoff preview): Slack shows these blocks
   * under the headline instead of the sections. The template keeps them within Slack's limits.
   */
  blocks?: unknown[];
  /** What the terminal prints as is, instead of the headline and sections (the handoff's markdown file). */
  plainText?: string;
}

export interface ModalRequest {
  kind: 'ack-details' | 'update' | 'escalate' | 'resolve' | 'sev';
  incidentId: string;
  /** escalate: who to escalate to (absent: the form asks). */
  target?: string;
}

export const LEVEL_RANK: Record<ReportLevel, number> = { crit: 4, error: 3, warn: 2, unknown: 1, ok: 0, info: 0 };

export function worstLevel(levels: Iterable<Level>): Level {
  let worst: Level = 'ok';
  for (const l of levels) if (LEVEL_RANK[l] > LEVEL_RANK[worst]) worst = l;
  return worst;
}

/** An answer that says what went wrong and what to do, in one sentence. */
export function problemReport(command: string, message: string): Report {
  return { command, level: 'error', headline: message, sections: [] };
}
