import { randomBytes } from 'node:crypto';
import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { StateDb } from '../db/state-db.js';
import { renderBlocks, SHARE_ACTION_ID } from '../templates/block-kit.js';
import type { Report } from '../templates/report.js';
import { toSqlTime } from '../time/atlas-time.js';

/** How long the "Post to channel" button of an ephemeral answer keeps working. */
export const SHARE_TTL_MS = 24 * 3_600_000;

const SHARE_ID = /^[A-Za-z0-9_-]{16}$/;
const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

const reportSchema = z.object({
  command: z.string().max(200),
  level: z.enum(['ok', 'warn', 'crit', 'unknown', 'info', 'error']),
  headline: z.string(),
  sections: z.array(
    z.object({
      title: z.string().optional(),
      lines: z.array(z.string()).optional(),
      table: z.object({ columns: z.array(z.string()), rows: z.array(z.array(z.string())) }).optional(),
    }),
  ),
  footer: z.string().optional(),
});

/** The fields of a block_actions payload the share button reads. */
const shareActionSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().regex(SLACK_USER_ID) }),
  actions: z
    .array(z.object({ action_id: z.string().max(255), value: z.string().max(2000).optional() }))
    .min(1),
});

export const SHARE_MESSAGES = {
  expired: 'That result is no longer available (results can be posted for 24 h); run the command again and post the new answer.',
  notYours: 'Only the person who ran the command can post this result to the channel.',
  malformed: 'That button press could not be read; run the command again.',
} as const;

/**
 * Keeps a rendered answer for 24 h so its "Post to channel" button can post the same report.
 * Rows older than that are pruned on the way. Returns the row's random id.
 */
export function saveSharedResult(state: StateDb, report: Report, userId: string, now: Date): string {
  const id = randomBytes(12).toString('base64url');
  // `data` is the typed result for --json; the channel only sees what the renderer shows.
  const { command, level, headline, sections, footer } = report;
  const tx = state.transaction(() => {
    state.prepare('DELETE FROM shared_results WHERE created_at < ?').run(toSqlTime(new Date(now.getTime() - SHARE_TTL_MS)));
    state
      .prepare('INSERT INTO shared_results (id, created_at, user_id, report_json) VALUES (?, ?, ?, ?)')
      .run(id, toSqlTime(now), userId, JSON.stringify({ command, level, headline, sections, footer }));
  });
  tx();
  return id;
}

export type ClaimResult = { kind: 'ok'; report: Report; createdAt: string } | { kind: 'expired' } | { kind: 'not-yours' } | { kind: 'malformed' };

/**
 * Takes the stored result out of chatops.db for posting, once: a double click must not post it
 * twice. `putBack` restores it when posting fails.
 */
export function claimSharedResult(state: StateDb, id: string, userId: string, now: Date): ClaimResult {
  if (!SHARE_ID.test(id)) return { kind: 'expired' };
  const since = toSqlTime(new Date(now.getTime() - SHARE_TTL_MS));
  const row = state
    .prepare('DELETE FROM shared_results WHERE id = ? AND user_id = ? AND created_at >= ? RETURNING report_json, created_at')
    .get(id, userId, since) as { report_json: string; created_at: string } | undefined;
  if (!row) {
    const other = state.prepare('SELECT 1 FROM shared_results WHERE id = ? AND created_at >= ?').get(id, since);
    return other ? { kind: 'not-yours' } : { kind: 'expired' };
  }
  let json: unknown;
  try {
    json = JSON.parse(row.report_json);
  } catch {
    return { kind: 'malformed' };
  }
  const parsed = reportSchema.safeParse(json);
  return parsed.success ? { kind: 'ok', report: parsed.data, createdAt: row.created_at } : { kind: 'malformed' };
}

/** Returns a claimed result, so the user can press the button again after a failed post. */
export function putBackSharedResult(state: StateDb, id: string, report: Report, userId: string, createdAt: string): void {
  state
    .prepare('INSERT OR IGNORE INTO shared_results (id, created_at, user_id, report_json) VALUES (?, ?, ?, ?)')
    .run(id, createdAt, userId, JSON.stringify(report));
}

export interface ShareResultContext {
  state: StateDb;
  clock: Clock;
  logger: Logger;
}

/**
 * The "Post to channel" button: posts the stored report into the channel through the action's
 * response_url (which also removes the ephemeral original), with "shared by @user".
 */
export function registerShareResult(app: App, ctx: ShareResultContext): void {
  app.action({ type: 'block_actions', action_id: SHARE_ACTION_ID }, async ({ ack, body, respond }) => {
    await ack();
    const say = async (text: string) => {
      try {
        await respond({ response_type: 'ephemeral', replace_original: false, text });
      } catch (err) {
        ctx.logger.warn({ err }, 'could not answer a share button press');
      }
    };
    const parsed = shareActionSchema.safeParse(body);
    const action = parsed.success ? parsed.data.actions.find((a) => a.action_id === SHARE_ACTION_ID) : undefined;
    if (!parsed.success || !action?.value) {
      ctx.logger.warn({ issues: parsed.success ? 'no value' : parsed.error.issues.slice(0, 3) }, 'malformed share button payload');
      await say(SHARE_MESSAGES.malformed);
      return;
    }
    const userId = parsed.data.user.id;
    const now = ctx.clock();
    let claim: ClaimResult;
    try {
      claim = claimSharedResult(ctx.state, action.value, userId, now);
    } catch (err) {
      ctx.logger.error({ err }, 'could not read shared_results in chatops.db');
      await say('The bot could not read its own database (chatops.db); try again in a minute.');
      return;
    }
    if (claim.kind !== 'ok') {
      if (claim.kind === 'malformed') ctx.logger.warn({ shareId: action.value }, 'stored shared result failed validation');
      await say(claim.kind === 'not-yours' ? SHARE_MESSAGES.notYours : claim.kind === 'malformed' ? SHARE_MESSAGES.malformed : SHARE_MESSAGES.expired);
      return;
    }
    const message = renderBlocks(claim.report, { sharedBy: userId });
    try {
      await respond({ response_type: 'in_channel', delete_original: true, text: message.text, blocks: message.blocks });
      ctx.logger.info({ command: claim.report.command, userId }, 'result shared to channel');
    } catch (err) {
      ctx.logger.warn({ err, statusCode: (err as { statusCode?: number }).statusCode }, 'could not post a shared result');
      try {
        putBackSharedResult(ctx.state, action.value, claim.report, userId, claim.createdAt);
      } catch (putBackErr) {
        ctx.logger.error({ err: putBackErr }, 'could not restore a shared result');
      }
    }
  });
}
