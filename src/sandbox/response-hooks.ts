import { z } from 'zod';
import { checkMessage } from './message-check.js';
import type { MessageStore } from './message-store.js';
import type { SandboxEvents } from './sandbox-events.js';
import { randomToken, type Clock } from './slack-ids.js';
import { SLACK_LIMITS } from './slack-limits.js';
import { SlackRefusal } from './slack-refusal.js';
import type { BotIdentity } from './workspace-directory.js';

export interface ResponseHookOptions {
  /** Where the interaction happened. */
  channel: string;
  /** Who acted: ephemeral answers go to them. */
  user: string;
  /**
   * The message the interaction came from (a button on a message): what replace_original and
   * delete_original act on. A slash command has none.
   */
  original?: { ts: string; ephemeral?: boolean };
}

export interface ResponseHookPost {
  at: Date;
  payload: Record<string, unknown>;
  status: number;
  answer: Record<string, unknown>;
}

export interface ResponseHook extends ResponseHookOptions {
  id: string;
  issuedAt: Date;
  /** Posts Slack took; at most 5. */
  uses: number;
  posts: ResponseHookPost[];
}

export interface HookAnswer {
  status: number;
  body: Record<string, unknown>;
}

const flag = z.preprocess((v) => v === true || v === 'true' || v === '1' || v === 1, z.boolean());
const payloadSchema = z.object({
  text: z.string().optional(),
  blocks: z.array(z.unknown()).optional(),
  attachments: z.array(z.unknown()).optional(),
  response_type: z.enum(['ephemeral', 'in_channel']).default('ephemeral'),
  replace_original: flag.default(false),
  delete_original: flag.default(false),
  thread_ts: z.string().optional(),
  metadata: z.object({ event_type: z.string(), event_payload: z.record(z.string(), z.unknown()) }).optional(),
});

/**
 * response_url: "can be sent up to 5 times within 30 minutes of receiving the payload"; ephemeral
 * unless response_type is in_channel; replace_original / delete_original act on the message the
 * interaction came from; thread_ts with in_channel posts into a thread
 * (https://api.slack.com/interactivity/handling#message_responses).
 * replace_original on a slash command's URL (no original) acts on the app's latest earlier
 * message posted through it ("earlier app messages in the chain").
 * Answers: 200 {"ok":true}. Misuse: the stand-in answers 404 expired_url after 30 minutes,
 * 404 used_url after 5 posts, 404 no_service for an id it never issued, 404 message_not_found
 * for replace/delete with no original, and 400 with the chat.postMessage code (no_text,
 * invalid_blocks, …) for a message Slack would refuse. Slack documents the limits, not these
 * status codes and bodies; they follow its incoming webhooks, which answer errors with 4xx.
 */
export class ResponseHooks {
  private readonly hooks = new Map<string, ResponseHook>();

  constructor(
    private readonly messages: MessageStore,
    private readonly events: SandboxEvents,
    private readonly clock: Clock,
    private readonly bot: BotIdentity,
  ) {}

  mint(options: ResponseHookOptions): ResponseHook {
    const hook: ResponseHook = { ...options, id: randomToken(), issuedAt: this.clock(), uses: 0, posts: [] };
    this.hooks.set(hook.id, hook);
    return hook;
  }

  get(id: string): ResponseHook | undefined {
    return this.hooks.get(id);
  }

  list(): ResponseHook[] {
    return [...this.hooks.values()];
  }

  use(id: string, raw: Record<string, unknown>): HookAnswer {
    const hook = this.hooks.get(id);
    const answer = hook ? this.answer(hook, raw) : { status: 404, body: { ok: false, error: 'no_service' } };
    if (hook) hook.posts.push({ at: this.clock(), payload: raw, status: answer.status, answer: answer.body });
    this.events.emit({ type: 'response_url_used', id, payload: raw, status: answer.status, answer: answer.body });
    return answer;
  }

  private answer(hook: ResponseHook, raw: Record<string, unknown>): HookAnswer {
    const L = SLACK_LIMITS.interaction;
    if (this.clock().getTime() - hook.issuedAt.getTime() > L.responseUrlLifetimeMs) return { status: 404, body: { ok: false, error: 'expired_url' } };
    if (hook.uses >= L.responseUrlUses) return { status: 404, body: { ok: false, error: 'used_url' } };
    const parsed = payloadSchema.safeParse(raw);
    if (!parsed.success) return { status: 400, body: { ok: false, error: 'invalid_payload' } };
    try {
      this.apply(hook, parsed.data);
    } catch (err) {
      if (err instanceof SlackRefusal) return { status: err.code === 'message_not_found' ? 404 : 400, body: err.body() };
      throw err;
    }
    hook.uses += 1;
    return { status: 200, body: { ok: true } };
  }

  private original(hook: ResponseHook) {
    if (!hook.original) {
      // A slash command's response_url: replace_original acts on the app's latest earlier message in
      // the chain (its answer), never on the command the user typed.
      const mine = this.messages.ephemerals({ channel: hook.channel, user: hook.user }).filter((m) => m.responseUrlId === hook.id);
      const latest = mine.at(-1);
      return latest ? ({ kind: 'ephemeral', message: latest } as const) : undefined;
    }
    if (hook.original.ephemeral) {
      const e = this.messages.ephemerals({ channel: hook.channel, user: hook.user }).find((m) => m.ts === hook.original?.ts);
      return e ? ({ kind: 'ephemeral', message: e } as const) : undefined;
    }
    const m = this.messages.find(hook.channel, hook.original.ts);
    return m ? ({ kind: 'channel', message: m } as const) : undefined;
  }

  private apply(hook: ResponseHook, p: z.infer<typeof payloadSchema>): void {
    const original = this.original(hook);
    if (p.delete_original) {
      if (!original) throw new SlackRefusal('message_not_found');
      if (original.kind === 'channel') this.messages.delete(original.message);
      else this.messages.deleteEphemeral(original.message);
      return;
    }
    checkMessage(p);
    const content = { text: p.text ?? '', blocks: p.blocks, attachments: p.attachments };
    if (p.replace_original) {
      if (!original) throw new SlackRefusal('message_not_found');
      if (original.kind === 'channel') this.messages.update(original.message, { ...content, ...(p.metadata ? { metadata: p.metadata } : {}) });
      else this.messages.replaceEphemeral(original.message, content);
      return;
    }
    if (p.response_type === 'in_channel') {
      this.messages.post({
        channel: hook.channel,
        user: this.bot.userId,
        bot: { botId: this.bot.botId, appId: this.bot.appId },
        ...content,
        metadata: p.metadata,
        thread_ts: p.thread_ts,
      });
      return;
    }
    this.messages.postEphemeral({
      channel: hook.channel,
      user: hook.user,
      ...content,
      ...(p.thread_ts ? { thread_ts: p.thread_ts } : {}),
      responseUrlId: hook.id,
    });
  }
}
