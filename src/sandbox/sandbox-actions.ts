/**
 * What a person does on the sandbox page, done as Slack would do it for them: a slash command
 * is a signed form POST to the bot's /slack/events with a response_url and trigger_id the
 * stand-in issued; a button is a signed block_actions payload; a modal's submit button is a
 * signed view_submission, whose acknowledgement closes, updates or keeps the modal with the
 * bot's field errors. Opening the App Home tab is a signed app_home_opened event. The bot is
 * reached over HTTP only, as Slack reaches it.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  appHomeOpenedEvent,
  blockActionsPayload,
  eventCallbackPayload,
  slackSignatureHeaders,
  slashCommandForm,
  viewSubmissionPayload,
  type PressSource,
  type PressedElement,
} from './interaction-payloads.js';
import { SlackRefusal } from './slack-refusal.js';
import type { SlackStandIn } from './slack-stand-in.js';
import type { StoredView } from './stored-objects.js';
import { checkView } from './view-check.js';
import type { Channel } from './workspace-directory.js';

/** Slack gives up on an app after 3 s and tells the person so. */
const SLACK_ACK_TIMEOUT_MS = 3_000;

export interface BotEndpoint {
  /** http://127.0.0.1:PORT/slack/events */
  eventsUrl: string;
  signingSecret: string;
  /** How long Slack waits for the acknowledgement (3 s). */
  ackTimeoutMs?: number;
}

/** What the page is told: done, or one sentence of what went wrong (and modal field errors). */
export type ActionResult = { ok: true } | { ok: false; error: string; errors?: Record<string, string> };

const userId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'a user id');
const channelId = z.string().regex(/^[CDG][A-Z0-9]{2,}$/, 'a channel id');

const ts = z.string().regex(/^\d+\.\d{6}$/, 'a Slack ts');

/** `/atlas <text>` typed in a channel (text may be empty: `/atlas` alone). */
export const commandInput = z.object({
  user: userId,
  channel: channelId,
  text: z.string().max(4000).transform((t) => t.trim()),
});

/** Something a person says, in a channel or (with thread_ts) in a thread. */
export const messageInput = z.object({
  user: userId,
  channel: channelId,
  text: z.string().trim().min(1, 'type a message').max(4000),
  thread_ts: ts.optional(),
});

export const pressInput = z.object({
  user: userId,
  container: z.discriminatedUnion('type', [
    z.object({ type: z.enum(['message', 'ephemeral']), ts }),
    z.object({ type: z.literal('view'), viewId: z.string().min(1) }),
  ]),
  /** Where the message is; null for a view. */
  channel: channelId.nullish(),
  blockId: z.string().min(1).max(255),
  actionId: z.string().min(1).max(255),
  /** For a select in a message: the value of the option chosen (a button's value is read from the message). */
  value: z.string().max(2000).optional(),
});

/** Input values as the page sends them: Slack's state.values shape, or plain strings by block and action. */
export const submitInput = z.object({
  user: userId,
  viewId: z.string().min(1),
  values: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
});

export const closeViewInput = z.object({ user: userId, viewId: z.string().min(1) });

/** Someone opened the App Home tab in their DM with the bot. */
export const homeOpenedInput = z.object({ user: userId });

type Block = Record<string, unknown> & { type?: string; block_id?: string; element?: Record<string, unknown>; elements?: unknown[]; accessory?: Record<string, unknown>; optional?: boolean; label?: unknown };

/** The interactive element `actionId` in block `blockId`, wherever Block Kit may put one. */
function findElement(blocks: unknown, blockId: string, actionId: string): Record<string, unknown> | undefined {
  if (!Array.isArray(blocks)) return undefined;
  for (const block of blocks as Block[]) {
    if (block.block_id !== blockId) continue;
    const candidates = [block.accessory, block.element, ...(Array.isArray(block.elements) ? block.elements : [])];
    const found = candidates.find((e): e is Record<string, unknown> => typeof e === 'object' && e !== null && (e as { action_id?: unknown }).action_id === actionId);
    if (found) return found;
  }
  return undefined;
}

