/* global document, Node, HTMLInputElement, HTMLTextAreaElement, HTMLSelectElement */
/**
 * Block Kit as DOM, as Slack draws it: section (text, fields, accessory), context, divider, header,
 * actions, image, rich_text, table, markdown, and input blocks in modals. Built with createElement
 * and text nodes only. What the page cannot draw yet is shown as a muted note naming the type,
 * never silently dropped.
 */
import { emojiFor } from './emoji.js';
import { linkNode, plainText, renderMrkdwn, safeHref } from './mrkdwn.js';

/**
 * @typedef {import('./mrkdwn.js').NameLookup} NameLookup
 * @typedef {object} RenderContext
 * @property {NameLookup} names
 * @property {(element: any, block: any, control: HTMLElement) => void} press  a button was pressed
 * @property {Record<string, string>} [errors]  field errors by block_id (modals)
 */

/**
 * A new element, with its class and text.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

let idCounter = 0;
/** A unique DOM id for label/description wiring. */
function nextId(prefix) {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** A text object (mrkdwn or plain_text) as DOM. */
export function textObject(obj, names) {
  if (!obj || typeof obj !== 'object') return document.createTextNode('');
  if (obj.type === 'mrkdwn') return renderMrkdwn(String(obj.text ?? ''), names);
  return document.createTextNode(plainText(String(obj.text ?? ''), obj.emoji));
}

/** A text object's text as plain characters (for labels and titles). */
export function textOf(obj) {
  if (!obj || typeof obj !== 'object') return '';
  return obj.type === 'plain_text' ? plainText(String(obj.text ?? ''), obj.emoji) : String(obj.text ?? '');
}

function unsupported(what) {
  return el('div', 'bk-unsupported', `[${what} is not drawn by the sandbox page yet]`);
}

function imagePlaceholder(element) {
  // The sandbox loads nothing from the network: an image is shown by its alt text.
  const box = el('span', 'bk-image', `🖼 ${element.alt_text || 'image'}`);
  box.title = String(element.image_url ?? element.slack_file?.url ?? '');
  return box;
}

// --------------------------------------------------------------------------------------------
// Interactive elements

function button(element, block, ctx) {
  const b = el('button', 'bk-button');
  b.type = 'button';
  if (element.style === 'primary') b.classList.add('primary');
  if (element.style === 'danger') b.classList.add('danger');
  b.textContent = textOf(element.text);
  if (element.accessibility_label) b.setAttribute('aria-label', String(element.accessibility_label));
  if (element.url) {
    const href = safeHref(String(element.url));
    if (href) b.title = href;
    b.append(el('span', 'bk-external', ' ↗'));
    b.lastElementChild?.setAttribute('aria-hidden', 'true');
  }
  b.addEventListener('click', () => ctx.press(element, block, b));
  return b;
}

/** A select menu in a message: choosing an option is a press carrying the option's value. */
function selectMenu(element, block, ctx) {
  const select = el('select', 'bk-select bk-menu');
  const name = textOf(element.placeholder) || 'Choose an option';
  select.setAttribute('aria-label', name);
  const blank = el('option', undefined, name);
  blank.value = '';
  select.append(blank);
  for (const option of element.options ?? []) select.append(optionNode(option));
  for (const group of element.option_groups ?? []) {
    const g = el('optgroup');
    g.label = textOf(group.label);
    for (const option of group.options ?? []) g.append(optionNode(option));
    select.append(g);
  }
  if (element.initial_option) select.value = String(element.initial_option.value ?? '');
  select.addEventListener('change', () => {
    if (select.value !== '') ctx.press({ ...element, value: select.value, text: element.placeholder }, block, select);
  });
  return select;
}

/** An element in a section's accessory or an actions block. */
function interactive(element, block, ctx) {
  switch (element?.type) {
    case 'button':
      return button(element, block, ctx);
    case 'static_select':
      return selectMenu(element, block, ctx);
    case 'image':
      return imagePlaceholder(element);
    default:
      return unsupported(`${element?.type ?? 'an element'} (outside a form)`);
  }
}

// --------------------------------------------------------------------------------------------
// Blocks

function section(block, ctx) {
  const wrap = el('div', 'bk-section');
  const body = el('div', 'bk-section-body');
  if (block.text) {
    const text = el('div', 'bk-text');
    text.append(textObject(block.text, ctx.names));
    body.append(text);
  }
  if (Array.isArray(block.fields) && block.fields.length > 0) {
    const grid = el('div', 'bk-fields');
    for (const field of block.fields) {
      const cell = el('div', 'bk-field');
      cell.append(textObject(field, ctx.names));
      grid.append(cell);
    }
    body.append(grid);
  }
  wrap.append(body);
  if (block.accessory) {
    const accessory = el('div', 'bk-accessory');
    accessory.append(interactive(block.accessory, block, ctx));
    wrap.append(accessory);
  }
  return wrap;
}

function context(block, ctx) {
  const wrap = el('div', 'bk-context');
  for (const element of block.elements ?? []) {
    if (element?.type === 'image') wrap.append(imagePlaceholder(element));
    else {
      const span = el('span', 'bk-context-item');
      span.append(textObject(element, ctx.names));
      wrap.append(span);
    }
  }
  return wrap;
}

function header(block) {
  return el('h3', 'bk-header', textOf(block.text));
}

function actions(block, ctx) {
  const wrap = el('div', 'bk-actions');
  for (const element of block.elements ?? []) wrap.append(interactive(element, block, ctx));
  return wrap;
}

function imageBlock(block, ctx) {
  const wrap = el('figure', 'bk-image-block');
  if (block.title) {
    const caption = el('figcaption');
    caption.append(textObject(block.title, ctx.names));
    wrap.append(caption);
  }
  wrap.append(imagePlaceholder(block));
  return wrap;
}

// rich_text ----------------------------------------------------------------------------------

function styled(node, style) {
  let out = node;
  if (!style) return out;
  if (style.code) {
    const c = el('code', 'inline-code');
    c.append(out);
    out = c;
  }
  for (const [flag, tag] of /** @type {const} */ ([
    ['bold', 'strong'],
    ['italic', 'em'],
    ['strike', 's'],
  ])) {
    if (style[flag]) {
      const w = el(tag);
      w.append(out);
      out = w;
    }
  }
  return out;
}

function richInline(element, names) {
  switch (element?.type) {
    case 'text':
      return styled(document.createTextNode(String(element.text ?? '')), element.style);
    case 'link': {
      const href = safeHref(String(element.url ?? ''));
      const label = String(element.text || element.url || '');
      return styled(href ? linkNode(href, label) : document.createTextNode(label), element.style);
    }
    case 'emoji': {
      let glyph = emojiFor(String(element.name ?? ''));
      if (!glyph && typeof element.unicode === 'string') {
        try {
          glyph = String.fromCodePoint(...element.unicode.split('-').map((h) => parseInt(h, 16)));
        } catch {
          glyph = undefined;
        }
      }
      return document.createTextNode(glyph ?? `:${element.name}:`);
    }
    case 'user':
      return styled(el('span', 'mention', `@${names.userName(element.user_id) ?? element.user_id}`), element.style);
    case 'channel':
      return styled(el('span', 'mention channel-mention', `#${names.channelName(element.channel_id) ?? element.channel_id}`), element.style);
    case 'usergroup':
      return el('span', 'mention', `@${names.groupName?.(element.usergroup_id) ?? element.usergroup_id}`);
    case 'broadcast':
      return el('span', 'mention broadcast', `@${element.range}`);
    case 'date':
      return document.createTextNode(String(element.fallback ?? new Date(Number(element.timestamp) * 1000).toISOString()));
    case 'color':
      return document.createTextNode(String(element.value ?? ''));
    default:
      return document.createTextNode('');
  }
}

function richInlines(elements, names, parent) {
  for (const element of elements ?? []) {
    const node = richInline(element, names);
    // Newlines in rich text are line breaks.
    if (node.nodeType === Node.TEXT_NODE && node.textContent?.includes('\n')) {
      node.textContent.split('\n').forEach((line, i) => {
        if (i > 0) parent.append(el('br'));
        if (line) parent.append(document.createTextNode(line));
      });
    } else parent.append(node);
  }
}

function richElement(element, names) {
  switch (element?.type) {
    case 'rich_text_section': {
      const div = el('div', 'rt-section');
      richInlines(element.elements, names, div);
      return div;
    }
    case 'rich_text_list': {
      const list = el(element.style === 'ordered' ? 'ol' : 'ul', 'rt-list');
      list.style.marginLeft = `${Math.min(Number(element.indent) || 0, 8) * 1.25}em`;
      for (const item of element.elements ?? []) {
        const li = el('li');
        richInlines(item.elements, names, li);
        list.append(li);
      }
      return list;
    }
    case 'rich_text_preformatted': {
      const pre = el('pre', 'code-block');
      richInlines(element.elements, names, pre);
      return pre;
    }
    case 'rich_text_quote': {
      const quote = el('blockquote', 'quote');
      richInlines(element.elements, names, quote);
      return quote;
    }
    default:
      return unsupported(String(element?.type ?? 'a rich text element'));
  }
}

function richText(block, ctx) {
  const wrap = el('div', 'bk-rich-text');
  for (const element of block.elements ?? []) wrap.append(richElement(element, ctx.names));
  return wrap;
}

// table --------------------------------------------------------------------------------------

function tableCell(cell, names) {
  if (cell && cell.type === 'rich_text') {
    const span = el('span');
    for (const element of cell.elements ?? []) {
      if (element?.type === 'rich_text_section') richInlines(element.elements, names, span);
      else span.append(richElement(element, names));
    }
    return span;
  }
  return document.createTextNode(String(cell?.text ?? ''));
}

/**
 * A table block: the first row is the header. Columns follow `column_settings` (align; a column
 * that is not `is_wrapped` stays on one line and is cut with an ellipsis, its whole text on hover).
 */
function table(block, ctx) {
  const wrap = el('div', 'bk-table-wrap');
  wrap.tabIndex = 0;
  wrap.setAttribute('role', 'region');
  wrap.setAttribute('aria-label', 'Table');
  const t = el('table', 'bk-table');
  const settings = Array.isArray(block.column_settings) ? block.column_settings : [];
  const rows = Array.isArray(block.rows) ? block.rows : [];
  rows.forEach((row, r) => {
    const tr = el('tr');
    (Array.isArray(row) ? row : []).forEach((cell, c) => {
      const td = el(r === 0 ? 'th' : 'td');
      if (r === 0) td.setAttribute('scope', 'col');
      const setting = settings[c] ?? {};
      if (setting.align === 'center' || setting.align === 'right') td.style.textAlign = setting.align;
      const content = tableCell(cell, ctx.names);
      if (setting.is_wrapped) td.classList.add('wrapped');
      else {
        td.classList.add('unwrapped');
        td.title = content.textContent ?? '';
      }
      td.append(content);
      tr.append(td);
    });
    (r === 0 ? (t.tHead ?? t.createTHead()) : (t.tBodies[0] ?? t.createTBody())).append(tr);
  });
  wrap.append(t);
  return wrap;
}

/** A `markdown` block: shown as mrkdwn, which covers its bold, italic, code and links closely enough. */
function markdown(block, ctx) {
  const wrap = el('div', 'bk-text bk-markdown');
  const text = String(block.text ?? '')
    .replace(/\*\*(.+?)\*\*/g, '*$1*')
    .replace(/\[([^\]\n]+)\]\((https?:[^)\s]+)\)/g, '<$2|$1>');
  wrap.append(renderMrkdwn(text, ctx.names));
  return wrap;
}

