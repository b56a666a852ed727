import type { types } from '@slack/bolt';
import { clipText, WORD_MAX } from './clip-text.js';
import { SLACK_USER_ID } from '../ids.js';
import type { Report, ReportLevel, ReportSection, ReportTable } from './report.js';

type KnownBlock = types.KnownBlock;
type SectionBlock = types.SectionBlock;
type ContextBlock = types.ContextBlock;
type ActionsBlock = types.ActionsBlock;
type TableBlock = types.TableBlock;

/*
 * A Report as a Slack message. One file: every part of a message (headline, lines, tables, notes,
 * buttons) draws on one budget of blocks and characters, so they are laid out together.
 */

/** The `action_id` of the "Post to channel" button; the share handler listens for it. */
export const SHARE_ACTION_ID = 'atlas_share_result';

export const LEVEL_EMOJI: Record<ReportLevel, string> = {
  ok: '✅',
  warn: '⚠️',
  crit: '🔴',
  unknown: '❔',
  info: 'ℹ️',
  error: '❌',
};

/** Slack's hard limits (reference/block-kit), and the cumulative one behind msg_blocks_too_long. */
export const BLOCK_KIT_LIMITS = {
  blocksPerMessage: 50,
  blocksPerView: 100,
  blockId: 255,
  sectionText: 3000,
  sectionFields: 10,
  sectionField: 2000,
  textObject: 3000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  actionId: 255,
  markdownBlock: 12_000,
  /** msg_blocks_too_long appears around 12-13k characters of block text (bolt-js #2509, #2867). */
  messageTotalText: 11_000,
} as const;

/** What the renderer aims for, well under the cumulative limit. */
const TEXT_BUDGET = 9000;
const HEADLINE_MAX = 1000;
const TITLE_MAX = 200;
const LINE_MAX = 2000;
const FOOTER_MAX = 1000;
/** Text in one cell, cut between words past this: a row is not an essay. Ids, names and CIDs are far shorter. */
const CELL_TEXT_MAX = 500;
/** Slack's table block: at most 100 rows, the header row included (reference/block-kit/blocks/table-block). */
const TABLE_ROWS = 100;
/** Slack refuses a table whose cells hold more than 10,000 characters together; this keeps clear of it. */
const TABLE_CELL_TEXT = 9500;
/** A column whose longest cell is longer than this wraps; shorter ones (ids, states, numbers) stay on one line. */
const UNWRAPPED_MAX = 24;
/** Room kept at the end of a block for "… N more rows". */
const MORE_NOTE_ROOM = 40;

export interface RenderOptions {
  /** Adds the "Post to channel" button carrying this shared_results id. */
  shareId?: string;
  /** Slack user ID of whoever shared the result; adds a "shared by" context line. */
  sharedBy?: string;
}

export interface SlackMessage {
  /** Fallback for notifications and screen readers: the headline. */
  text: string;
  blocks: KnownBlock[];
}

// Explicit bidi embeddings/overrides/isolates can make an alert message or a job id display
// reversed or reordered; C0 controls other than newline and tab have no business in a message.
// eslint-disable-next-line no-control-regex -- matching control characters is the point here
const INVISIBLE_CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F\u202A-\u202E\u2066-\u2069]/g;

/** The three characters Slack's mrkdwn treats as control characters, as entities. Nothing else is encoded. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clean(text: string): string {
  return text.replace(INVISIBLE_CONTROLS, '').replace(/\t/g, '  ');
}

/**
 * Cuts an escaped string to `max` characters without splitting an entity or a surrogate pair,
 * and between words when a space is near the end: an id, a name or a CID is never cut in two.
 */
