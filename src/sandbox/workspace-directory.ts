import { idSequence } from './slack-ids.js';

/** The bot the stand-in answers as (auth.test), and the token it takes. */
export interface BotIdentity {
  token: string;
  userId: string;
  botId: string;
  appId: string;
  teamId: string;
  team: string;
  name: string;
}

export interface ChannelSpec {
  id: string;
  name: string;
  isPrivate?: boolean;
  /** Member user ids; the bot is a member unless `botIsMember` is false. */
  members: string[];
  botIsMember?: boolean;
  topic?: string;
  purpose?: string;
}

export interface UserSpec {
  id: string;
  name: string;
  realName: string;
  title?: string;
  tz?: string;
  isBot?: boolean;
}

export interface UsergroupSpec {
  id: string;
  handle: string;
  name: string;
  users: string[];
}

export interface Channel {
  id: string;
  name: string;
  isPrivate: boolean;
  isIm: boolean;
  isMpim: boolean;
  /** The other party of a DM. */
  imUser?: string;
  members: Set<string>;
  topic: string;
  purpose: string;
  created: number;
}

export const DEFAULT_BOT: BotIdentity = {
  token: 'xoxb-sandbox-atlas-bot-token',
  userId: 'U0ATLASBOT',
  botId: 'B0ATLASBOT',
  appId: 'A0ATLAS',
  teamId: 'T0ATLAS',
  team: 'Shadow Atlas',
  name: 'atlas',
};

/** The people of the default workspace, by role. */
export const SANDBOX_USERS = {
  primary: 'U0ONCALL1',
  secondary: 'U0ONCALL2',
  techLead: 'U0TECHLEAD',
  responder: 'U0RESPONDER',
  reader: 'U0READER',
} as const;

export const DEFAULT_USERS: UserSpec[] = [
  { id: SANDBOX_USERS.primary, name: 'alice', realName: 'Alice Ortega', title: 'On-call primary' },
  { id: SANDBOX_USERS.secondary, name: 'bobby', realName: 'Bobby Chen', title: 'On-call secondary' },
  { id: SANDBOX_USERS.techLead, name: 'tessa', realName: 'Tessa Lind', title: 'Tech lead' },
  { id: SANDBOX_USERS.responder, name: 'rafael', realName: 'Rafael Diaz', title: 'Responder' },
  { id: SANDBOX_USERS.reader, name: 'rhea', realName: 'Rhea Novak', title: 'Reader (may not act)' },
];

export const DEFAULT_CHANNELS: ChannelSpec[] = [
  { id: 'C0INCIDENT', name: 'incident-response', members: Object.values(SANDBOX_USERS), purpose: 'Alerts and incident threads' },
  {
    id: 'C0HANDOFF',
    name: 'ops-handoff',
    members: [SANDBOX_USERS.primary, SANDBOX_USERS.secondary, SANDBOX_USERS.techLead],
    purpose: 'Shift handoff',
  },
];

export const DEFAULT_USERGROUPS: UsergroupSpec[] = [
  { id: 'S0ONCALL', handle: 'oncall', name: 'On-call', users: [SANDBOX_USERS.primary, SANDBOX_USERS.secondary] },
];

/** Channels, users and user groups: who is where. */
export class WorkspaceDirectory {
  readonly channels = new Map<string, Channel>();
  readonly users = new Map<string, UserSpec>();
  readonly usergroups = new Map<string, UsergroupSpec>();
  private readonly nextDm = idSequence('D');
  private readonly nextMpim = idSequence('G');

  constructor(
    readonly bot: BotIdentity,
    seed: { channels: ChannelSpec[]; users: UserSpec[]; usergroups: UsergroupSpec[] },
    private readonly created: number,
  ) {
    this.users.set(bot.userId, { id: bot.userId, name: bot.name, realName: bot.name, isBot: true });
    for (const u of seed.users) this.users.set(u.id, u);
    for (const g of seed.usergroups) this.usergroups.set(g.id, g);
    for (const c of seed.channels) this.addChannel(c);
  }

  addChannel(spec: ChannelSpec): Channel {
    const members = new Set(spec.members);
    if (spec.botIsMember !== false) members.add(this.bot.userId);
    const channel: Channel = {
      id: spec.id,
      name: spec.name,
      isPrivate: spec.isPrivate ?? false,
      isIm: false,
      isMpim: false,
      members,
      topic: spec.topic ?? '',
      purpose: spec.purpose ?? '',
      created: this.created,
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  /**
   * A slash command's text as Slack sends it when the command escapes mentions (manifest
   * `should_escape: true`): a typed `@alice` that names someone becomes `<@U…|alice>`; an `@word`
   * that names nobody is left as typed, as Slack leaves it.
   */
  escapeMentions(text: string): string {
    return text.replace(/(^|[\s(])@([A-Za-z0-9._-]+)/g, (whole, before: string, handle: string) => {
      const wanted = handle.toLowerCase().replace(/[.,;:!?]+$/, '');
      const rest = handle.slice(wanted.length);
      const user = [...this.users.values()].find((u) => !u.isBot && u.name.toLowerCase() === wanted);
      return user ? `${before}<@${user.id}|${user.name}>${rest}` : whole;
    });
  }

  /** By id, by name, or by "#name", as chat.postMessage accepts. */
  channel(idOrName: string): Channel | undefined {
    const byId = this.channels.get(idOrName);
    if (byId) return byId;
    const name = idOrName.replace(/^#/, '');
    return [...this.channels.values()].find((c) => !c.isIm && !c.isMpim && c.name === name);
  }

  /** The bot's DM with `users` (one user) or group DM (several), opened once and reused. */
  openConversation(users: string[]): { channel: Channel; alreadyOpen: boolean } {
    const others = [...new Set(users)].filter((u) => u !== this.bot.userId).sort();
    const existing = [...this.channels.values()].find(
      (c) => (c.isIm || c.isMpim) && c.members.size === others.length + 1 && others.every((u) => c.members.has(u)),
    );
    if (existing) return { channel: existing, alreadyOpen: true };
    const im = others.length === 1;
    const channel: Channel = {
      id: im ? this.nextDm() : this.nextMpim(),
      name: im ? (others[0] as string) : `mpdm-${others.join('--')}`,
      isPrivate: true,
      isIm: im,
      isMpim: !im,
      ...(im ? { imUser: others[0] as string } : {}),
      members: new Set([this.bot.userId, ...others]),
      topic: '',
      purpose: '',
      created: this.created,
    };
    this.channels.set(channel.id, channel);
    return { channel, alreadyOpen: false };
  }
}