// input (modals) -----------------------------------------------------------------------------

/** The Slack option object for a <select>'s chosen value. */
function findOption(element, value) {
  const all = [...(element.options ?? []), ...(element.option_groups ?? []).flatMap((g) => g.options ?? [])];
  return all.find((o) => o.value === value);
}

function optionNode(option) {
  const o = el('option', undefined, textOf(option.text));
  o.value = String(option.value ?? '');
  return o;
}

/** The control for an input block's element; `data-*` attributes say how to read its value back. */
function inputControl(element, id, describedBy) {
  const common = (node) => {
    node.id = id;
    node.dataset.actionId = String(element.action_id ?? '');
    node.dataset.type = String(element.type);
    if (describedBy) node.setAttribute('aria-describedby', describedBy);
    if (element.focus_on_load) node.autofocus = true;
    return node;
  };
  switch (element.type) {
    case 'plain_text_input': {
      let node;
      if (element.multiline) {
        node = el('textarea', 'bk-input multiline');
        node.rows = 3;
      } else {
        node = el('input', 'bk-input');
        node.type = 'text';
      }
      if (element.placeholder) node.placeholder = textOf(element.placeholder);
      if (element.initial_value) node.value = String(element.initial_value);
      if (element.max_length) node.maxLength = Number(element.max_length);
      if (element.min_length) node.minLength = Number(element.min_length);
      return common(node);
    }
    case 'number_input':
    case 'email_text_input':
    case 'url_text_input': {
      const node = el('input', 'bk-input');
      node.type = element.type === 'email_text_input' ? 'email' : element.type === 'url_text_input' ? 'url' : 'text';
      if (element.type === 'number_input') node.inputMode = element.is_decimal_allowed ? 'decimal' : 'numeric';
      if (element.placeholder) node.placeholder = textOf(element.placeholder);
      if (element.initial_value) node.value = String(element.initial_value);
      return common(node);
    }
    case 'datepicker': {
      const node = el('input', 'bk-input');
      node.type = 'date';
      if (element.initial_date) node.value = String(element.initial_date);
      return common(node);
    }
    case 'timepicker': {
      const node = el('input', 'bk-input');
      node.type = 'time';
      if (element.initial_time) node.value = String(element.initial_time);
      return common(node);
    }
    case 'static_select': {
      const node = el('select', 'bk-select');
      const blank = el('option', undefined, element.placeholder ? textOf(element.placeholder) : 'Select an item');
      blank.value = '';
      node.append(blank);
      for (const option of element.options ?? []) node.append(optionNode(option));
      for (const group of element.option_groups ?? []) {
        const g = el('optgroup');
        g.label = textOf(group.label);
        for (const option of group.options ?? []) g.append(optionNode(option));
        node.append(g);
      }
      if (element.initial_option) node.value = String(element.initial_option.value ?? '');
      return common(node);
    }
    case 'checkboxes':
    case 'radio_buttons': {
      const node = el('div', 'bk-choices');
      node.setAttribute('role', element.type === 'radio_buttons' ? 'radiogroup' : 'group');
      const initial = new Set(
        (element.type === 'checkboxes' ? (element.initial_options ?? []) : element.initial_option ? [element.initial_option] : []).map((o) => o.value),
      );
      for (const option of element.options ?? []) {
        const label = el('label', 'bk-choice');
        const box = el('input');
        box.type = element.type === 'checkboxes' ? 'checkbox' : 'radio';
        box.name = id;
        box.value = String(option.value ?? '');
        box.checked = initial.has(option.value);
        label.append(box, document.createTextNode(` ${textOf(option.text)}`));
        node.append(label);
      }
      return common(node);
    }
    default:
      return null;
  }
}

