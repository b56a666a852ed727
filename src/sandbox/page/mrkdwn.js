/* global document */
/**
 * Slack's mrkdwn as DOM (https://docs.slack.dev/messaging/formatting-message-text): *bold*,
 * _italic_, ~strike~, `code`, ```code blocks```, > quotes, <url|label> and <url> links, <@U…>
 * mentions, <#C…> channels, <!here> <!channel> <!everyone>, <!subteam^S…|@handle>, <!date^…|fallback>,
 * the entities &amp; &lt; &gt; and emoji shortcodes. Everything is built with createElement and
 * text nodes: nothing the bot (or a person) wrote is ever parsed as HTML.
 */
import { replaceShortcodes } from './emoji.js';

/**
 * @typedef {object} NameLookup
 * @property {(id: string) => string | undefined} userName   display name for a user id
 * @property {(id: string) => string | undefined} channelName channel name for a channel id
 * @property {(id: string) => string | undefined} [groupName]  user group handle for a group id
 */

/** @param {string} text */
export function decodeEntities(text) {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} [className]
 * @returns {HTMLElementTagNameMap[K]}
 */
function el(tag, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
}

/** Only links a browser may follow safely: http(s) and mailto. */
export function safeHref(url) {
  try {
    const parsed = new URL(url);
    return ['http:', 'https:', 'mailto:'].includes(parsed.protocol) ? parsed.href : null;
  } catch {
    return null;
  }
}

/** A link that opens in a new tab, never with access to this page. */
export function linkNode(href, label) {
  const a = el('a', 'link');
  a.href = href;
  a.target = '_blank';
  a.rel = 'noopener noreferrer';
  a.textContent = label;
  return a;
}

/** A `<…>` token: mention, channel, special mention, date or link. */
function angleToken(inner, names) {
  const bar = inner.indexOf('|');
  const target = bar === -1 ? inner : inner.slice(0, bar);
  const label = bar === -1 ? null : decodeEntities(inner.slice(bar + 1));
  if (target.startsWith('@')) {
    const id = target.slice(1);
    const span = el('span', 'mention');
    span.textContent = `@${names.userName(id) ?? label ?? id}`;
    span.title = id;
    return span;
  }
  if (target.startsWith('#')) {
    const id = target.slice(1);
    const span = el('span', 'mention channel-mention');
    span.textContent = `#${names.channelName(id) ?? label ?? id}`;
    return span;
  }
  if (target.startsWith('!')) {
    const what = target.slice(1);
    const span = el('span', 'mention broadcast');
    if (what === 'here' || what === 'channel' || what === 'everyone') span.textContent = `@${what}`;
    else if (what.startsWith('subteam^')) span.textContent = label ?? `@${names.groupName?.(what.slice(8)) ?? what.slice(8)}`;
    else if (what.startsWith('date^')) {
      span.className = '';
      span.textContent = label ?? what;
    } else span.textContent = label ?? `@${what}`;
    return span;
  }
  const url = decodeEntities(target);
  const href = safeHref(url);
  if (!href) return document.createTextNode(label ?? url);
  return linkNode(href, label ?? url);
}

/** Placeholder characters (Unicode private use) standing for tokens while emphasis is parsed. */
const PLACEHOLDER_BASE = 0xe000;

