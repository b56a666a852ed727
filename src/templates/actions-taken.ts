/**
 * "Actions Taken", from the timeline: for the escalation message (Slack) and the review draft
 * (markdown). Each action once: an item that every later update repeats ("Completed: checked
 * the gateways") is listed once, and the severity changes are one line with their path
 * (P1 → P0 → P1), however often it moved. Lines carry an icon, never a bullet: the caller bullets.
 */
import type { TimelineEntry } from '../db/state/state-records.js';

const SEVERITY_KIND = 'severity';

const lines = (s: unknown) =>
  (typeof s === 'string' ? s : '')
    .split(/\r?\n/)
    .map((l) => l.replace(/^\s*(?:[-*•]|\d+[.)])\s+/, '').trim())
    .filter(Boolean);

function dataOf(e: TimelineEntry): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(e.data ?? '{}');
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return null;
  }
}

/** "Severity P1 → P0 → P1 (back where it started)": every severity the incident had, in order, once. */
function severityPath(changes: readonly TimelineEntry[]): string | null {
  const path: string[] = [];
  for (const e of changes) {
    const d = dataOf(e) ?? {};
    const from = typeof d.from === 'string' ? d.from : /Severity (\S+) →/.exec(e.text)?.[1];
    const to = typeof d.to === 'string' ? d.to : /→ (\S+)/.exec(e.text)?.[1];
    if (!from || !to) continue;
    if (path.length === 0) path.push(from);
    if (path.at(-1) !== to) path.push(to);
  }
  if (path.length < 2) return null;
  const back = path.length > 2 && path[0] === path.at(-1) ? ' (back where it started)' : '';
  return `Severity ${path.join(' → ')}${back}`;
}

/** The actions taken, in the order they were first taken, each once. */
export function actionsTaken(history: readonly TimelineEntry[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (icon: string, text: string) => {
    const key = `${icon} ${text.replace(/\s+/g, ' ').trim().toLowerCase()}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(`${icon} ${text}`);
  };
  const severities = history.filter((e) => e.kind === SEVERITY_KIND);
  for (const e of history) {
    if (e.kind === 'status-update') {
      const d = dataOf(e);
      if (!d) continue;
      for (const l of lines(d.completed)) add('✅', l);
      for (const l of lines(d.blocked)) add('❌', l);
      if (!d.completed && !d.blocked && typeof d.summary === 'string') add('🔄', d.summary);
    } else if (e.kind === 'attached') {
      add('✅', `ran ${e.text}`);
    } else if (e.kind === 'note') {
      add('📝', e.text);
    } else if (e.kind === SEVERITY_KIND) {
      // One line for all the changes, where the first one happened.
      if (e === severities[0]) {
        const path = severityPath(severities);
        if (path) add('↕️', path);
      }
    } else if (e.kind === 'escalated') {
      add('📣', e.text);
    } else if (e.kind === 'owner') {
      add('👤', e.text);
    } else if (e.kind === 'remediation') {
      add('🛠️', e.text);
    }
  }
  return out;
}