function input(block, ctx) {
  const wrap = el('div', 'bk-input-block');
  wrap.dataset.blockId = String(block.block_id ?? '');
  const id = nextId('bk-input');
  const hintId = block.hint ? nextId('bk-hint') : '';
  const errorId = nextId('bk-error');
  const label = el('label', 'bk-label', textOf(block.label));
  label.htmlFor = id;
  if (block.optional) label.append(el('span', 'bk-optional', ' (optional)'));
  wrap.append(label);
  const control = inputControl(block.element ?? {}, id, [hintId, errorId].filter(Boolean).join(' '));
  if (!control) {
    wrap.append(unsupported(`a ${block.element?.type ?? 'missing'} input`));
    return wrap;
  }
  if (!block.optional && (control instanceof HTMLInputElement || control instanceof HTMLTextAreaElement || control instanceof HTMLSelectElement)) {
    control.required = true;
  }
  wrap.append(control);
  if (block.hint) {
    const hint = el('div', 'bk-hint', textOf(block.hint));
    hint.id = hintId;
    wrap.append(hint);
  }
  const error = el('div', 'bk-error');
  error.id = errorId;
  error.setAttribute('role', 'alert');
  wrap.append(error);
  const message = ctx.errors?.[String(block.block_id ?? '')];
  if (message) showFieldError(wrap, message);
  return wrap;
}

