/**
 * `/atlas audit` and `audit verify` as Reports. Slack gets one short line per entry, newest
 * first (read on a phone at 3 a.m.); the terminal gets aligned columns. Times are UTC.
 */
import type { AuditRow, AuditVerification } from '../db/state/audit-store.js';
import { isSlackUserId } from '../ids.js';
import { userRef } from './people.js';
import { quoteInput } from '../text/quote-input.js';
import type { Report } from './report.js';
import { dayTime } from './slack-time.js';

/** Where the answer is read: Slack (lines, mentions) or a terminal (aligned tables, @IDs). */
export type AuditSurface = 'slack' | 'terminal';

const ARGS_MAX = 60;
const RESULT_MAX = 100;
const UNDO_MAX = 120;

/** Outcomes whose `result` says why nothing was done: shown on the entry's line. */
const WHY_SHOWN = new Set(['failed', 'refused', 'stale', 'expired', 'started']);

const prefixOf = (surface: AuditSurface) => (surface === 'slack' ? '/atlas' : 'atlas');

const plural = (n: number, one: string, many: string) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/**
 * The arguments as a person would have typed them: words of an array, `key=value` of an
 * object. The stored JSON text is shown as is when it is neither (a row written by hand).
 */
export function argsText(json: string): string {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return quoteInput(json, ARGS_MAX);
  }
  const word = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  let text: string;
  if (value === null || value === undefined) text = '';
  else if (Array.isArray(value)) text = value.map(word).join(' ');
  else if (typeof value === 'object') {
    text = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null && v !== false && !(Array.isArray(v) && v.length === 0))
      .map(([k, v]) => (k === '_' && Array.isArray(v) ? v.map(word).join(' ') : v === true ? `--${k}` : `${k}=${word(v)}`))
      .join(' ');
  } else text = word(value);
  return quoteInput(text, ARGS_MAX);
}

/**
 * The undo as stored (a sentence, or a command such as `/atlas snapshot rollback snap-1`): a bare
 * command is set in code and given the surface's prefix, so it can be copied as it stands.
 */
function undoText(undo: string, surface: AuditSurface): string {
  const flat = undo.replace(/\s+/g, ' ').trim();
  const command = /^\/?atlas (.+)$/.exec(flat);
  if (command && !flat.includes('`')) return `\`${prefixOf(surface)} ${quoteInput(command[1]!, UNDO_MAX)}\``;
  return flat.length > UNDO_MAX ? `${flat.slice(0, UNDO_MAX - 1)}…` : flat;
}

function who(row: AuditRow, surface: AuditSurface): string {
  if (surface === 'slack') return row.source === 'cli' ? `${quoteInput(row.user_id, 30)} (terminal)` : userRef(row.user_id);
  return isSlackUserId(row.user_id) ? `@${row.user_id}` : quoteInput(row.user_id, 30);
}

function where(row: AuditRow): string {
  if (row.channel_id === null) return row.source === 'cli' ? 'terminal' : '—';
  return row.channel_id.startsWith('D') ? 'DM' : `#${row.channel_id}`;
}

function commandText(row: AuditRow): string {
  const args = argsText(row.args);
  return `${quoteInput(row.command, 40)}${args ? ` ${args}` : ''}`;
}

/** The outcome as read: "applied", "refused: why", "outcome unknown: check …" (a run its process did not live to finish). */
function outcomeText(row: AuditRow): string {
  if (row.outcome === 'unknown') return `outcome unknown: ${quoteInput(row.result ?? 'check the bot\'s log', 400)}`;
  const why = row.result && WHY_SHOWN.has(row.outcome) ? `: ${quoteInput(row.result, RESULT_MAX)}` : '';
  return `${row.outcome}${why}`;
}

/** "#12 · 2026-11-27 03:14 UTC · <@U…> · snapshot rollback id=snap-1 · applied · undo: `/atlas …`" */
export function auditLine(row: AuditRow): string {
  const parts = [`#${row.id}`, dayTime(row.at), who(row, 'slack'), commandText(row), outcomeText(row)];
  if (row.undo) parts.push(`undo: ${undoText(row.undo, 'slack')}`);
  return parts.join(' · ');
}

/** Without chatops.db (a terminal pointed at a directory that does not exist) there is no log to show. */
export function noAuditLogReport(command: string, file: string): Report {
  return {
    command,
    level: 'unknown',
    headline: `No audit log here: ${file} does not exist; set ATLAS_DATA_DIR to the bot's data directory.`,
    sections: [],
  };
}

