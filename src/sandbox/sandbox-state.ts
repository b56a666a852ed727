import type { RunningServiceStatus } from '../demo/running-service.js';
import type { ServiceScenario } from '../demo/service-scenarios.js';
import type { AlertPreset } from './alert-presets.js';
import type { TakenPagerDutyEvent } from './pagerduty-stand-in.js';
import type { EphemeralMessage, StoredMessage, StoredView } from './stored-objects.js';
import type { Workspace } from './workspace.js';

export interface SandboxChannel {
  id: string;
  /** `incident-response`, or the bot's name for the DM with it. */
  name: string;
  kind: 'channel' | 'im';
  /** Whether the person signed in is in it (and may type there). */
  member: boolean;
}

/** Everything the page shows to one person, at one moment. */
export interface SandboxState {
  now: string;
  team: { id: string; name: string };
  bot: { userId: string; name: string };
  /** The person signed in. */
  user: string;
  users: { id: string; name: string; realName: string; title: string }[];
  usergroups: { id: string; handle: string; name: string }[];
  channels: SandboxChannel[];
  /** Top-level messages by channel id, oldest first. */
  messages: Record<string, StoredMessage[]>;
  /** Thread replies by `${channel}:${parentTs}`, oldest first. */
  replies: Record<string, StoredMessage[]>;
  /** What only this person sees, by channel id, oldest first. */
  ephemerals: Record<string, EphemeralMessage[]>;
  /** The modal on top of this person's stack, if one is open. */
  modal: StoredView['view'] | null;
  /** This person's App Home tab, once the bot has published one. */
  home: StoredView['view'] | null;
  clock: { now: string; offsetMs: number; nextShiftChange: string | null };
  alertPresets: { id: string; label: string }[];
  /** What the stood-in service can be made to do (the scenario picker). */
  scenarios: { id: string; label: string; description: string }[];
  /** The scenario the service runs, since when; null: the demo's story as generated. */
  scenario: RunningServiceStatus['scenario'];
  /** The last events PagerDuty's stood-in Events API took, newest first. */
  pagerduty: SandboxPagerDutyEvent[];
}

/** One event the PagerDuty stand-in took, as the page lists it. */
export interface SandboxPagerDutyEvent {
  action: TakenPagerDutyEvent['event_action'];
  dedupKey: string;
  /** The trigger's summary (the alert's name); null for acknowledge and resolve. */
  summary: string | null;
  /** When the stand-in took it, by the sandbox's clock. */
  at: string;
}

export interface StateInputs {
  clock: { now: Date; offsetMs: number; nextShiftChange: Date | null };
  /** Who is on call now: their titles say so, whatever the directory's title. */
  onCall: { primary: string | null; secondary: string | null } | null;
  presets: readonly AlertPreset[];
  scenarios?: readonly ServiceScenario[];
  scenario?: RunningServiceStatus['scenario'];
  /** The PagerDuty stand-in's events to show, newest first. */
  pagerduty?: readonly TakenPagerDutyEvent[];
}

/** The page's view of the workspace for `user`: a pure read; the DM with the bot is opened on first look, as Slack lists it. */
export function sandboxState(ws: Workspace, user: string, inputs: StateInputs): SandboxState {
  const dm = ws.directory.openConversation([user]).channel;
  const channels: SandboxChannel[] = [
    ...[...ws.directory.channels.values()]
      .filter((c) => !c.isIm && !c.isMpim && !c.isPrivate)
      .map((c) => ({ id: c.id, name: c.name, kind: 'channel' as const, member: c.members.has(user) })),
    { id: dm.id, name: ws.bot.name, kind: 'im', member: true },
  ];
  const messages: Record<string, StoredMessage[]> = {};
  const replies: Record<string, StoredMessage[]> = {};
  const ephemerals: Record<string, EphemeralMessage[]> = {};
  for (const channel of channels) {
    const top = ws.chat.history(channel.id);
    messages[channel.id] = top;
    for (const parent of top) {
      if ((parent.reply_count ?? 0) > 0) replies[`${channel.id}:${parent.ts}`] = ws.replies(channel.id, parent.ts);
    }
    ephemerals[channel.id] = ws.chat.ephemerals({ channel: channel.id, user });
  }
  const views = ws.views.list(user);
  const modals = views.filter((v) => v.view.type === 'modal');
  // The newest stack's top: views are listed in the order they were opened.
  const lastModal = modals.at(-1);
  const stack = lastModal ? ws.views.stack(lastModal.view.id) : [];
  return {
    now: inputs.clock.now.toISOString(),
    team: { id: ws.bot.teamId, name: ws.bot.team },
    bot: { userId: ws.bot.userId, name: ws.bot.name },
    user,
    users: [...ws.directory.users.values()]
      .filter((u) => !u.isBot)
      .map((u) => ({ id: u.id, name: u.name, realName: u.realName, title: onCallTitle(u.id, inputs.onCall) ?? u.title ?? '' })),
    usergroups: [...ws.directory.usergroups.values()].map((g) => ({ id: g.id, handle: g.handle, name: g.name })),
    channels,
    messages,
    replies,
    ephemerals,
    modal: stack.at(-1)?.view ?? null,
    home: views.find((v) => v.view.type === 'home')?.view ?? null,
    clock: {
      now: inputs.clock.now.toISOString(),
      offsetMs: inputs.clock.offsetMs,
      nextShiftChange: inputs.clock.nextShiftChange?.toISOString() ?? null,
    },
    alertPresets: inputs.presets.map((p) => ({ id: p.id, label: p.label })),
    scenarios: (inputs.scenarios ?? []).map((s) => ({ id: s.id, label: s.label, description: s.description })),
    scenario: inputs.scenario ?? null,
    pagerduty: (inputs.pagerduty ?? []).map((e) => ({ action: e.event_action, dedupKey: e.dedup_key, summary: e.payload?.summary ?? null, at: e.receivedAt })),
  };
}

function onCallTitle(user: string, onCall: StateInputs['onCall']): string | undefined {
  if (onCall?.primary === user) return 'On-call primary';
  if (onCall?.secondary === user) return 'On-call secondary';
  return undefined;
}