/** Shows (or clears, with an empty message) the error under an input block. */
export function showFieldError(blockNode, message) {
  const error = blockNode.querySelector('.bk-error');
  const control = blockNode.querySelector('[data-action-id]');
  if (error) error.textContent = message ? `⚠ ${message}` : '';
  if (control) {
    if (message) control.setAttribute('aria-invalid', 'true');
    else control.removeAttribute('aria-invalid');
  }
  blockNode.classList.toggle('has-error', Boolean(message));
}

/**
 * The values of a modal's inputs in Slack's `view.state.values` shape:
 * { [block_id]: { [action_id]: { type, value | selected_option | … } } }.
 * @param {ParentNode} root
 * @param {any[]} blocks the view's blocks, for the option objects
 */
export function collectValues(root, blocks) {
  /** @type {Record<string, Record<string, any>>} */
  const values = {};
  for (const blockNode of root.querySelectorAll('.bk-input-block')) {
    const blockId = blockNode.getAttribute('data-block-id') ?? '';
    const control = /** @type {HTMLElement | null} */ (blockNode.querySelector('[data-action-id]'));
    if (!control) continue;
    const block = blocks.find((b) => String(b.block_id ?? '') === blockId);
    const element = block?.element ?? {};
    const actionId = control.dataset.actionId ?? '';
    const type = control.dataset.type ?? '';
    const field = (control instanceof HTMLInputElement || control instanceof HTMLTextAreaElement || control instanceof HTMLSelectElement) ? control.value : '';
    let value;
    switch (type) {
      case 'plain_text_input':
      case 'number_input':
      case 'email_text_input':
      case 'url_text_input':
        value = { type, value: field === '' ? null : field };
        break;
      case 'datepicker':
        value = { type, selected_date: field || null };
        break;
      case 'timepicker':
        value = { type, selected_time: field || null };
        break;
      case 'static_select': {
        const option = field === '' ? undefined : findOption(element, field);
        value = { type, selected_option: option ? { text: { type: 'plain_text', text: option.text?.text ?? '' }, value: option.value } : null };
        break;
      }
      case 'checkboxes': {
        const chosen = [...control.querySelectorAll('input:checked')].map((b) => findOption(element, /** @type {HTMLInputElement} */ (b).value)).filter(Boolean);
        value = { type, selected_options: chosen };
        break;
      }
      case 'radio_buttons': {
        const box = /** @type {HTMLInputElement | null} */ (control.querySelector('input:checked'));
        value = { type, selected_option: box ? (findOption(element, box.value) ?? null) : null };
        break;
      }
      default:
        continue;
    }
    values[blockId] = { ...(values[blockId] ?? {}), [actionId]: value };
  }
  return values;
}

