import { contextElementProblems, elementProblems } from './block-element-check.js';
import { isRecord, Problems, type Json } from './block-kit-problems.js';
import { SLACK_LIMITS } from './slack-limits.js';

const B = SLACK_LIMITS.block;

/** Where blocks are shown. Tables are message-only; everything else the stand-in knows goes anywhere. */
export type Surface = 'message' | 'modal' | 'home';

/** Block types the stand-in knows (reference/block-kit/blocks). Others are refused as unsupported. */
export const BLOCK_TYPES: ReadonlySet<string> = new Set([
  'section', 'header', 'divider', 'context', 'actions', 'input', 'image', 'markdown', 'rich_text', 'table',
  'file', 'video',
]);

function section(p: Problems, ptr: string, b: Json): void {
  if (b.text === undefined && b.fields === undefined) p.missing(ptr, 'text');
  p.optionalTextObject(ptr, b, 'text', B.sectionText);
  if (b.fields !== undefined) {
    const fields = p.array(`${ptr}/fields`, b.fields, 1, B.sectionFields);
    fields?.forEach((f, i) => p.textObject(`${ptr}/fields/${i}`, f, B.sectionField));
  }
  if (b.accessory !== undefined) elementProblems(p, `${ptr}/accessory`, b.accessory, { actionIds: new Set() });
}

function context(p: Problems, ptr: string, b: Json): void {
  if (b.elements === undefined) return p.missing(ptr, 'elements');
  const elements = p.array(`${ptr}/elements`, b.elements, 1, B.contextElements);
  elements?.forEach((e, i) => contextElementProblems(p, `${ptr}/elements/${i}`, e));
}

function actions(p: Problems, ptr: string, b: Json): void {
  if (b.elements === undefined) return p.missing(ptr, 'elements');
  const elements = p.array(`${ptr}/elements`, b.elements, 1, B.actionsElements);
  const ctx = { actionIds: new Set<string>() };
  elements?.forEach((e, i) => elementProblems(p, `${ptr}/elements/${i}`, e, ctx));
}

function input(p: Problems, ptr: string, b: Json): void {
  p.requiredTextObject(ptr, b, 'label', B.inputLabel, true);
  p.optionalTextObject(ptr, b, 'hint', B.inputHint, true);
  if (b.element === undefined) p.missing(ptr, 'element');
  else elementProblems(p, `${ptr}/element`, b.element, { actionIds: new Set() });
}

function image(p: Problems, ptr: string, b: Json): void {
  if (b.image_url === undefined && b.slack_file === undefined) p.missing(ptr, 'image_url');
  p.optionalText(ptr, b, 'image_url', B.imageUrl);
  if (b.alt_text === undefined) p.missing(ptr, 'alt_text');
  else p.text(`${ptr}/alt_text`, b.alt_text, B.imageAltText);
  p.optionalTextObject(ptr, b, 'title', B.imageTitle, true);
}

/**
 * Table block: rows (required) of at most 100, each at most 20 cells of raw_text or rich_text
 * (a raw_text not empty), at most 10,000 characters in all its cells together; column_settings
 * at most 20 of { align: left|center|right, is_wrapped: boolean }.
 * https://docs.slack.dev/reference/block-kit/blocks/table-block
 * (@slack/types 3.2 also lists raw_number cells; the stand-in accepts them.)
 */
function table(p: Problems, ptr: string, b: Json): void {
  if (b.rows === undefined) p.missing(ptr, 'rows');
  else {
    const rows = p.array(`${ptr}/rows`, b.rows, 1, B.tableRows);
    rows?.forEach((row, r) => {
      const cells = p.array(`${ptr}/rows/${r}`, row, 1, B.tableCells);
      cells?.forEach((cell, c) => tableCell(p, `${ptr}/rows/${r}/${c}`, cell));
    });
    const chars = blocksTextLength(b.rows);
    if (chars > B.tableCellText) p.add(`${ptr}/rows`, `cells must hold at most ${B.tableCellText} characters together (${chars})`);
  }
  if (b.column_settings !== undefined) {
    const settings = p.array(`${ptr}/column_settings`, b.column_settings, 0, B.tableColumnSettings);
    settings?.forEach((s, i) => {
      const sp = `${ptr}/column_settings/${i}`;
      if (s === null) return; // a null entry keeps the column's default behaviour
      if (!isRecord(s)) return p.add(sp, 'must be a column settings object');
      if (s.align !== undefined) p.enumValue(`${sp}/align`, s.align, ['left', 'center', 'right']);
      if (s.is_wrapped !== undefined && typeof s.is_wrapped !== 'boolean') p.add(`${sp}/is_wrapped`, 'must be a boolean');
    });
  }
}