export interface AuditListing {
  rows: readonly AuditRow[];
  /** Entries in the log (of `userId` when given). */
  total: number;
  userId?: string;
}

/** `/atlas audit`: the newest entries. */
export function auditListReport(listing: AuditListing, surface: AuditSurface): Report {
  const { rows, total, userId } = listing;
  const prefix = prefixOf(surface);
  const by = userId ? ` by ${userRef(userId)}` : '';
  const data = { total, userId: userId ?? null, rows };
  if (rows.length === 0) {
    const headline = userId ? `No audit entries${by}.` : 'The audit log is empty: no remediation has been previewed, applied or refused yet.';
    return { command: 'audit', level: 'info', headline, sections: [], data };
  }
  const headline =
    rows.length === total
      ? `Audit log: ${plural(total, 'entry', 'entries')}${by}, newest first`
      : `Audit log: the latest ${rows.length} of ${total.toLocaleString('en-US')} entries${by}, newest first`;
  const more = rows.length < total ? `Older ones: \`${prefix} audit --limit 200\`. ` : '';
  const footer = `${more}Check the hash chain: \`${prefix} audit verify\``;
  if (surface === 'slack') return { command: 'audit', level: 'info', headline, sections: [{ lines: rows.map(auditLine) }], footer, data };
  const table = {
    columns: ['id', 'at (UTC)', 'who', 'where', 'command', 'outcome', 'undo', 'result'],
    rows: rows.map((r) => [
      `#${r.id}`,
      dayTime(r.at).replace(/ UTC$/, ''),
      who(r, surface),
      where(r),
      commandText(r),
      r.outcome === 'unknown' ? 'outcome unknown' : r.outcome,
      r.undo ? undoText(r.undo, surface) : '—',
      r.result ? quoteInput(r.result, RESULT_MAX) : '—',
    ]),
  };
  return { command: 'audit', level: 'info', headline, sections: [{ table }], footer, data };
}

/** `audit verify`: ok (exit 0) when the chain holds and matches every head it was checked against, crit (exit 2) naming the first thing that does not. */
export function auditVerifyReport(v: AuditVerification): Report {
  if (v.ok) {
    const tip = v.last ? [`Latest row #${v.last.id} (${dayTime(v.last.at)}), hash ${v.last.hash}`] : [];
    const anchored = v.anchors.map((a) => `Checked against ${a}.`);
    return {
      command: 'audit verify',
      level: 'ok',
      headline: `Audit log intact: ${plural(v.rows, 'row', 'rows')}, hash chain verified${v.anchors.length > 0 ? `, against ${plural(v.anchors.length, 'head', 'heads')} kept outside the table` : ''}`,
      sections: [...(tip.length + anchored.length > 0 ? [{ lines: [...tip, ...anchored] }] : []), ...(v.notes.length > 0 ? [{ title: 'Not checked', lines: v.notes }] : [])],
      // Honest about what a chain without a secret shows: a head published in Slack is the anchor no database change can move.
      footer: 'A log rewritten to its end shows only against a head kept elsewhere: the handoff posts and the daily line in the handoff channel carry one; check against it with `audit verify --head N:hash`.',
      data: v,
    };
  }
  if (v.missingTable) {
    return {
      command: 'audit verify',
      level: 'crit',
      headline: 'Audit log damaged: the audit_log table is missing from chatops.db (dropped); nothing in it can be verified',
      sections: [{ lines: ['Restore chatops.db from a backup and compare with the audit heads posted in the handoff channel.'] }],
      footer: 'The bot never drops its tables: the change came from outside it (a hand edit, a restore, a damaged disk).',
      data: v,
    };
  }
  const held = v.verified === 0 ? 'No row before it verified' : v.verified === 1 ? 'Row #1 verified' : `Rows #1–#${v.verified} verified`;
  const verified = [`${held}; compare the rest with a backup of chatops.db and the audit heads posted in the handoff channel.`];
  return {
    command: 'audit verify',
    level: 'crit',
    headline: `Audit log broken at row #${v.rowId}: ${v.reason}; rows after it cannot be trusted`,
    sections: [{ lines: verified }],
    footer: 'The bot never edits or deletes audit rows: the change came from outside it (a hand edit, a restore, a damaged disk).',
    data: v,
  };
}
