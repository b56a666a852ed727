/* global document, window, location, localStorage, fetch, EventSource, URLSearchParams, clearTimeout */
/**
 * The sandbox page: a Slack-like client over the sandbox's HTTP contract.
 *
 *   GET  /sandbox/state?user=…   everything this person sees, as JSON
 *   GET  /sandbox/events         server-sent "change" events: the page re-reads the state (debounced)
 *                                (the PagerDuty stand-in's last events come with the state)
 *   POST /sandbox/command|press|submit|close-view|fire-alert|clock|scenario|message|home-opened
 *
 * The page keeps no copy of the workspace beyond the last state it read; what it remembers is
 * only where the person is looking (channel, tab, thread), which ephemeral messages they
 * dismissed and what they had already seen (for the unread marks).
 */
import { el, renderBlocks, textOf } from './block-kit.js';
import { keepPinned, messageArticle, pin, reconcile, timeline } from './messages.js';
import { confirmDialog, modalController } from './modal.js';
import { safeHref } from './mrkdwn.js';
import { hhmm, longTime, offsetLabel } from './time.js';

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const USER_KEY = 'atlas-sandbox-user';

const ui = {
  /** The signed-in person's Slack user id ('' until the first state names one). */
  user: new URLSearchParams(location.search).get('as') ?? safeStorage('get') ?? '',
  /** @type {string | null} */
  channelId: null,
  /** In the DM with the bot: 'home' or 'messages'. */
  tab: 'messages',
  /** @type {{ channel: string, ts: string } | null} */
  thread: null,
  /** Ephemeral messages dismissed, by ts: gone from this page for good, as in Slack (ts are unique across people). */
  dismissed: new Set(),
  /** channel id -> how many top-level messages the person has seen there. */
  seen: /** @type {Record<string, number>} */ ({}),
};

/** @type {any} */
let state = null;

function safeStorage(op, value) {
  try {
    if (op === 'get') return localStorage.getItem(USER_KEY);
    localStorage.setItem(USER_KEY, value);
  } catch {
    // Storage may be off (private windows); the person is then asked again next time.
  }
  return null;
}

// ------------------------------------------------------------------------------------------------
// Talking to the sandbox

async function api(path, body) {
  try {
    const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    let data;
    try {
      data = text ? JSON.parse(text) : {};
    } catch {
      data = { ok: false, error: `HTTP ${res.status}` };
    }
    if (!res.ok && data.ok === undefined) data = { ok: false, error: res.status === 404 ? 'not_found' : `HTTP ${res.status}` };
    if (!res.ok && data.ok !== false) data.ok = false;
    return data;
  } catch (err) {
    return { ok: false, error: `the sandbox did not answer (${err instanceof Error ? err.message : String(err)})` };
  }
}

let requested = 0;
let applied = 0;
let refreshTimer = 0;