function tableCell(p: Problems, ptr: string, cell: unknown): void {
  if (!isRecord(cell)) return p.add(ptr, 'must be a table cell object');
  if (cell.type === 'raw_text') p.text(`${ptr}/text`, cell.text, Number.MAX_SAFE_INTEGER);
  else if (cell.type === 'raw_number') {
    if (typeof cell.value !== 'number') p.missing(ptr, 'value');
  } else if (cell.type === 'rich_text') {
    if (!Array.isArray(cell.elements)) p.missing(ptr, 'elements');
  } else p.add(`${ptr}/type`, `unsupported type: ${String(cell.type)}`);
}

function oneBlock(p: Problems, ptr: string, b: unknown, surface: Surface): void {
  if (!isRecord(b)) return p.add(ptr, 'must be a block object');
  if (b.type === undefined) return p.missing(ptr, 'type');
  if (typeof b.type !== 'string' || !BLOCK_TYPES.has(b.type) || (b.type === 'table' && surface !== 'message')) {
    return p.add(`${ptr}/type`, `unsupported type: ${String(b.type)}`);
  }
  switch (b.type) {
    case 'section':
      return section(p, ptr, b);
    case 'header':
      return p.requiredTextObject(ptr, b, 'text', B.headerText, true);
    case 'context':
      return context(p, ptr, b);
    case 'actions':
      return actions(p, ptr, b);
    case 'input':
      return input(p, ptr, b);
    case 'image':
      return image(p, ptr, b);
    case 'markdown':
      if (b.text === undefined) return p.missing(ptr, 'text');
      p.text(`${ptr}/text`, b.text, B.markdownText);
      return;
    case 'rich_text':
      if (!Array.isArray(b.elements)) p.missing(ptr, 'elements');
      return;
    case 'table':
      return table(p, ptr, b);
    case 'file':
      if (b.external_id === undefined) p.missing(ptr, 'external_id');
      if (b.source === undefined) p.missing(ptr, 'source');
      return;
    case 'video':
      for (const key of ['alt_text', 'title', 'thumbnail_url', 'video_url']) if (b[key] === undefined) p.missing(ptr, key);
      return;
    default:
      return;
  }
}

/**
 * Everything wrong with a list of blocks, each as "<what> [json-pointer:<pointer>/<i>/…]".
 * `maxBlocks` is the surface's block count (50 in a message, 100 in a view).
 */
export function blockProblems(blocks: unknown, surface: Surface, pointer: string, maxBlocks: number): string[] {
  const p = new Problems();
  const list = p.array(pointer, blocks, 0, maxBlocks);
  const blockIds = new Set<string>();
  list?.forEach((b, i) => {
    const ptr = `${pointer}/${i}`;
    oneBlock(p, ptr, b, surface);
    if (isRecord(b) && b.block_id !== undefined && p.text(`${ptr}/block_id`, b.block_id, B.blockId)) {
      const id = b.block_id as string;
      if (blockIds.has(id)) p.add(`${ptr}/block_id`, `duplicate block_id: ${id} (block_ids must be unique within a message or view)`);
      blockIds.add(id);
    }
  });
  return p.list;
}

/** How many tables the blocks hold. */
export function tableCount(blocks: unknown): number {
  return Array.isArray(blocks) ? blocks.filter((b) => isRecord(b) && b.type === 'table').length : 0;
}

/**
 * Characters of text in blocks, the measure behind msg_blocks_too_long: the length of every
 * string under a `text` key, at any depth (text objects, fields, markdown, rich text, raw_text cells).
 */
export function blocksTextLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + blocksTextLength(v), 0);
  if (!isRecord(value)) return 0;
  let n = 0;
  for (const [key, v] of Object.entries(value)) {
    if (key === 'text' && typeof v === 'string') n += v.length;
    else n += blocksTextLength(v);
  }
  return n;
}
