/* global document, ResizeObserver */
/**
 * Messages as Slack lists them: one <article> per message (avatar, name, time, Block Kit or
 * mrkdwn, "(edited)", "Only visible to you", "N replies"), day dividers, runs of plain messages
 * from one sender grouped, and lists that keep their place while they change.
 */
import { el, renderBlocks } from './block-kit.js';
import { renderMrkdwn } from './mrkdwn.js';
import { compareTs, dayLabel, hhmm, longTime, tsDate } from './time.js';

/**
 * What the messages need from the page.
 * @typedef {object} MessageView
 * @property {any} state  the last state read
 * @property {import('./mrkdwn.js').NameLookup} names
 * @property {(id: string) => { name: string, realName: string, isBot: boolean }} person
 * @property {(element: any, block: any, control: HTMLElement, where: { channel: string | null, container: object }) => void} press
 * @property {(channel: string, ts: string) => void} openThread
 * @property {(ts: string) => void} dismiss  an ephemeral message dismissed
 */

/** A stable colour for a person's avatar. */
function avatarColour(id) {
  let h = 0;
  for (const ch of String(id)) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return `hsl(${h} 45% 38%)`;
}

function initials(name) {
  const parts = String(name).trim().split(/\s+/);
  return ((parts[0]?.[0] ?? '?') + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '')).toUpperCase();
}


/** Keeps unchanged children (and the focus and scroll inside them); replaces what changed. */
export function reconcile(container, items) {
  const existing = new Map([...container.children].map((n) => [/** @type {HTMLElement} */ (n).dataset.key, n]));
  const keep = new Set();
  let cursor = container.firstElementChild;
  for (const item of items) {
    let node = existing.get(item.key);
    if (!node || node.dataset.sig !== item.sig) {
      const fresh = item.build();
      fresh.dataset.key = item.key;
      fresh.dataset.sig = item.sig;
      if (node && node.parentNode === container) {
        node.replaceWith(fresh);
        if (cursor === node) cursor = fresh;
      }
      node = fresh;
    }
    keep.add(node);
    if (node === cursor) cursor = cursor.nextElementSibling;
    else container.insertBefore(node, cursor);
  }
  for (const child of [...container.children]) if (!keep.has(child)) child.remove();
}

/**
 * One message as an <article>: avatar, name, time, the Block Kit (or the text), "(edited)",
 * "Only visible to you" for ephemeral messages, and the "N replies" link under a thread parent.
 * @param {any} m
 * @param {{ channel: string, ephemeral?: boolean, compact?: boolean, inThread?: boolean, elsewhere?: boolean }} opts
 */
/** A shared file: the picture for an image (from the stand-in's url_private), else a note. */
function fileView(f) {
  const name = String(f?.name ?? 'file');
  if (String(f?.mimetype ?? '').startsWith('image/') && typeof f?.url_private === 'string') {
    const img = /** @type {HTMLImageElement} */ (el('img', 'file-image'));
    // Same server as the page: the path of url_private.
    img.src = new URL(f.url_private).pathname;
    img.alt = String(f.alt_txt ?? name);
    img.title = img.alt;
    img.loading = 'lazy';
    return img;
  }
  return el('div', 'broadcast-note file-note', `📄 ${name} · ${Number(f?.size ?? 0).toLocaleString('en')} bytes`);
}

export function messageArticle(m, opts, view) {
  const { state, names } = view;
  const authorId = opts.ephemeral ? state.bot.userId : m.user;
  const who = view.person(authorId);
  const isBot = opts.ephemeral || Boolean(m.bot_id) || who.isBot;
  const when = tsDate(m.ts);
  const article = el('article', 'message');
  article.classList.toggle('bot', isBot);
  article.classList.toggle('ephemeral', Boolean(opts.ephemeral));
  article.classList.toggle('compact', Boolean(opts.compact));
  article.setAttribute('aria-label', `${who.realName}${opts.ephemeral ? ' (only visible to you)' : ''}, ${hhmm(when)}`);

  const gutter = el('div', 'gutter');
  if (opts.compact) {
    const t = el('time', 'gutter-time', hhmm(when));
    t.dateTime = when.toISOString();
    t.title = longTime(when);
    gutter.append(t);
  } else {
    const avatar = el('div', 'avatar', isBot ? '◆' : initials(who.realName));
    avatar.setAttribute('aria-hidden', 'true');
    avatar.style.background = isBot ? '' : avatarColour(authorId);
    gutter.append(avatar);
  }

  const body = el('div', 'message-body');
  if (!opts.compact) {
    const meta = el('div', 'message-meta');
    meta.append(el('span', 'sender', isBot ? who.name : who.realName));
    if (isBot) meta.append(el('span', 'app-badge', 'APP'));
    const t = el('time', 'message-time', hhmm(when));
    t.dateTime = when.toISOString();
    t.title = longTime(when);
    meta.append(t);
    body.append(meta);
  }
  if (opts.ephemeral) {
    const note = el('div', 'ephemeral-note');
    note.append(el('span', 'eye', '👁'), document.createTextNode(' Only visible to you'));
    note.firstElementChild?.setAttribute('aria-hidden', 'true');
    if (opts.elsewhere) note.append(document.createTextNode(' · in a thread'));
    body.append(note);
  }
  if (m.subtype === 'thread_broadcast') body.append(el('div', 'broadcast-note', 'replied to a thread'));

  const content = el('div', 'message-content');
  if (m.subtype === 'tombstone') content.append(el('span', 'tombstone', m.text || 'This message was deleted.'));
  else {
    const where = opts.ephemeral
      ? { channel: opts.channel, container: { type: 'ephemeral', ts: m.ts } }
      : { channel: opts.channel, container: { type: 'message', ts: m.ts } };
    if (Array.isArray(m.blocks) && m.blocks.length > 0) {
      content.append(renderBlocks(m.blocks, { names, press: (element, block, control) => view.press(element, block, control, where) }));
    } else {
      const text = el('div', 'bk-text');
      text.append(renderMrkdwn(String(m.text ?? ''), names));
      content.append(text);
    }
    if (Array.isArray(m.attachments)) for (const a of m.attachments) content.append(attachment(a, names));
    // A shared file (files.completeUploadExternal): an image is shown with its alt text, as Slack
    // does (a chart); any other file is its name and size, as a muted note.
    if (Array.isArray(m.files)) for (const f of m.files) content.append(fileView(f));
  }
  if (m.edited) {
    const edited = el('span', 'edited', '(edited)');
    edited.title = `Edited ${longTime(tsDate(m.edited.ts))}`;
    content.append(edited);
  }
  body.append(content);

  if (!opts.inThread && m.reply_count > 0) {
    const row = el('div', 'replies-row');
    const link = el('button', 'replies-link', `${m.reply_count} ${m.reply_count === 1 ? 'reply' : 'replies'}`);
    link.type = 'button';
    link.addEventListener('click', () => view.openThread(opts.channel, m.ts));
    row.append(link);
    if (m.latest_reply) row.append(el('span', 'replies-when', `Last reply ${hhmm(tsDate(m.latest_reply))}`));
    body.append(row);
  }
  if (opts.ephemeral) {
    const row = el('div', 'ephemeral-actions');
    if (opts.elsewhere && m.thread_ts) {
      const viewThread = el('button', 'link-button', 'View thread');
      viewThread.type = 'button';
      viewThread.addEventListener('click', () => view.openThread(opts.channel, m.thread_ts));
      row.append(viewThread);
    }
    const dismiss = el('button', 'link-button', 'Dismiss');
    dismiss.type = 'button';
    dismiss.addEventListener('click', () => view.dismiss(m.ts));
    row.append(dismiss);
    body.append(row);
  }
  article.append(gutter, body);
  return article;
}

