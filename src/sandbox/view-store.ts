import type { SandboxEvents } from './sandbox-events.js';
import { idSequence, newTriggerId, randomToken, withBlockIds, type Clock } from './slack-ids.js';
import { SLACK_LIMITS } from './slack-limits.js';
import { refuse } from './slack-refusal.js';
import type { StoredView } from './stored-objects.js';
import type { BotIdentity } from './workspace-directory.js';

export type { StoredView } from './stored-objects.js';

interface Trigger {
  id: string;
  user: string;
  issuedAt: number;
  used: boolean;
  /** The view the interaction came from, for views.push. */
  viewId?: string;
}

/**
 * Trigger ids, modal stacks and Home tabs.
 * Triggers: "trigger_id expires 3 seconds after issue; single use" (https://api.slack.com/interactivity/handling);
 * errors invalid_trigger_id, exchanged_trigger_id ("was already exchanged in a previous call"),
 * expired_trigger_id (https://docs.slack.dev/reference/methods/views.open, views.push).
 * Stacks: at most 3 views (push_limit_reached), https://api.slack.com/surfaces/modals.
 */
export class ViewStore {
  private readonly triggers = new Map<string, Trigger>();
  private readonly views = new Map<string, StoredView>();
  /** root view id -> ids in the stack, bottom first. */
  private readonly stacks = new Map<string, string[]>();
  private readonly homes = new Map<string, string>();
  private readonly nextViewId = idSequence('V');
  private triggerCount = 0;

  constructor(
    private readonly events: SandboxEvents,
    private readonly clock: Clock,
    private readonly bot: BotIdentity,
  ) {}

  /** A fresh trigger id for `user`, as an interaction payload would carry (from `viewId`, if in a modal). */
  mintTrigger(user: string, viewId?: string): string {
    this.triggerCount += 1;
    const id = newTriggerId(this.clock(), this.triggerCount);
    this.triggers.set(id, { id, user, issuedAt: this.clock().getTime(), used: false, ...(viewId ? { viewId } : {}) });
    return id;
  }

  exchange(triggerId: string | undefined): Trigger {
    if (!triggerId) refuse('invalid_arguments', ['missing required field: trigger_id [json-pointer:/trigger_id]']);
    const trigger = this.triggers.get(triggerId);
    if (!trigger) refuse('invalid_trigger_id');
    if (trigger.used) refuse('exchanged_trigger_id');
    if (this.clock().getTime() - trigger.issuedAt > SLACK_LIMITS.interaction.triggerLifetimeMs) refuse('expired_trigger_id');
    trigger.used = true;
    return trigger;
  }

  private build(spec: Record<string, unknown>, id: string, rootId: string | null, previousId: string | null): StoredView['view'] {
    return {
      id,
      team_id: this.bot.teamId,
      type: spec.type as 'modal' | 'home',
      title: spec.title,
      submit: spec.submit ?? null,
      close: spec.close ?? null,
      blocks: withBlockIds(spec.blocks),
      private_metadata: spec.private_metadata ?? '',
      callback_id: spec.callback_id ?? '',
      external_id: spec.external_id ?? '',
      state: { values: {} },
      hash: `${Math.floor(this.clock().getTime() / 1000)}.${randomToken()}`,
      clear_on_close: spec.clear_on_close ?? false,
      notify_on_close: spec.notify_on_close ?? false,
      root_view_id: rootId,
      previous_view_id: previousId,
      app_id: this.bot.appId,
      app_installed_team_id: this.bot.teamId,
      bot_id: this.bot.botId,
    };
  }

  private assertExternalIdFree(spec: Record<string, unknown>, except?: string): void {
    const ext = spec.external_id;
    if (typeof ext !== 'string' || ext === '') return;
    for (const v of this.views.values()) if (v.view.external_id === ext && v.view.id !== except) refuse('duplicate_external_id');
  }