/** Reads the state now; an answer older than one already shown is dropped. */
async function refresh() {
  const mine = ++requested;
  try {
    const res = await fetch(`/sandbox/state?user=${encodeURIComponent(ui.user)}`, { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const next = await res.json();
    if (mine < applied) return;
    applied = mine;
    state = next;
    render();
    if (!connectionProblem) setConnection(null);
  } catch (err) {
    setConnection(`Could not read the sandbox's state (${err instanceof Error ? err.message : String(err)}). Retrying…`);
    clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(refresh, 2000);
  }
}

/** Many events arrive together (a post, its edit, a view): one read for them all. */
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = window.setTimeout(refresh, 50);
}

let connectionProblem = false;
function setConnection(message) {
  const banner = $('connection');
  banner.hidden = !message;
  banner.textContent = message ?? '';
}

function connectEvents() {
  const source = new EventSource('/sandbox/events');
  source.addEventListener('change', scheduleRefresh);
  source.addEventListener('open', () => {
    connectionProblem = false;
    setConnection(null);
    scheduleRefresh();
  });
  source.addEventListener('error', () => {
    connectionProblem = true;
    setConnection('Lost the live connection to the sandbox. Reconnecting…');
    if (source.readyState === EventSource.CLOSED) window.setTimeout(connectEvents, 2000);
  });
}

// ------------------------------------------------------------------------------------------------
// Names, times, small helpers

const names = {
  userName(id) {
    if (!state) return undefined;
    if (id === state.bot?.userId) return state.bot.name;
    const u = state.users?.find((x) => x.id === id);
    return u ? u.name : undefined;
  },
  channelName(id) {
    return state?.channels?.find((c) => c.id === id)?.name;
  },
  groupName(id) {
    const g = state?.usergroups?.find((x) => x.id === id);
    return g ? g.handle : undefined;
  },
};

/** The workspace's name (the contract's string, or the server's {id, name}). */
function teamName() {
  const team = state?.team;
  return (typeof team === 'string' ? team : team?.name) || 'Slack';
}

function person(id) {
  if (state && id === state.bot?.userId) return { name: state.bot.name, realName: state.bot.name, isBot: true };
  const u = state?.users?.find((x) => x.id === id);
  return u ? { name: u.name, realName: u.realName || u.name, isBot: false } : { name: id, realName: id, isBot: false };
}

function toast(message, kind = 'info') {
  const box = $('toasts');
  const item = el('div', `toast ${kind}`, message);
  if (kind === 'error') item.setAttribute('role', 'alert');
  box.append(item);
  window.setTimeout(() => item.remove(), kind === 'error' ? 9000 : 4500);
}

function hint(node, message, kind = 'info') {
  node.textContent = message;
  node.className = `composer-hint ${kind}`;
  clearTimeout(Number(node.dataset.timer ?? 0));
  if (message && kind !== 'error') node.dataset.timer = String(window.setTimeout(() => (node.textContent = ''), 6000));
}

// ------------------------------------------------------------------------------------------------
// Acting: buttons, confirmations, modals, the composer

/**
 * A Block Kit button was pressed where `where` says: a message, an ephemeral message or a view.
 * @param {{ channel: string | null, container: object }} where
 */
async function press(element, block, control, where) {
  if (element.confirm && !(await confirmDialog(element.confirm, names))) return;
  const label = textOf(element.text);
  if (element.url) {
    const href = safeHref(String(element.url));
    if (href) window.open(href, '_blank', 'noopener,noreferrer');
  }
  control.setAttribute('aria-busy', 'true');
  control.classList.add('busy');
  const answer = await api('/sandbox/press', {
    user: ui.user,
    channel: where.channel,
    container: where.container,
    blockId: String(block.block_id ?? ''),
    actionId: String(element.action_id ?? ''),
    ...(element.value !== undefined ? { value: String(element.value) } : {}),
  });
  control.removeAttribute('aria-busy');
  control.classList.remove('busy');
  if (!answer.ok) toast(`${label || 'That'}: ${answer.error ?? 'it did not reach the bot.'}`, 'error');
  scheduleRefresh();
}

/** Sends what was typed: `/atlas …` as a slash command, anything else as a message. */
async function send(input, hintNode, threadTs) {
  const text = input.value.trim();
  if (!text || !ui.channelId) return;
  const channel = ui.channelId;
  const slash = /^\/(\S+)\s*([\s\S]*)$/.exec(text);
  if (slash) {
    if (slash[1] !== 'atlas') {
      hint(hintNode, `/${slash[1]} is not a command in this workspace: try /atlas help.`, 'error');
      return;
    }
    input.value = '';
    autoGrow(input);
    hint(hintNode, `Sent /atlas ${slash[2]}`.trim());
    // The answer arrives at the bottom of the channel, as after sending anything in Slack.
    pin($('messages'), true);
    const answer = await api('/sandbox/command', { user: ui.user, channel, text: slash[2].trim() });
    if (!answer.ok) {
      if (!input.value) input.value = text;
      hint(hintNode, `/atlas ${slash[2]}`.trim() + `: ${answer.error ?? 'it did not reach the bot.'}`, 'error');
    }
    scheduleRefresh();
    return;
  }
  const answer = await api('/sandbox/message', { user: ui.user, channel, text, ...(threadTs ? { thread_ts: threadTs } : {}) });
  if (answer.ok) {
    input.value = '';
    autoGrow(input);
    hint(hintNode, '');
    pin($(threadTs ? 'thread-messages' : 'messages'), true);
  } else if (answer.error === 'not_found') {
    hint(hintNode, 'This sandbox takes /atlas commands only: plain messages are not posted. Try /atlas help.', 'error');
  } else {
    hint(hintNode, `Not sent: ${answer.error ?? 'the sandbox did not take it.'}`, 'error');
  }
  scheduleRefresh();
}

function autoGrow(input) {
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
}

function wireComposer(formId, inputId, hintId, threadTs) {
  const form = $(formId);
  const input = /** @type {HTMLTextAreaElement} */ ($(inputId));
  const hintNode = $(hintId);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void send(input, hintNode, threadTs());
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      void send(input, hintNode, threadTs());
    }
  });
  input.addEventListener('input', () => autoGrow(input));
}

