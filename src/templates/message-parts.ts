import type { types } from '@slack/bolt';
import { safeMrkdwn } from './block-kit.js';

type KnownBlock = types.KnownBlock;

export const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text, verbatim: true } });

export const context = (...texts: string[]): KnownBlock => ({
  type: 'context',
  elements: texts.slice(0, 10).map((text) => ({ type: 'mrkdwn' as const, text, verbatim: true })),
});

export function button(actionId: string, text: string, value: string, style?: 'primary' | 'danger'): types.Button {
  return { type: 'button', action_id: actionId, text: { type: 'plain_text', text }, value, ...(style ? { style } : {}) };
}

/** The fallback `text` of a message: already escaped, short (it shows in notifications), never cut inside an entity. */
export function fallback(text: string): string {
  if (text.length <= 300) return text;
  let cut = text.slice(0, 299);
  const amp = cut.lastIndexOf('&');
  if (amp !== -1 && !cut.slice(amp).includes(';')) cut = cut.slice(0, amp);
  return `${cut.replace(/[\uD800-\uDBFF]$/, '')}…`;
}

const SECTION_MAX = 3000;

/**
 * Joins escaped lines into one section's text, dropping the lines that no longer fit rather
 * than cutting one in the middle of an entity or a mention.
 */
export function packLines(lines: readonly string[], max = SECTION_MAX): string {
  let out = '';
  for (const line of lines) {
    const next = out ? `${out}\n${line}` : line;
    if (next.length > max - 2) return `${out}\n…`;
    out = next;
  }
  return out;
}

/** One bullet per line of user text (form inputs are multi-line), at most `max` bullets. */
export function bullets(text: string | undefined, icon: string, max = 4, each = 110): string[] {
  if (!text) return [];
  const items = text
    .split(/\r?\n/)
    .map((l) => l.replace(/^\s*(?:[-*•]|\d+[.)])\s+/, '').trim())
    .filter(Boolean);
  const shown = items.slice(0, max).map((l) => `• ${icon} ${safeMrkdwn(l, each)}`);
  if (items.length > max) shown.push(`• … ${items.length - max} more`);
  return shown;
}