  open(trigger: Trigger, spec: Record<string, unknown>): StoredView {
    this.assertExternalIdFree(spec);
    const id = this.nextViewId();
    const stored: StoredView = { user: trigger.user, view: this.build(spec, id, id, null) };
    this.views.set(id, stored);
    this.stacks.set(id, [id]);
    this.events.emit({ type: 'view_opened', user: trigger.user, view: stored });
    return stored;
  }

  push(trigger: Trigger, spec: Record<string, unknown>): StoredView {
    const from = trigger.viewId ? this.views.get(trigger.viewId) : undefined;
    const rootId = from?.view.root_view_id;
    const stack = rootId ? this.stacks.get(rootId) : undefined;
    // The stand-in needs to know which modal a trigger came from; Slack's answer to a push
    // without an open modal is not documented.
    if (!rootId || !stack) refuse('invalid_arguments', ['no modal is open for this trigger_id [json-pointer:/trigger_id]']);
    if (stack.length >= SLACK_LIMITS.view.stackDepth) refuse('push_limit_reached');
    this.assertExternalIdFree(spec);
    const id = this.nextViewId();
    const stored: StoredView = { user: trigger.user, view: this.build(spec, id, rootId, stack[stack.length - 1] ?? null) };
    this.views.set(id, stored);
    stack.push(id);
    this.events.emit({ type: 'view_pushed', user: trigger.user, view: stored });
    return stored;
  }

  /** views.update by view_id or external_id; a stale hash is a hash_conflict. */
  update(target: { viewId?: string | undefined; externalId?: string | undefined; hash?: string | undefined }, spec: Record<string, unknown>): StoredView {
    const stored = target.viewId
      ? this.views.get(target.viewId)
      : [...this.views.values()].find((v) => target.externalId && v.view.external_id === target.externalId);
    if (!stored) refuse('not_found');
    if (target.hash !== undefined && target.hash !== stored.view.hash) refuse('hash_conflict');
    if (spec.type !== stored.view.type) refuse('invalid_arguments', [`must be ${stored.view.type} [json-pointer:/view/type]`]);
    this.assertExternalIdFree(spec, stored.view.id);
    stored.view = this.build(spec, stored.view.id, stored.view.root_view_id, (stored.view.previous_view_id as string | null) ?? null);
    this.events.emit({ type: 'view_updated', user: stored.user, view: stored });
    return stored;
  }

  publish(user: string, spec: Record<string, unknown>, hash?: string): StoredView {
    const existing = this.homes.get(user);
    const current = existing ? this.views.get(existing) : undefined;
    if (current && hash !== undefined && hash !== current.view.hash) refuse('hash_conflict');
    const id = current?.view.id ?? this.nextViewId();
    const stored: StoredView = { user, view: this.build(spec, id, null, null) };
    this.views.set(id, stored);
    this.homes.set(user, id);
    this.events.emit({ type: 'view_published', user, view: stored });
    return stored;
  }

  /** The user closed the top view of a stack (the page's ✕), or the whole stack. */
  close(viewId: string): void {
    const stored = this.views.get(viewId);
    const rootId = stored?.view.root_view_id;
    const stack = rootId ? this.stacks.get(rootId) : undefined;
    if (!stack) return;
    const at = stack.indexOf(viewId);
    const closed = stack.splice(at);
    for (const id of closed) this.views.delete(id);
    if (stack.length === 0) this.stacks.delete(rootId as string);
    this.events.emit({ type: 'view_closed', user: (stored as StoredView).user, viewIds: closed.reverse() });
  }

  view(id: string): StoredView | undefined {
    return this.views.get(id);
  }

  /** Open views, or those shown to one user. */
  list(user?: string): StoredView[] {
    return [...this.views.values()].filter((v) => user === undefined || v.user === user);
  }

  /** The modal stack a view is in, bottom first. */
  stack(viewId: string): StoredView[] {
    const rootId = this.views.get(viewId)?.view.root_view_id;
    return (rootId ? (this.stacks.get(rootId) ?? []) : []).map((id) => this.views.get(id) as StoredView);
  }
}