/** A legacy attachment: its colour bar and text (the bot sends none; people's tools might). */
function attachment(a, names) {
  const box = el('div', 'attachment');
  if (typeof a.color === 'string' && /^#?[0-9a-f]{3,8}$/i.test(a.color)) box.style.borderLeftColor = a.color.startsWith('#') ? a.color : `#${a.color}`;
  if (a.title) box.append(el('div', 'attachment-title', String(a.title)));
  const text = el('div', 'bk-text');
  text.append(renderMrkdwn(String(a.text ?? a.fallback ?? ''), names));
  box.append(text);
  if (Array.isArray(a.blocks)) box.append(renderBlocks(a.blocks, { names, press: () => {} }));
  return box;
}

/** Messages and this person's ephemeral messages in time order, with day dividers and grouping. */
export function timeline(entries, channel, opts, view) {
  entries.sort((a, b) => compareTs(a.m.ts, b.m.ts));
  const items = [];
  let lastDay = '';
  let previous = null;
  const { state } = view;
  const version = `${state.users.map((u) => u.id + u.name).join()}|${state.channels.map((c) => c.id + c.name).join()}`;
  for (const entry of entries) {
    const when = tsDate(entry.m.ts);
    const day = when.toISOString().slice(0, 10);
    if (day !== lastDay) {
      lastDay = day;
      items.push({ key: `day-${day}`, sig: day, build: () => dayDivider(when) });
      previous = null;
    }
    const compact =
      previous !== null &&
      !entry.ephemeral &&
      !previous.ephemeral &&
      previous.m.user === entry.m.user &&
      !(previous.m.reply_count > 0) &&
      // Each Block Kit message (an alert, a card, a reminder) keeps its own header: run
      // together, they read as one message.
      !(Array.isArray(entry.m.blocks) && entry.m.blocks.length > 0) &&
      !opts.noCompact &&
      tsDate(entry.m.ts).getTime() - tsDate(previous.m.ts).getTime() < 5 * 60_000;
    const o = { channel, ephemeral: entry.ephemeral, compact, inThread: opts.inThread, elsewhere: entry.elsewhere };
    items.push({
      key: `${entry.ephemeral ? 'e' : 'm'}-${entry.m.ts}`,
      sig: JSON.stringify([entry.m, compact, Boolean(entry.elsewhere), version]),
      build: () => messageArticle(entry.m, o, view),
    });
    previous = entry;
  }
  return items;
}

function dayDivider(date) {
  const div = el('div', 'day-divider');
  div.setAttribute('role', 'separator');
  div.append(el('span', undefined, dayLabel(date)));
  return div;
}

export function nearBottom(node) {
  return node.scrollHeight - node.scrollTop - node.clientHeight < 80;
}

/**
 * A message list stays at its newest message while the person has not scrolled up, whatever
 * changes its size (new messages, an edited card growing, the composer's hint line appearing).
 */
export function keepPinned(list) {
  list.dataset.pinned = 'true';
  list.addEventListener('scroll', () => {
    list.dataset.pinned = String(nearBottom(list));
  });
  new ResizeObserver(() => {
    if (list.dataset.pinned === 'true') list.scrollTop = list.scrollHeight;
  }).observe(list);
}

export function pin(list, force) {
  if (force) list.dataset.pinned = 'true';
  if (list.dataset.pinned === 'true') list.scrollTop = list.scrollHeight;
}