function cutEscaped(escaped: string, max: number): string {
  if (escaped.length <= max) return escaped;
  let cut = escaped.slice(0, Math.max(0, max - 1));
  if (!/\s/.test(escaped[cut.length] ?? ' ')) {
    const space = /\s\S*$/.exec(cut);
    if (space && space.index > 0 && space.index >= cut.length - WORD_MAX) cut = cut.slice(0, space.index);
  }
  cut = cut.trimEnd();
  const amp = cut.lastIndexOf('&');
  if (amp !== -1 && amp >= cut.length - 4 && !cut.slice(amp).includes(';')) cut = cut.slice(0, amp);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/**
 * A user mention written by a template as `<@U…>` stays a mention, and a channel link `<#C…>`
 * stays a link; everything else that looks like Slack markup (`<!channel>`, `<!here>`, links with
 * labels) stays literal text. A person who types a mention into a note could have mentioned that
 * user in Slack anyway; nobody can make the bot broadcast.
 */
const ESCAPED_MENTION = /&lt;([@#])([UWCG][A-Z0-9]{2,20})&gt;/g;

function escapeKeepingMentions(text: string): string {
  return escapeMrkdwn(text).replace(ESCAPED_MENTION, (whole: string, sigil: string, id: string) =>
    (sigil === '@') === /^[UW]/.test(id) ? `<${sigil}${id}>` : whole,
  );
}

/** Plain text from a Report as mrkdwn of at most `max` characters. */
function fit(plain: string, max: number, keepMentions = true): string {
  const cleaned = clean(plain);
  return cutEscaped(keepMentions ? escapeKeepingMentions(cleaned) : escapeMrkdwn(cleaned), max);
}

const URL_IN_ESCAPED = /https?:\/\/(?:[^\s<>|`&*]|&amp;)+/g;

/**
 * Like `fit`, and makes http(s) URLs explicit links: text objects are `verbatim` (so user text
 * never auto-links channels or mentions), which also stops Slack from linking runbook URLs.
 * The `|` is excluded from a URL, so nobody can smuggle a link label in.
 */
function fitLinked(plain: string, max: number): string {
  const escaped = escapeKeepingMentions(clean(plain));
  const linked = escaped.replace(URL_IN_ESCAPED, (url) => {
    const trailing = /[.,;:!?)'"]+$/.exec(url)?.[0] ?? '';
    const bare = url.slice(0, url.length - trailing.length);
    return `<${bare}>${trailing}`;
  });
  if (linked.length <= max) return linked;
  return cutEscaped(escaped, max);
}

function mrkdwn(text: string) {
  return { type: 'mrkdwn' as const, text, verbatim: true };
}

function section(text: string): SectionBlock {
  return { type: 'section', text: mrkdwn(text) };
}

function context(text: string): ContextBlock {
  return { type: 'context', elements: [mrkdwn(text)] };
}

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** All the text a block carries (text objects, fields, element labels), for the cumulative budget. */
function textLength(block: unknown): number {
  let n = 0;
  const visit = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      if ((o.type === 'mrkdwn' || o.type === 'plain_text' || o.type === 'raw_text' || o.type === 'text') && typeof o.text === 'string') n += o.text.length;
      else for (const value of Object.values(o)) visit(value);
    }
  };
  visit(block);
  return n;
}

/** Blocks and characters still available for the body of the message. */
interface Budget {
  blocks: number;
  chars: number;
}

function take(budget: Budget, text: string): void {
  budget.blocks -= 1;
  budget.chars -= text.length;
}

/** The most characters the next block may hold. */
function room(budget: Budget): number {
  return budget.blocks > 0 ? Math.min(BLOCK_KIT_LIMITS.sectionText, budget.chars) : 0;
}

function titleText(title: string | undefined): string | null {
  if (!title) return null;
  // `*` inside a title would end the bold early; titles come from templates, so dropping it is safe.
  const text = fit(title.replace(/\*/g, '').trim(), TITLE_MAX);
  return text ? `*${text}*` : null;
}

/** Adds "… N more rows" to the section's last block (room for it was kept), or a block of its own. */
function appendNote(blocks: SectionBlock[], title: string | null, note: string, budget: Budget): void {
  const last = blocks[blocks.length - 1];
  if (last?.text) {
    last.text.text += `\n${note}`;
    budget.chars -= note.length + 1;
  } else if (budget.blocks > 0) {
    const text = title ? `${title}\n${note}` : note;
    blocks.push(section(text));
    take(budget, text);
  }
}

/** Packs a section's title and lines into as few section blocks as the limits allow. */
function lineBlocks(title: string | null, lines: readonly string[], budget: Budget): { blocks: SectionBlock[]; omitted: number } {
  const blocks: SectionBlock[] = [];
  let current = title ?? '';
  let index = 0;
  const flush = () => {
    if (current.trim() !== '') {
      blocks.push(section(current));
      take(budget, current);
    }
    current = '';
  };
  while (index < lines.length) {
    const limit = room(budget) - MORE_NOTE_ROOM;
    if (limit <= 0) break;
    const line = fitLinked(lines[index] ?? '', Math.min(LINE_MAX, limit));
    const next = current ? `${current}\n${line}` : line;
    if (next.length <= limit) {
      current = next;
      index += 1;
    } else if (current) {
      flush();
    } else {
      break;
    }
  }
  flush();
  const omitted = lines.length - index;
  if (omitted > 0) appendNote(blocks, title, `… ${plural(omitted, 'more line', 'more lines')}`, budget);
  return { blocks, omitted };
}

/** A cell as one line of plain text: tables show ids, names and CIDs whole, wordy text is cut between words. */
function cell(text: string | undefined): string {
  return clipText(clean(text ?? '').replace(/[\r\n]+/g, ' ').trim(), CELL_TEXT_MAX);
}

/** A number, optionally with a short unit: "14472", "16.7 %", "0.11 s", "0.0021 GB". */
const NUMBER_CELL = /^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?: ?(?:%|[A-Za-z]{1,3}))?$/;
/** What a template writes for "nothing here"; it does not make a column less numeric. */
const NO_VALUE = new Set(['', '-', '–']);

/** Right-aligned when every filled cell of the column is a number (Slack's tables and the eye read numbers that way). */
function isNumberColumn(rows: readonly string[][], column: number): boolean {
  const filled = rows.map((r) => r[column] ?? '').filter((c) => !NO_VALUE.has(c));
  return filled.length > 0 && filled.every((c) => NUMBER_CELL.test(c));
}

/** A user mention `<@U…>` or channel link `<#C…>` written by a template: a rich_text cell shows it as Slack does. */
const MENTION_IN_CELL = /<([@#])([UWCG][A-Z0-9]{2,20})>/g;

type TableCell = types.RawTextElement | types.RichTextBlock;

/** One cell of a table block. Slack refuses an empty raw_text, so an empty cell is one space. */
function tableCell(text: string): TableCell {
  if (!MENTION_IN_CELL.test(text)) return { type: 'raw_text', text: text === '' ? ' ' : text };
  MENTION_IN_CELL.lastIndex = 0;
  const elements: types.RichTextSection['elements'] = [];
  let at = 0;
  for (const m of text.matchAll(MENTION_IN_CELL)) {
    const [whole, sigil, id] = m as unknown as [string, string, string];
    if (m.index > at) elements.push({ type: 'text', text: text.slice(at, m.index) });
    elements.push(sigil === '@' ? { type: 'user', user_id: id } : { type: 'channel', channel_id: id });
    at = m.index + whole.length;
  }
  if (at < text.length) elements.push({ type: 'text', text: text.slice(at) });
  return { type: 'rich_text', elements: [{ type: 'rich_text_section', elements }] };
}

/** Characters a cell counts for against Slack's limit on a table's cells and the message's text. */
function cellLength(c: TableCell): number {
  return c.type === 'raw_text' ? c.text.length : textLength(c.elements) + 12 * c.elements.length;
}

/**
 * A table as Slack's native table block: the header row first, numbers right-aligned, long
 * columns (titles, details, CIDs) wrapped and short ones (ids, states) on one line. Rows past
 * Slack's 100 (header included) or past the message's room are left out with a note.
 */
function tableBlocks(title: string | null, table: ReportTable, budget: Budget): { blocks: KnownBlock[]; omitted: number } {
  const columns = table.columns.map((c) => cell(c));
  const rows = table.rows.map((row) => columns.map((_, i) => cell(row[i])));
  const blocks: KnownBlock[] = [];
  if (title && budget.blocks > 1) {
    blocks.push(section(title));
    take(budget, title);
  }
  if (budget.blocks <= 1) return { blocks, omitted: rows.length };
  const header = columns.map(tableCell);
  let room = Math.min(TABLE_CELL_TEXT, budget.chars - MORE_NOTE_ROOM) - header.reduce((n, c) => n + cellLength(c), 0);
  const body: TableCell[][] = [];
  for (const row of rows) {
    if (body.length >= TABLE_ROWS - 1) break;
    const cells = row.map(tableCell);
    const length = cells.reduce((n, c) => n + cellLength(c), 0);
    if (length > room) break;
    body.push(cells);
    room -= length;
  }
  const shown = body.length;
  const settings = columns.map((_, i) => {
    const longest = Math.max(columns[i]?.length ?? 0, ...rows.slice(0, shown).map((r) => r[i]?.length ?? 0));
    return { align: isNumberColumn(rows.slice(0, shown), i) ? ('right' as const) : ('left' as const), is_wrapped: longest > UNWRAPPED_MAX };
  });
  const empty = [columns.map((_, i) => tableCell(i === 0 ? '(none)' : ''))];
  const block: TableBlock = { type: 'table', column_settings: settings, rows: [header, ...(rows.length === 0 ? empty : body)] };
  blocks.push(block);
  budget.blocks -= 1;
  budget.chars -= [header, ...body].flat().reduce((n, c) => n + cellLength(c), 0);
  const omitted = rows.length - shown;
  if (omitted > 0 && budget.blocks > 0) {
    const note = `… ${plural(omitted, 'more row', 'more rows')}`;
    blocks.push(context(note));
    take(budget, note);
  }
  return { blocks, omitted };
}

/**
 * A table where the message has one already (Slack takes one table block per message): a line
 * naming the columns, then one line per row with its first cell in bold.
 */
function tableAsLines(title: string | null, table: ReportTable, budget: Budget): { blocks: KnownBlock[]; omitted: number } {
  const bold = (text: string) => (text === '' ? '–' : `*${text.replace(/\*/g, '')}*`);
  const columns = table.columns.map((c) => cell(c)).filter((c) => c !== '');
  const lines = [
    `_${columns.join(' · ').replace(/_/g, ' ')}_`,
    ...table.rows.map((row) => table.columns.map((_, i) => (i === 0 ? bold(cell(row[i])) : cell(row[i]) || '–')).join(' · ')),
  ];
  if (table.rows.length === 0) lines.push('(none)');
  return lineBlocks(title, lines, budget);
}

function sectionBlocks(s: ReportSection, budget: Budget, tableUsed: boolean): { blocks: KnownBlock[]; omitted: number; table: boolean } {
  const title = titleText(s.title);
  const out: KnownBlock[] = [];
  let omitted = 0;
  const lines = s.lines ?? [];
  if (s.context && !s.table) {
    const text = fit([title, ...lines].filter((l) => l).join('\n'), Math.min(BLOCK_KIT_LIMITS.textObject, room(budget)));
    if (text) {
      out.push(context(text));
      take(budget, text);
    }
    return { blocks: out, omitted, table: false };
  }
  if (lines.length > 0 || (!s.table && title)) {
    const r = lineBlocks(title, lines, budget);
    out.push(...r.blocks);
    omitted += r.omitted;
  }
  if (s.table) {
    const tableTitle = lines.length > 0 ? null : title;
    const r = tableUsed ? tableAsLines(tableTitle, s.table, budget) : tableBlocks(tableTitle, s.table, budget);
    out.push(...r.blocks);
    omitted += r.omitted;
    return { blocks: out, omitted, table: !tableUsed };
  }
  return { blocks: out, omitted, table: false };
}

const SHARE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A Report as a Slack message: the headline with its level emoji first, then each section
 * (bold title, lines; the first table as Slack's table block, any later one as lines, since
 * Slack takes one table per message), the footer as context, and the share button. Slack shows
 * `slackSections` where a report has them. No code blocks: a phone shows about 40 monospace
 * characters, and Slack wraps wider ones until the columns fall apart. Every string from the Report is escaped; everything is cut to Block Kit's limits
 * with "… N more" notes instead of failing.
 */
export function renderBlocks(report: Report, options: RenderOptions = {}): SlackMessage {
  const emoji = LEVEL_EMOJI[report.level] ?? LEVEL_EMOJI.info;
  const headline = fit(report.headline, HEADLINE_MAX) || '(no answer)';
  const headText = `${emoji} ${headline}`;

  const tail: KnownBlock[] = [];
  if (report.footer) tail.push(context(fitLinked(report.footer, FOOTER_MAX)));
  if (options.sharedBy && SLACK_USER_ID.test(options.sharedBy)) tail.push(context(`shared by <@${options.sharedBy}>`));
  let actions: ActionsBlock | null = null;
  if (options.shareId !== undefined) {
    if (!SHARE_ID.test(options.shareId)) throw new Error('shareId must be a short url-safe id');
    actions = {
      type: 'actions',
      block_id: 'atlas_share',
      elements: [
        {
          type: 'button',
          action_id: SHARE_ACTION_ID,
          text: { type: 'plain_text', text: 'Post to channel', emoji: true },
          value: options.shareId,
        },
      ],
    };
  }

  if (report.blocks) {
    // Laid out by its own template: the headline, its blocks as far as the message has room, the tail.
    const room = BLOCK_KIT_LIMITS.blocksPerMessage - 1 - tail.length - (actions ? 1 : 0);
    const own = report.blocks.slice(0, room) as KnownBlock[];
    return { text: headText, blocks: [section(headText), ...own, ...tail, ...(actions ? [actions] : [])] };
  }

  const noticeRoom = 200;
  const budget: Budget = {
    // headline + tail + actions + one notice about anything left out
    blocks: BLOCK_KIT_LIMITS.blocksPerMessage - 1 - tail.length - (actions ? 1 : 0) - 1,
    chars: TEXT_BUDGET - headText.length - tail.reduce((n, b) => n + textLength(b), 0) - noticeRoom,
  };

  const body: KnownBlock[] = [];
  let omittedItems = 0;
  let omittedSections = 0;
  let tableUsed = false;
  for (const s of report.slackSections ?? report.sections) {
    if (budget.blocks <= 0 || budget.chars <= MORE_NOTE_ROOM * 2) {
      omittedSections += 1;
      continue;
    }
    const r = sectionBlocks(s, budget, tableUsed);
    tableUsed ||= r.table;
    if (r.blocks.length === 0 && ((s.lines?.length ?? 0) > 0 || (s.table?.rows.length ?? 0) > 0)) omittedSections += 1;
    body.push(...r.blocks);
    omittedItems += r.omitted;
  }

  const blocks: KnownBlock[] = [section(headText), ...body, ...tail];
  if (omittedItems > 0 || omittedSections > 0) {
    const parts = omittedSections > 0 ? ` (${plural(omittedSections, 'more section', 'more sections')} not shown)` : '';
    blocks.push(context(fit(`Shortened to fit Slack${parts}: \`atlas ${report.command}\` in a terminal prints all of it.`, noticeRoom)));
  }
  if (actions) blocks.push(actions);
  return { text: headText, blocks };
}

/**
 * Untrusted plain text (alert messages, user input) as mrkdwn: escaped, cleaned, cut to `max`.
 * Unlike Report text, nothing in it becomes a mention.
 */
export function safeMrkdwn(plain: string, max: number = BLOCK_KIT_LIMITS.sectionText): string {
  return fit(plain, max, false);
}
