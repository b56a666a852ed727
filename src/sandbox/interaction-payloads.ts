/**
 * What Slack sends an app when a person acts: the slash-command form, block_actions and
 * view_submission payloads (https://api.slack.com/interactivity/slash-commands,
 * https://api.slack.com/reference/interaction-payloads/block-actions,
 * https://api.slack.com/reference/interaction-payloads/views), the Events API request for an
 * event such as app_home_opened (https://api.slack.com/apis/events-api#callback-field,
 * https://api.slack.com/events/app_home_opened), and the v0 signature on them
 * (https://api.slack.com/authentication/verifying-requests-from-slack).
 */
import { createHmac } from 'node:crypto';
import type { StoredMessage, StoredView } from './stored-objects.js';
import type { BotIdentity } from './workspace-directory.js';

/** Slack's v0 request signature headers, for a request sent at `epochSeconds`. */
export function slackSignatureHeaders(secret: string, rawBody: string, epochSeconds: number): Record<string, string> {
  const digest = createHmac('sha256', secret).update(`v0:${epochSeconds}:${rawBody}`).digest('hex');
  return { 'x-slack-request-timestamp': String(epochSeconds), 'x-slack-signature': `v0=${digest}` };
}

export interface Person {
  id: string;
  name: string;
}

export interface Place {
  id: string;
  name: string;
}

interface Common {
  bot: BotIdentity;
  user: Person;
  triggerId: string;
}

const team = (bot: BotIdentity) => ({ id: bot.teamId, domain: bot.team.toLowerCase().replace(/[^a-z0-9]+/g, '-') });

/** The deprecated verification token every payload still carries; apps check the signature instead. */
const VERIFICATION_TOKEN = 'sandbox-verification-token';

/** The fields every interaction payload starts with. */
function envelope(type: 'block_actions' | 'view_submission', input: Common): Record<string, unknown> {
  return {
    type,
    token: VERIFICATION_TOKEN,
    api_app_id: input.bot.appId,
    team: team(input.bot),
    user: { id: input.user.id, username: input.user.name, name: input.user.name, team_id: input.bot.teamId },
    enterprise: null,
    is_enterprise_install: false,
    trigger_id: input.triggerId,
  };
}

/** The form body of a slash command. */
export function slashCommandForm(input: Common & { channel: Place; command: string; text: string; responseUrl: string }): string {
  return new URLSearchParams({
    token: VERIFICATION_TOKEN,
    team_id: input.bot.teamId,
    team_domain: team(input.bot).domain,
    channel_id: input.channel.id,
    channel_name: input.channel.name,
    user_id: input.user.id,
    user_name: input.user.name,
    command: input.command,
    text: input.text,
    api_app_id: input.bot.appId,
    is_enterprise_install: 'false',
    response_url: input.responseUrl,
    trigger_id: input.triggerId,
  }).toString();
}

/** The element pressed, as the payload's `actions[0]` shows it. */
export interface PressedElement {
  blockId: string;
  element: Record<string, unknown>;
  /** For a select: the option chosen. */
  selectedOption?: Record<string, unknown>;
}

export type PressSource =
  | { type: 'message'; channel: Place; message: StoredMessage | { ts: string; thread_ts?: string }; ephemeral: boolean; responseUrl: string }
  | { type: 'view'; view: StoredView['view'] };

/** A block_actions payload for one element of a message or a view. */
export function blockActionsPayload(input: Common & { source: PressSource; pressed: PressedElement; actionTs: string }): Record<string, unknown> {
  const { element, blockId, selectedOption } = input.pressed;
  const action: Record<string, unknown> = {
    type: element.type,
    action_id: element.action_id,
    block_id: blockId,
    action_ts: input.actionTs,
    ...(element.text !== undefined ? { text: element.text } : {}),
    ...(element.value !== undefined ? { value: element.value } : {}),
    ...(element.style !== undefined ? { style: element.style } : {}),
    ...(selectedOption ? { selected_option: selectedOption } : {}),
  };
  const base = { ...envelope('block_actions', input), state: { values: {} }, actions: [action] };
  const source = input.source;
  if (source.type === 'view') {
    return { ...base, container: { type: 'view', view_id: source.view.id }, view: source.view };
  }
  const threadTs = source.message.thread_ts;
  return {
    ...base,
    container: {
      type: 'message',
      message_ts: source.message.ts,
      channel_id: source.channel.id,
      is_ephemeral: source.ephemeral,
      ...(threadTs && threadTs !== source.message.ts ? { thread_ts: threadTs } : {}),
    },
    channel: { id: source.channel.id, name: source.channel.name },
    // Slack leaves the message out for an ephemeral one: the app never saw it stored.
    ...(source.ephemeral ? {} : { message: source.message }),
    response_url: source.responseUrl,
  };
}

/** A view_submission payload for `view` with the inputs' state. */
export function viewSubmissionPayload(input: Common & { view: StoredView['view']; values: Record<string, unknown> }): Record<string, unknown> {
  return {
    ...envelope('view_submission', input),
    view: { ...input.view, state: { values: input.values } },
    response_urls: [],
  };
}

/**
 * An Events API request: `event` in Slack's envelope, as JSON (not a form), signed like the rest.
 * `authorizations` names the installation the event is for: the bot itself.
 */
export function eventCallbackPayload(input: { bot: BotIdentity; event: Record<string, unknown>; eventId: string; eventTime: number }): Record<string, unknown> {
  return {
    token: VERIFICATION_TOKEN,
    team_id: input.bot.teamId,
    context_team_id: input.bot.teamId,
    context_enterprise_id: null,
    api_app_id: input.bot.appId,
    event: input.event,
    type: 'event_callback',
    event_id: input.eventId,
    event_time: input.eventTime,
    authorizations: [{ enterprise_id: null, team_id: input.bot.teamId, user_id: input.bot.userId, is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  };
}

/**
 * app_home_opened: `user` opened a tab of the app in `channel`, their DM with the app. Slack adds
 * the Home view last published for them, when there is one.
 */
export function appHomeOpenedEvent(input: { user: string; channel: string; tab: 'home' | 'messages'; eventTs: string; view?: StoredView['view'] }): Record<string, unknown> {
  return {
    type: 'app_home_opened',
    user: input.user,
    channel: input.channel,
    tab: input.tab,
    event_ts: input.eventTs,
    ...(input.view ? { view: input.view } : {}),
  };
}