// ------------------------------------------------------------------------------------------------
// Drawing

function renderChannelMessages(channel) {
  const list = $('messages');
  const switched = list.dataset.channel !== channel.id;
  const openThreadTs = ui.thread && ui.thread.channel === channel.id ? ui.thread.ts : null;
  const entries = [
    ...(state.messages[channel.id] ?? []).map((m) => ({ m, ephemeral: false })),
    ...(state.ephemerals[channel.id] ?? [])
      .filter((e) => !ui.dismissed.has(e.ts) && (!e.thread_ts || e.thread_ts !== openThreadTs))
      .map((m) => ({ m, ephemeral: true, elsewhere: Boolean(m.thread_ts) })),
  ];
  const items = timeline(entries, channel.id, {}, messageView);
  if (items.length === 0) {
    items.push({
      key: 'empty',
      sig: channel.id,
      build: () => el('p', 'empty', channel.kind === 'im' ? 'No messages with atlas yet. Type /atlas help below.' : `This is the very beginning of #${channel.name}. Try /atlas health, or fire an alert.`),
    });
  }
  reconcile(list, items);
  pin(list, switched);
  list.dataset.channel = channel.id;
}

function renderThread() {
  const pane = $('thread');
  const t = ui.thread;
  const channel = t ? state.channels.find((c) => c.id === t.channel) : null;
  const parent = t && channel ? (state.messages[t.channel] ?? []).find((m) => m.ts === t.ts) : null;
  if (!t || !channel || !parent) {
    ui.thread = null;
    pane.hidden = true;
    document.body.classList.remove('thread-open');
    return;
  }
  pane.hidden = false;
  document.body.classList.add('thread-open');
  $('thread-channel').textContent = channel.kind === 'im' ? channel.name : `#${channel.name}`;
  const list = $('thread-messages');
  const switched = list.dataset.thread !== `${t.channel}:${t.ts}`;
  const replies = state.replies[`${t.channel}:${t.ts}`] ?? [];
  const ephemerals = (state.ephemerals[t.channel] ?? []).filter((e) => e.thread_ts === t.ts && !ui.dismissed.has(e.ts));
  const items = timeline(
    [...replies.map((m) => ({ m, ephemeral: false })), ...ephemerals.map((m) => ({ m, ephemeral: true }))],
    t.channel,
    { inThread: true },
    messageView,
  );
  const version = JSON.stringify(parent);
  const count = replies.length;
  reconcile(list, [
    { key: 'parent', sig: version, build: () => messageArticle(parent, { channel: t.channel, inThread: true }, messageView) },
    {
      key: 'count',
      sig: String(count),
      build: () => {
        const d = el('div', 'reply-count');
        d.setAttribute('role', 'separator');
        d.append(el('span', undefined, `${count} ${count === 1 ? 'reply' : 'replies'}`));
        return d;
      },
    },
    ...items.filter((i) => !i.key.startsWith('day-')),
  ]);
  pin(list, switched);
  list.dataset.thread = `${t.channel}:${t.ts}`;
}

function openThread(channel, ts) {
  ui.thread = { channel, ts };
  render();
  /** @type {HTMLTextAreaElement} */ ($('reply-input')).focus({ preventScroll: true });
}

/** What messages.js needs to draw and act on messages. @type {import('./messages.js').MessageView} */
const messageView = {
  get state() {
    return state;
  },
  names,
  person,
  press,
  openThread,
  dismiss(ts) {
    ui.dismissed.add(ts);
    render();
  },
};

const modal = modalController({ names, api, user: () => ui.user, press, changed: scheduleRefresh, toast });

/** Whose Home tab the bot was last told is open ('' while none is shown). */
let announcedHome = '';

/**
 * Slack sends the app app_home_opened each time someone opens its Home tab; the bot publishes
 * the tab in answer. Told once per opening: again only after the tab was left, or for someone else.
 * @param {boolean} onHome
 */
function announceHome(onHome) {
  const who = onHome ? ui.user : '';
  if (who === announcedHome) return;
  announcedHome = who;
  if (!who) return;
  void api('/sandbox/home-opened', { user: who }).then((answer) => {
    if (!answer.ok) toast(`The Home tab: ${answer.error ?? 'the bot did not answer.'}`, 'error');
  });
}