/** Puts back what a person had typed, into a re-drawn view whose inputs keep their block and action ids. */
export function restoreValues(root, typed) {
  for (const blockNode of root.querySelectorAll('.bk-input-block')) {
    const blockId = blockNode.getAttribute('data-block-id') ?? '';
    const control = /** @type {HTMLElement | null} */ (blockNode.querySelector('[data-action-id]'));
    const before = control ? typed[blockId]?.[control.dataset.actionId ?? ''] : undefined;
    if (!control || !before) continue;
    if ('value' in before && (control instanceof HTMLInputElement || control instanceof HTMLTextAreaElement)) control.value = before.value ?? '';
    else if ('selected_option' in before && control instanceof HTMLSelectElement) control.value = before.selected_option?.value ?? '';
  }
}

/**
 * Required fields left empty, as Slack checks them in the client before anything is sent.
 * @returns {boolean} whether all is well
 */
export function checkRequired(root) {
  let ok = true;
  for (const blockNode of root.querySelectorAll('.bk-input-block')) {
    const control = blockNode.querySelector('[data-action-id]');
    if (!control || !('required' in control) || !control.required) continue;
    const empty = String(/** @type {HTMLInputElement} */ (control).value ?? '').trim() === '';
    const tooShort = control instanceof HTMLTextAreaElement || control instanceof HTMLInputElement ? control.minLength > 0 && control.value.length < control.minLength : false;
    if (empty) showFieldError(blockNode, 'Please fill out this field.');
    else if (tooShort) showFieldError(blockNode, `At least ${/** @type {HTMLInputElement} */ (control).minLength} characters.`);
    else continue;
    if (ok) /** @type {HTMLElement} */ (control).focus();
    ok = false;
  }
  return ok;
}

// --------------------------------------------------------------------------------------------

const RENDERERS = {
  section,
  context,
  divider: () => el('hr', 'bk-divider'),
  header,
  actions,
  image: imageBlock,
  rich_text: richText,
  table,
  markdown,
  input,
};

/**
 * Blocks as DOM.
 * @param {any[]} blocks
 * @param {RenderContext} ctx
 */
export function renderBlocks(blocks, ctx) {
  const wrap = el('div', 'blocks');
  for (const block of Array.isArray(blocks) ? blocks : []) {
    const render = RENDERERS[block?.type];
    const node = render ? render(block, ctx) : unsupported(`a ${String(block?.type ?? 'typeless')} block`);
    wrap.append(node);
  }
  return wrap;
}