function optionsOf(element: Record<string, unknown>): Record<string, unknown>[] {
  const direct = Array.isArray(element.options) ? element.options : [];
  const grouped = Array.isArray(element.option_groups) ? element.option_groups.flatMap((g) => ((g as { options?: unknown[] }).options ?? [])) : [];
  return [...direct, ...grouped] as Record<string, unknown>[];
}

/**
 * The view's state.values from what the page sent, checked against the view's own inputs as
 * Slack's client checks them: a required input left empty is refused before the app hears of it.
 */
export function viewStateValues(view: StoredView['view'], sent: Record<string, Record<string, unknown>>): { values: Record<string, Record<string, unknown>>; missing: Record<string, string> } {
  const values: Record<string, Record<string, unknown>> = {};
  const missing: Record<string, string> = {};
  for (const block of (Array.isArray(view.blocks) ? view.blocks : []) as Block[]) {
    if (block.type !== 'input' || !block.block_id || !block.element) continue;
    const element = block.element;
    const actionId = String(element.action_id ?? '');
    const raw = sent[block.block_id]?.[actionId];
    const given = typeof raw === 'object' && raw !== null ? raw : { value: raw };
    let state: Record<string, unknown>;
    let empty: boolean;
    if (element.type === 'static_select') {
      const picked = (given as { selected_option?: { value?: unknown } | null; value?: unknown }).selected_option?.value ?? (given as { value?: unknown }).value;
      const option = optionsOf(element).find((o) => o.value === picked) ?? null;
      state = { type: 'static_select', selected_option: option };
      empty = option === null;
    } else {
      const text = (given as { value?: unknown }).value;
      const value = typeof text === 'string' && text !== '' ? text : null;
      state = { type: String(element.type ?? 'plain_text_input'), value };
      empty = value === null || value.trim() === '';
    }
    values[block.block_id] = { [actionId]: state };
    if (empty && block.optional !== true) missing[block.block_id] = 'Please fill out this field.';
  }
  return { values, missing };
}

const viewAnswer = z
  .object({
    response_action: z.enum(['errors', 'update', 'push', 'clear']).optional(),
    errors: z.record(z.string(), z.string()).optional(),
    view: z.unknown().optional(),
  })
  .loose();

const commandAnswer = z
  .object({
    text: z.string().optional(),
    blocks: z.array(z.unknown()).optional(),
    response_type: z.enum(['ephemeral', 'in_channel']).optional(),
  })
  .loose();

export interface SandboxActions {
  message(input: z.infer<typeof messageInput>): ActionResult;
  command(input: z.infer<typeof commandInput>): Promise<ActionResult>;
  press(input: z.infer<typeof pressInput>): Promise<ActionResult>;
  submit(input: z.infer<typeof submitInput>): Promise<ActionResult>;
  closeView(input: z.infer<typeof closeViewInput>): ActionResult;
  homeOpened(input: z.infer<typeof homeOpenedInput>): Promise<ActionResult>;
}

