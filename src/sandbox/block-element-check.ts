import { isRecord, type Json, type Problems } from './block-kit-problems.js';
import { SLACK_LIMITS } from './slack-limits.js';

const E = SLACK_LIMITS.element;

/** Selects whose options come from Slack or the app, not from the payload. */
const DYNAMIC_SELECTS = [
  'users_select', 'multi_users_select', 'conversations_select', 'multi_conversations_select',
  'channels_select', 'multi_channels_select', 'external_select', 'multi_external_select',
];
/** Elements with no more than an action_id and a placeholder to judge. */
const PLAIN_INPUTS = [
  'datepicker', 'timepicker', 'datetimepicker', 'email_text_input', 'url_text_input', 'number_input',
  'rich_text_input', 'file_input',
];

/** Element types the stand-in knows (reference/block-kit/block-elements). Others are refused. */
export const ELEMENT_TYPES: ReadonlySet<string> = new Set([
  'button', 'checkboxes', 'overflow', 'radio_buttons', 'static_select', 'multi_static_select',
  'plain_text_input', 'image', 'workflow_button', ...DYNAMIC_SELECTS, ...PLAIN_INPUTS,
]);

/**
 * A confirmation dialog: title 100, text 300, confirm 30, deny 30, all four required.
 * https://api.slack.com/reference/block-kit/composition-objects#confirm
 */
function confirmDialog(p: Problems, ptr: string, value: unknown): void {
  if (!isRecord(value)) {
    p.add(ptr, 'must be a confirmation dialog object');
    return;
  }
  const C = SLACK_LIMITS.confirm;
  p.requiredTextObject(ptr, value, 'title', C.title, true);
  p.requiredTextObject(ptr, value, 'text', C.text);
  p.requiredTextObject(ptr, value, 'confirm', C.confirm, true);
  p.requiredTextObject(ptr, value, 'deny', C.deny, true);
  if (value.style !== undefined) p.enumValue(`${ptr}/style`, value.style, ['primary', 'danger']);
}

/** An option: text 75, value 150, description 75. Select menus take plain_text only. */
function option(p: Problems, ptr: string, value: unknown, plainOnly: boolean): void {
  if (!isRecord(value)) {
    p.add(ptr, 'must be an option object');
    return;
  }
  p.requiredTextObject(ptr, value, 'text', E.optionText, plainOnly);
  if (value.value === undefined) p.missing(ptr, 'value');
  else p.text(`${ptr}/value`, value.value, E.optionValue);
  p.optionalTextObject(ptr, value, 'description', E.optionDescription, plainOnly);
}

function options(p: Problems, ptr: string, el: Json, min: number, max: number, plainOnly: boolean): void {
  if (el.options === undefined) {
    p.missing(ptr, 'options');
    return;
  }
  const list = p.array(`${ptr}/options`, el.options, min, max);
  list?.forEach((o, i) => option(p, `${ptr}/options/${i}`, o, plainOnly));
}

function staticSelect(p: Problems, ptr: string, el: Json): void {
  if (el.options === undefined && el.option_groups === undefined) {
    p.missing(ptr, 'options');
    return;
  }
  if (el.options !== undefined) options(p, ptr, el, 1, E.options, true);
  if (el.option_groups !== undefined) {
    const groups = p.array(`${ptr}/option_groups`, el.option_groups, 1, E.optionGroups);
    groups?.forEach((g, i) => {
      const gp = `${ptr}/option_groups/${i}`;
      if (!isRecord(g)) return p.add(gp, 'must be an option group object');
      p.requiredTextObject(gp, g, 'label', E.optionGroupLabel, true);
      options(p, gp, g, 1, E.options, true);
    });
  }
}

function button(p: Problems, ptr: string, el: Json): void {
  p.requiredTextObject(ptr, el, 'text', E.buttonText, true);
  p.optionalText(ptr, el, 'value', E.buttonValue);
  p.optionalText(ptr, el, 'url', E.buttonUrl);
  p.optionalText(ptr, el, 'accessibility_label', E.accessibilityLabel);
  if (el.style !== undefined) p.enumValue(`${ptr}/style`, el.style, ['primary', 'danger']);
}

function imageElement(p: Problems, ptr: string, el: Json): void {
  if (el.image_url === undefined && el.slack_file === undefined) p.missing(ptr, 'image_url');
  p.optionalText(ptr, el, 'image_url', SLACK_LIMITS.block.imageUrl);
  if (el.alt_text === undefined) p.missing(ptr, 'alt_text');
  else p.text(`${ptr}/alt_text`, el.alt_text, SLACK_LIMITS.block.imageAltText);
}

function plainTextInput(p: Problems, ptr: string, el: Json): void {
  for (const key of ['max_length', 'min_length'] as const) {
    const n = el[key];
    if (n === undefined) continue;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < (key === 'max_length' ? 1 : 0) || n > E.plainTextInputLength) {
      p.add(`${ptr}/${key}`, `must be an integer from ${key === 'max_length' ? 1 : 0} to ${E.plainTextInputLength}`);
    }
  }
}

export interface ElementContext {
  /** action_ids already used in the enclosing block. */
  actionIds: Set<string>;
}

/**
 * An interactive element or image element.
 * https://api.slack.com/reference/block-kit/block-elements
 */
export function elementProblems(p: Problems, ptr: string, el: unknown, ctx: ElementContext): void {
  if (!isRecord(el)) {
    p.add(ptr, 'must be an element object');
    return;
  }
  if (el.type === undefined) return p.missing(ptr, 'type');
  if (typeof el.type !== 'string' || !ELEMENT_TYPES.has(el.type)) {
    return p.add(`${ptr}/type`, `unsupported type: ${String(el.type)}`);
  }
  if (el.action_id !== undefined && p.text(`${ptr}/action_id`, el.action_id, E.actionId)) {
    const id = el.action_id as string;
    if (ctx.actionIds.has(id)) p.add(`${ptr}/action_id`, `duplicate action_id: ${id} (action_ids must be unique within a block)`);
    ctx.actionIds.add(id);
  }
  p.optionalTextObject(ptr, el, 'placeholder', E.placeholder, true);
  if (el.confirm !== undefined) confirmDialog(p, `${ptr}/confirm`, el.confirm);
  switch (el.type) {
    case 'button':
    case 'workflow_button':
      return button(p, ptr, el);
    case 'static_select':
    case 'multi_static_select':
      return staticSelect(p, ptr, el);
    case 'overflow':
      return options(p, ptr, el, 1, E.overflowOptions, true);
    case 'checkboxes':
      return options(p, ptr, el, 1, E.checkboxOptions, false);
    case 'radio_buttons':
      return options(p, ptr, el, 1, E.radioOptions, false);
    case 'image':
      return imageElement(p, ptr, el);
    case 'plain_text_input':
      return plainTextInput(p, ptr, el);
    default:
      return;
  }
}

/** A context block element: an image element or a text object. */
export function contextElementProblems(p: Problems, ptr: string, el: unknown): void {
  if (isRecord(el) && el.type === 'image') return imageElement(p, ptr, el);
  p.textObject(ptr, el);
}