/** Characters that may stand next to an emphasis marker on the outside. */
const OUTSIDE = /[\s.,;:!?()[\]{}'"“”‘’/\\<>-]|[\ue000-\uf8ff]/;

/**
 * The first emphasis span in `text`: an opening marker at the start or after a boundary, followed by
 * a non-space; a closing marker on the same line after a non-space, followed by the end or a boundary.
 */
function findEmphasis(text) {
  for (let i = 0; i < text.length; i++) {
    const marker = text[i];
    if (marker !== '*' && marker !== '_' && marker !== '~') continue;
    if (i > 0 && !OUTSIDE.test(text[i - 1])) continue;
    const first = text[i + 1];
    if (first === undefined || /\s/.test(first) || first === marker) continue;
    for (let j = i + 2; j < text.length; j++) {
      const c = text[j];
      if (c === '\n') break;
      if (c !== marker) continue;
      if (/\s/.test(text[j - 1])) continue;
      const after = text[j + 1];
      if (after !== undefined && !OUTSIDE.test(after) && after !== '*' && after !== '_' && after !== '~') continue;
      return { start: i, end: j, marker };
    }
  }
  return null;
}

const EMPHASIS_TAG = { '*': 'strong', _: 'em', '~': 's' };

/** Emphasis, then shortcodes and entities, with tokens put back in place. */
function inlineNodes(text, tokens, parent) {
  const found = findEmphasis(text);
  if (!found) {
    appendText(text, tokens, parent);
    return;
  }
  appendText(text.slice(0, found.start), tokens, parent);
  const wrapper = el(EMPHASIS_TAG[found.marker]);
  inlineNodes(text.slice(found.start + 1, found.end), tokens, wrapper);
  parent.append(wrapper);
  inlineNodes(text.slice(found.end + 1), tokens, parent);
}

function appendText(text, tokens, parent) {
  let run = '';
  const flush = () => {
    if (!run) return;
    const lines = decodeEntities(replaceShortcodes(run)).split('\n');
    lines.forEach((line, n) => {
      if (n > 0) parent.append(el('br'));
      if (line) parent.append(document.createTextNode(line));
    });
    run = '';
  };
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= PLACEHOLDER_BASE && code < PLACEHOLDER_BASE + tokens.length) {
      flush();
      parent.append(tokens[code - PLACEHOLDER_BASE]());
    } else run += ch;
  }
  flush();
}

/** One run of text outside code blocks and quotes: inline code and `<…>` tokens, then emphasis. */
function renderInline(text, names, parent) {
  /** @type {(() => Node)[]} */
  const tokens = [];
  // Private-use characters in the text itself would be taken for tokens: drop them.
  const source = text.replace(/[\ue000-\uf8ff]/g, '');
  const marked = source.replace(/`([^`\n]+)`|<([^<>\n]+)>/g, (whole, code, angle) => {
    if (tokens.length >= 0x1800) return whole;
    const index = tokens.length;
    if (code !== undefined) {
      tokens.push(() => {
        const c = el('code', 'inline-code');
        c.textContent = decodeEntities(code);
        return c;
      });
    } else tokens.push(() => angleToken(angle, names));
    return String.fromCodePoint(PLACEHOLDER_BASE + index);
  });
  inlineNodes(marked, tokens, parent);
}

/** Lines starting with ">" (the raw character; an escaped &gt; is text) become quotes. */
function renderLines(text, names, parent) {
  const lines = text.split('\n');
  let plain = [];
  let quoted = [];
  const flushPlain = () => {
    if (plain.length === 0) return;
    const span = el('span');
    renderInline(plain.join('\n'), names, span);
    parent.append(span);
    plain = [];
  };
  const flushQuote = () => {
    if (quoted.length === 0) return;
    const quote = el('blockquote', 'quote');
    renderInline(quoted.join('\n'), names, quote);
    parent.append(quote);
    quoted = [];
  };
  for (const line of lines) {
    if (line.startsWith('>')) {
      flushPlain();
      quoted.push(line.replace(/^> ?/, ''));
    } else {
      flushQuote();
      plain.push(line);
    }
  }
  flushPlain();
  flushQuote();
}

/**
 * mrkdwn text as a fragment of DOM nodes.
 * @param {string} text
 * @param {NameLookup} names
 * @returns {DocumentFragment}
 */
export function renderMrkdwn(text, names) {
  const fragment = document.createDocumentFragment();
  const parts = String(text ?? '').split('```');
  parts.forEach((part, index) => {
    // Odd parts are inside a fence; an unclosed fence is text, as in Slack.
    const inFence = index % 2 === 1 && index < parts.length - 1;
    if (inFence) {
      const pre = el('pre', 'code-block');
      pre.tabIndex = 0;
      pre.textContent = decodeEntities(part.replace(/^\n/, '').replace(/\n$/, ''));
      fragment.append(pre);
    } else {
      const piece = index % 2 === 1 ? `\`\`\`${part}` : part;
      const trimmed = index > 0 ? piece.replace(/^\n/, '') : piece;
      const cut = index < parts.length - 1 ? trimmed.replace(/\n$/, '') : trimmed;
      if (cut) renderLines(cut, names, fragment);
    }
  });
  return fragment;
}

/**
 * plain_text as Slack shows it: no markup, shortcodes as emoji unless `emoji` is false.
 * @param {string} text
 * @param {boolean} [emoji]
 */
export function plainText(text, emoji = true) {
  return emoji === false ? String(text ?? '') : replaceShortcodes(String(text ?? ''));
}