let shownHome = '';
function renderHome() {
  const pane = $('home-pane');
  const home = state.home;
  const sig = home ? `${home.id}:${home.hash}` : 'none';
  if (sig === shownHome) return;
  shownHome = sig;
  if (!home) {
    const empty = el('div', 'home-empty');
    empty.append(el('p', 'home-empty-title', 'No Home tab yet'), el('p', undefined, 'atlas has been told you opened it and has not published it yet. Its messages are in the Messages tab.'));
    pane.replaceChildren(empty);
    return;
  }
  pane.replaceChildren(renderBlocks(home.blocks ?? [], { names, press: (element, block, control) => press(element, block, control, { channel: null, container: { type: 'view', viewId: home.id } }) }));
}

function sidebarItem(channel, unread) {
  const li = el('li');
  const b = el('button', 'channel-link');
  b.type = 'button';
  if (channel.id === ui.channelId) b.setAttribute('aria-current', 'page');
  if (channel.member === false) {
    b.classList.add('outsider');
    b.title = 'You are not a member of this channel';
  }
  const sigil = el('span', 'sigil', channel.kind === 'im' ? '◆' : '#');
  sigil.setAttribute('aria-hidden', 'true');
  b.append(sigil, document.createTextNode(channel.name));
  if (unread > 0) {
    b.classList.add('unread');
    const badge = el('span', 'badge', String(unread));
    badge.setAttribute('aria-hidden', 'true');
    b.append(badge);
    b.title = `${unread} new`;
  }
  b.addEventListener('click', () => selectChannel(channel.id));
  li.append(b);
  return li;
}

function selectChannel(id) {
  if (ui.channelId !== id) {
    ui.channelId = id;
    ui.thread = null;
    ui.tab = 'messages';
    hint($('composer-hint'), '');
  }
  document.body.classList.remove('sidebar-open');
  $('menu-button').setAttribute('aria-expanded', 'false');
  $('scrim').hidden = true;
  render();
  /** @type {HTMLTextAreaElement} */ ($('message-input')).focus({ preventScroll: true });
}

function renderSidebar() {
  $('team').textContent = teamName();
  const chans = state.channels.filter((c) => c.kind !== 'im');
  const ims = state.channels.filter((c) => c.kind === 'im');
  const unread = (c) => (c.id === ui.channelId ? 0 : Math.max(0, (state.messages[c.id]?.length ?? 0) - (ui.seen[c.id] ?? 0)));
  const sig = JSON.stringify([state.channels, ui.channelId, state.channels.map(unread)]);
  const list = $('channel-list');
  if (list.dataset.sig === sig) return;
  list.dataset.sig = sig;
  list.replaceChildren(...chans.map((c) => sidebarItem(c, unread(c))));
  $('app-list').replaceChildren(...ims.map((c) => sidebarItem(c, unread(c))));
}

function renderSandboxBar() {
  const now = new Date(state.clock?.now ?? state.now);
  const clock = $('clock');
  clock.replaceChildren(
    el('span', 'clock-label', 'Sandbox time '),
    el('strong', 'clock-time', `${hhmm(now)} UTC`),
    el('span', 'clock-day', ` · ${now.toLocaleDateString('en-GB', { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' })}`),
    el('span', 'clock-offset', ` · ${offsetLabel(state.clock?.offsetMs ?? 0)}`),
  );
  clock.title = longTime(now);
  const shift = /** @type {HTMLButtonElement} */ ($('shift-button'));
  const next = state.clock?.nextShiftChange;
  shift.disabled = !next;
  shift.title = next ? `To ${longTime(new Date(next))}` : 'No rotation is configured: there is no shift change to go to.';

  const select = /** @type {HTMLSelectElement} */ ($('user-select'));
  const sig = JSON.stringify(state.users);
  if (select.dataset.sig !== sig) {
    select.dataset.sig = sig;
    select.replaceChildren(
      ...state.users.map((u) => {
        const o = el('option', undefined, u.title ? `${u.realName} · ${u.title}` : u.realName);
        o.value = u.id;
        return o;
      }),
    );
  }
  select.value = ui.user;

  const menu = $('fire-menu');
  const presetSig = JSON.stringify(state.alertPresets ?? []);
  if (menu.dataset.sig !== presetSig) {
    menu.dataset.sig = presetSig;
    menu.replaceChildren(
      ...(state.alertPresets ?? []).map((p) => {
        const b = el('button', 'preset', p.label);
        b.type = 'button';
        b.addEventListener('click', () => void fireAlert(p));
        return b;
      }),
    );
  }

  const scenarios = $('scenario-menu');
  const scenarioSig = JSON.stringify(state.scenarios ?? []);
  if (scenarios.dataset.sig !== scenarioSig) {
    scenarios.dataset.sig = scenarioSig;
    scenarios.replaceChildren(
      ...(state.scenarios ?? []).map((sc) => {
        const b = el('button', 'preset', sc.label);
        b.type = 'button';
        b.dataset.scenario = sc.id;
        b.append(el('span', 'preset-description', sc.description));
        b.addEventListener('click', () => void startScenario(sc));
        return b;
      }),
    );
  }
  const running = state.scenario;
  $('scenario-status').textContent = running ? `Service: ${running.label} · since ${hhmm(new Date(running.startedAt))} UTC` : 'Service: the demo’s story';
}

