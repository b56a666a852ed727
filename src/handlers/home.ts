/**
 * The App Home tab: published when someone opens it (app_home_opened, tab "home"), republished
 * by the refresh job while it is open and incidents change, and its diagnostics buttons. A press
 * on the Home carries no response_url, so the answers go by DM (answerPress).
 */
import { dmChannelOf } from '../slack/dm-channels.js';
import type { App, webApi } from '@slack/bolt';
import { z } from 'zod';
import { HOME_DIAGNOSTICS, homeContent } from '../home/home-content.js';
import type { PublishHome } from '../home/home-refresh.js';
import { SLACK_USER_ID } from '../ids.js';
import { homeRunActionId, homeView } from '../templates/home-view.js';
import { within } from '../time/within.js';
import { registerRoute } from './buttons.js';
import type { HandlerContext } from './handler-context.js';

/** How long a Home waits for the first health run before it says "being checked". */
export const HOME_HEALTH_WAIT_MS = 1_500;
/** views.publish gets this long; the client's own bound (10 s) is for calls someone waits on less. */
export const HOME_PUBLISH_BOUND_MS = 5_000;

export interface HomePublisherOptions {
  healthWaitMs?: number;
  publishBoundMs?: number;
}

/** The fields of app_home_opened this handler reads. */
const homeOpenedSchema = z.object({
  user: z.string().regex(SLACK_USER_ID),
  tab: z.string().max(20),
});

/**
 * Builds one person's Home and publishes it with `client`, bounded in time: true when Slack took
 * it; false, logged, when anything failed. Never throws: the opener and the refresh job share it.
 */
export function homePublisher(ctx: Pick<HandlerContext, 'registry' | 'deps' | 'logger'>, client: webApi.WebClient, opts: HomePublisherOptions = {}): PublishHome {
  const healthWaitMs = opts.healthWaitMs ?? HOME_HEALTH_WAIT_MS;
  const publishBoundMs = opts.publishBoundMs ?? HOME_PUBLISH_BOUND_MS;
  return async (userId) => {
    try {
      const actor = { source: 'slack' as const, userId, channelId: await dmChannelOf(client, userId), via: 'button' as const };
      const may = new Set((await ctx.registry.visibleTo(actor)).map((s) => s.name));
      const view = homeView(await homeContent(ctx.deps, may, userId, { healthWaitMs }));
      await within(client.views.publish({ user_id: userId, view }), publishBoundMs, () => {
        throw new Error(`no answer within ${publishBoundMs} ms`);
      });
      return true;
    } catch (err) {
      ctx.logger.warn({ err, userId }, 'could not publish the Home tab');
      return false;
    }
  };
}

export function registerHome(app: App, ctx: HandlerContext): void {
  // Events are acknowledged by Bolt before this runs; nothing here can hold Slack up.
  app.event('app_home_opened', async ({ event, client }) => {
    const opened = homeOpenedSchema.safeParse(event);
    if (!opened.success) {
      ctx.logger.warn({ issues: opened.error.issues.slice(0, 3) }, 'malformed app_home_opened event');
      return;
    }
    // The Messages tab (the DM with the bot) opens this event too; it shows no Home.
    if (opened.data.tab !== 'home') return;
    const { user } = opened.data;
    const now = ctx.deps.clock();
    try {
      await ctx.deps.state.homeViews.opened(user, now);
    } catch (err) {
      ctx.logger.warn({ err, userId: user }, 'could not record that the Home tab was opened');
    }
    if (!(await homePublisher(ctx, client)(user))) return;
    try {
      await ctx.deps.state.homeViews.published(user, now);
    } catch (err) {
      ctx.logger.warn({ err, userId: user }, 'could not record the Home tab as published');
    }
  });

  // Diagnostics buttons: each is its subcommand run through the registry, answered by DM.
  for (const command of HOME_DIAGNOSTICS) {
    if (!ctx.registry.get(command)) continue;
    registerRoute(app, ctx, { actionId: homeRunActionId(command), command, answer: 'report', args: (value) => (value === command ? { _: [] } : null) });
  }
}