export function sandboxActions(slack: SlackStandIn, bot: BotEndpoint): SandboxActions {
  const ws = slack.workspace;
  const person = (id: string) => {
    const user = ws.directory.users.get(id);
    if (!user || user.isBot) return undefined;
    return { id: user.id, name: user.name };
  };
  const place = (channel: Channel) => ({ id: channel.id, name: channel.isIm ? 'directmessage' : channel.name });

  /** Signs with the real time: the bot checks the timestamp against its own wall clock, not the sandbox's. */
  async function send(body: string, contentType = 'application/x-www-form-urlencoded'): Promise<{ status: number; text: string } | { error: string }> {
    const headers = { 'content-type': contentType, ...slackSignatureHeaders(bot.signingSecret, body, Math.floor(Date.now() / 1000)) };
    try {
      const res = await fetch(bot.eventsUrl, { method: 'POST', headers, body, signal: AbortSignal.timeout(bot.ackTimeoutMs ?? SLACK_ACK_TIMEOUT_MS) });
      return { status: res.status, text: await res.text() };
    } catch (err) {
      return { error: err instanceof Error && err.name === 'TimeoutError' ? 'operation_timeout' : 'dispatch_failed' };
    }
  }

  const sendPayload = (payload: Record<string, unknown>) => send(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());

  /** The app did not acknowledge: what Slack shows in the place of an answer. */
  const failed = (what: string, answer: { status: number } | { error: string }): ActionResult => ({
    ok: false,
    error: `${what} failed with the error "${'error' in answer ? answer.error : `http_${answer.status}`}"`,
  });

  const json = (text: string): unknown => {
    if (text.trim() === '') return {};
    try {
      return JSON.parse(text);
    } catch {
      return {};
    }
  };

  /** A view sent back in the acknowledgement, judged as views.update / views.push judge it. */
  function showView(how: 'update' | 'push', user: string, viewId: string, view: unknown): ActionResult {
    try {
      checkView(view, ['modal']);
      if (how === 'update') ws.views.update({ viewId }, view);
      else ws.views.push(ws.views.exchange(ws.views.mintTrigger(user, viewId)), view);
      return { ok: true };
    } catch (err) {
      if (!(err instanceof SlackRefusal)) throw err;
      return { ok: false, error: `The bot answered with a form Slack would refuse (${err.message}).` };
    }
  }

  return {
    message(input) {
      const user = person(input.user);
      const channel = ws.directory.channels.get(input.channel);
      if (!user) return { ok: false, error: `No person ${input.user} in this workspace; pick one under "Signed in as".` };
      if (!channel || !channel.members.has(user.id)) return { ok: false, error: 'You are not in that channel; pick another one on the left.' };
      try {
        ws.postAsUser({ channel: channel.id, user: user.id, text: input.text, ...(input.thread_ts ? { threadTs: input.thread_ts } : {}) });
      } catch (err) {
        if (!(err instanceof SlackRefusal)) throw err;
        return { ok: false, error: `Slack would not post that (${err.code}).` };
      }
      return { ok: true };
    },

    async command(input) {
      const user = person(input.user);
      const channel = ws.directory.channels.get(input.channel);
      if (!user) return { ok: false, error: `No person ${input.user} in this workspace; pick one under "Signed in as".` };
      if (!channel || !channel.members.has(user.id)) return { ok: false, error: 'You are not in that channel; pick another one on the left.' };
      const responseUrl = slack.mintResponseUrl({ channel: channel.id, user: user.id });
      const triggerId = slack.mintTriggerId(user.id);
      // /atlas escapes mentions (manifest should_escape): Slack sends a typed @alice as <@U…|alice>.
      const text = ws.directory.escapeMentions(input.text);
      const answer = await send(slashCommandForm({ bot: ws.bot, user, channel: place(channel), command: '/atlas', text, responseUrl, triggerId }));
      if ('error' in answer || answer.status !== 200) {
        const result = failed('/atlas', answer);
        if (!result.ok) ws.chat.postEphemeral({ channel: channel.id, user: user.id, text: result.error });
        return result;
      }
      // As Slack does: a message in the acknowledgement is shown at once, and is the original the response_url may replace.
      const acked = commandAnswer.safeParse(json(answer.text));
      if (acked.success && (acked.data.text || acked.data.blocks)) {
        const content = { text: acked.data.text ?? '', ...(acked.data.blocks ? { blocks: acked.data.blocks } : {}) };
        const hook = ws.responseHooks.get(responseUrl.split('/').pop() ?? '');
        if (acked.data.response_type === 'in_channel') {
          const shown = ws.chat.post({ channel: channel.id, user: ws.bot.userId, bot: { botId: ws.bot.botId, appId: ws.bot.appId }, ...content });
          if (hook) hook.original = { ts: shown.ts };
        } else {
          const shown = ws.chat.postEphemeral({ channel: channel.id, user: user.id, ...content });
          if (hook) hook.original = { ts: shown.ts, ephemeral: true };
        }
      }
      return { ok: true };
    },

    async press(input) {
      const user = person(input.user);
      if (!user) return { ok: false, error: `No person ${input.user} in this workspace.` };
      let source: PressSource;
      let blocks: unknown;
      let viewId: string | undefined;
      const c = input.container;
      if (c.type !== 'view') {
        const channel = input.channel ? ws.directory.channels.get(input.channel) : undefined;
        if (!channel) return { ok: false, error: 'Say which channel the message is in.' };
        const ephemeral = c.type === 'ephemeral';
        const message = ephemeral ? ws.chat.ephemerals({ channel: channel.id, user: user.id }).find((e) => e.ts === c.ts) : ws.chat.find(channel.id, c.ts);
        if (!message) return { ok: false, error: 'That message is gone; it was deleted or replaced.' };
        blocks = message.blocks;
        const responseUrl = slack.mintResponseUrl({ channel: channel.id, user: user.id, original: { ts: message.ts, ephemeral } });
        const stored = ephemeral ? { ts: message.ts, ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}) } : ws.chat.find(channel.id, c.ts)!;
        source = { type: 'message', channel: place(channel), message: stored, ephemeral, responseUrl };
      } else {
        const view = ws.views.view(c.viewId);
        if (!view || view.user !== user.id) return { ok: false, error: 'That view is closed.' };
        blocks = view.view.blocks;
        viewId = view.view.id;
        source = { type: 'view', view: view.view };
      }
      const element = findElement(blocks, input.blockId, input.actionId);
      if (!element) return { ok: false, error: 'That button is no longer there.' };
      const pressed: PressedElement = { blockId: input.blockId, element };
      if (element.type !== 'button' && input.value !== undefined) {
        const option = optionsOf(element).find((o) => o.value === input.value);
        if (!option) return { ok: false, error: 'That option is not offered.' };
        pressed.selectedOption = option;
      }
      const actionTs = (ws.clock().getTime() / 1000).toFixed(6);
      const payload = blockActionsPayload({ bot: ws.bot, user, triggerId: slack.mintTriggerId(user.id, viewId), source, pressed, actionTs });
      const answer = await sendPayload(payload);
      return 'error' in answer || answer.status !== 200 ? failed('The button', answer) : { ok: true };
    },

    async submit(input) {
      const user = person(input.user);
      const stored = ws.views.view(input.viewId);
      if (!user || !stored || stored.user !== user.id || stored.view.type !== 'modal') return { ok: false, error: 'That form is closed; open it again.' };
      const { values, missing } = viewStateValues(stored.view, input.values as Record<string, Record<string, unknown>>);
      if (Object.keys(missing).length > 0) return { ok: false, error: 'Some fields need a value.', errors: missing };
      const payload = viewSubmissionPayload({ bot: ws.bot, user, triggerId: slack.mintTriggerId(user.id, stored.view.id), view: stored.view, values });
      const answer = await sendPayload(payload);
      if ('error' in answer || answer.status !== 200) return failed('The form', answer);
      const ack = viewAnswer.safeParse(json(answer.text));
      const action = ack.success ? ack.data : {};
      switch (action.response_action) {
        case 'errors':
          return { ok: false, error: 'The bot did not take the form; see the fields.', errors: action.errors ?? {} };
        case 'update':
        case 'push':
          return showView(action.response_action, user.id, stored.view.id, action.view);
        case 'clear':
          ws.views.close(stored.view.root_view_id ?? stored.view.id);
          return { ok: true };
        default:
          ws.views.close(stored.view.id);
          return { ok: true };
      }
    },

    closeView(input) {
      const stored = ws.views.view(input.viewId);
      if (!stored || stored.user !== input.user) return { ok: false, error: 'That form is already closed.' };
      ws.views.close(stored.view.id);
      return { ok: true };
    },

    async homeOpened(input) {
      const user = person(input.user);
      if (!user) return { ok: false, error: `No person ${input.user} in this workspace; pick one under "Signed in as".` };
      const dm = ws.directory.openConversation([user.id]).channel;
      const home = ws.views.list(user.id).find((v) => v.view.type === 'home')?.view;
      const now = ws.clock();
      const event = appHomeOpenedEvent({ user: user.id, channel: dm.id, tab: 'home', eventTs: (now.getTime() / 1000).toFixed(6), ...(home ? { view: home } : {}) });
      // Event ids look like Ev0123ABCD: upper-case letters and digits.
      const eventId = `Ev${randomBytes(6).toString('hex').toUpperCase()}`;
      const payload = eventCallbackPayload({ bot: ws.bot, event, eventId, eventTime: Math.floor(now.getTime() / 1000) });
      const answer = await send(JSON.stringify(payload), 'application/json');
      // Slack does not tell the person when an app fails an event; the page does, as a sandbox should.
      return 'error' in answer || answer.status !== 200 ? failed('Opening the Home tab', answer) : { ok: true };
    },
  };
}