/** The last events the PagerDuty stand-in took: the newest in the bar, the last few under it. */
function renderPagerDuty() {
  const events = Array.isArray(state.pagerduty) ? state.pagerduty : [];
  const list = $('pagerduty-events');
  const sig = JSON.stringify(events);
  if (list.dataset.sig === sig) return;
  list.dataset.sig = sig;
  const newest = events[0];
  $('pagerduty-summary').textContent = newest ? `PagerDuty: ${newest.action} · ${hhmm(new Date(newest.at))}` : 'PagerDuty: no events';
  if (events.length === 0) {
    list.replaceChildren(el('li', 'pagerduty-empty', 'None yet: fire an alert, and the bot pages.'));
    return;
  }
  list.replaceChildren(
    ...events.map((e) => {
      const at = new Date(e.at);
      const item = el('li', 'pagerduty-event');
      item.append(el('strong', 'pagerduty-action', e.action), ' ', el('code', 'pagerduty-key', e.dedupKey));
      if (e.summary) item.append(' ', el('span', 'pagerduty-what', e.summary));
      item.append(el('span', 'pagerduty-time', ` · ${hhmm(at)} UTC`));
      item.title = longTime(at);
      return item;
    }),
  );
}

function render() {
  if (!state) return;
  if (state.user && state.user !== ui.user) {
    ui.user = state.user;
    safeStorage('set', ui.user);
  }
  if (!ui.channelId || !state.channels.some((c) => c.id === ui.channelId)) {
    // Someone else signed in while the Home tab was shown: their own DM with the bot, on its Home tab.
    const home = ui.tab === 'home' ? state.channels.find((c) => c.kind === 'im') : undefined;
    ui.channelId = (home ?? state.channels.find((c) => c.kind === 'channel') ?? state.channels[0])?.id ?? null;
  }
  // First sight of a channel: everything in it counts as seen.
  for (const c of state.channels) if (ui.seen[c.id] === undefined) ui.seen[c.id] = state.messages[c.id]?.length ?? 0;
  if (ui.channelId) ui.seen[ui.channelId] = state.messages[ui.channelId]?.length ?? 0;

  renderSandboxBar();
  renderPagerDuty();
  renderSidebar();
  const channel = state.channels.find((c) => c.id === ui.channelId);
  if (channel) {
    const isIm = channel.kind === 'im';
    $('channel-title').textContent = isIm ? channel.name : `# ${channel.name}`;
    document.title = `${isIm ? channel.name : `#${channel.name}`} · ${teamName()} sandbox`;
    const tabs = $('tabs');
    tabs.hidden = !isIm;
    const onHome = isIm && ui.tab === 'home';
    $('tab-home').setAttribute('aria-selected', String(onHome));
    $('tab-messages').setAttribute('aria-selected', String(!onHome));
    $('home-pane').hidden = !onHome;
    $('messages').hidden = onHome;
    // Slack lets you read a channel you are not in, but not type in it.
    const member = channel.member !== false;
    $('composer').hidden = onHome || !member;
    const notMember = $('not-member');
    notMember.hidden = onHome || member;
    notMember.textContent = member ? '' : `You are not a member of #${channel.name}: you can read it, but not post or run /atlas here.`;
    announceHome(onHome);
    if (onHome) renderHome();
    else renderChannelMessages(channel);
    /** @type {HTMLTextAreaElement} */ ($('message-input')).placeholder = isIm ? 'Message atlas · /atlas help' : `Message #${channel.name} · /atlas help`;
  }
  renderThread();
  modal.render(state.modal);
}

// ------------------------------------------------------------------------------------------------
// The sandbox's own controls

async function fireAlert(preset) {
  toggleMenu('fire', false);
  const answer = await api('/sandbox/fire-alert', { preset: preset.id });
  if (!answer.ok) {
    toast(`The alert was not taken: ${answer.error ?? 'the webhook refused it.'}`, 'error');
    return;
  }
  const results = Array.isArray(answer.answer?.results) ? answer.answer.results : [];
  toast(results.length > 0 ? `Alert sent: ${results.map((r) => `${r.name} (${r.action})`).join(', ')}` : `Alert sent: ${preset.label}`);
  scheduleRefresh();
}

async function startScenario(scenario) {
  toggleMenu('scenario', false);
  const answer = await api('/sandbox/scenario', { scenario: scenario.id });
  if (!answer.ok) {
    toast(`The scenario did not start: ${answer.error ?? 'the sandbox refused.'}`, 'error');
    return;
  }
  await refresh();
  toast(`Started: ${scenario.label}. Move the clock to watch it.`);
}

/** @param {'fire' | 'scenario'} name @param {boolean} [open] */
function toggleMenu(name, open) {
  const menu = $(`${name}-menu`);
  const button = $(`${name}-button`);
  const show = open ?? menu.hidden;
  menu.hidden = !show;
  button.setAttribute('aria-expanded', String(show));
  if (show) /** @type {HTMLElement | null} */ (menu.querySelector('button'))?.focus();
}

async function advanceClock(button) {
  const buttons = [...document.querySelectorAll('[data-advance]')];
  for (const b of buttons) b.setAttribute('aria-disabled', 'true');
  const answer = await api('/sandbox/clock', { advance: button.dataset.advance });
  for (const b of buttons) b.removeAttribute('aria-disabled');
  if (!answer.ok) {
    toast(`The clock did not move: ${answer.error ?? 'the sandbox refused.'}`, 'error');
    return;
  }
  // The bot counts a Home as open for 30 min after it was opened, by its clock: a jump of hours
  // would leave the Home on screen unrefreshed, so the page opens it again, as a person would.
  if (announcedHome) {
    announcedHome = '';
    announceHome(true);
  }
  await refresh();
  const now = new Date(answer.now ?? state?.clock?.now ?? '');
  if (!Number.isNaN(now.getTime())) toast(`Sandbox time is now ${hhmm(now)} UTC`);
}

function wire() {
  keepPinned($('messages'));
  keepPinned($('thread-messages'));
  wireComposer('composer', 'message-input', 'composer-hint', () => null);
  wireComposer('thread-composer', 'reply-input', 'thread-hint', () => ui.thread?.ts ?? null);
  $('thread-close').addEventListener('click', () => {
    ui.thread = null;
    render();
  });
  for (const b of document.querySelectorAll('[data-advance]')) {
    b.addEventListener('click', () => {
      if (b.getAttribute('aria-disabled') !== 'true') void advanceClock(/** @type {HTMLElement} */ (b));
    });
  }
  $('fire-button').addEventListener('click', () => toggleMenu('fire'));
  $('scenario-button').addEventListener('click', () => toggleMenu('scenario'));
  document.addEventListener('click', (event) => {
    const target = /** @type {Node} */ (event.target);
    for (const name of /** @type {const} */ (['fire', 'scenario'])) {
      if (!$(`${name}-menu`).hidden && !$(`${name}-menu`).contains(target) && !$(`${name}-button`).contains(target)) toggleMenu(name, false);
    }
  });
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    for (const name of /** @type {const} */ (['fire', 'scenario'])) {
      if (!$(`${name}-menu`).hidden) {
        toggleMenu(name, false);
        $(`${name}-button`).focus();
      }
    }
  });
  $('user-select').addEventListener('change', (event) => {
    ui.user = /** @type {HTMLSelectElement} */ (event.target).value;
    safeStorage('set', ui.user);
    modal.reset();
    shownHome = '';
    void refresh();
  });
  $('tab-home').addEventListener('click', () => {
    ui.tab = 'home';
    render();
  });
  $('tab-messages').addEventListener('click', () => {
    ui.tab = 'messages';
    render();
  });
  $('menu-button').addEventListener('click', () => {
    const open = !document.body.classList.contains('sidebar-open');
    document.body.classList.toggle('sidebar-open', open);
    $('menu-button').setAttribute('aria-expanded', String(open));
    $('scrim').hidden = !open;
  });
  $('scrim').addEventListener('click', () => {
    document.body.classList.remove('sidebar-open');
    $('menu-button').setAttribute('aria-expanded', 'false');
    $('scrim').hidden = true;
  });
}

wire();
connectEvents();
void refresh();
// The sandbox clock may run between events: keep the time shown fresh.
window.setInterval(scheduleRefresh, 30_000);
