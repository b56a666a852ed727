import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import type { CommandDeps } from '../commands/command-spec.js';
import type { CommandRegistry } from '../commands/registry.js';
import type { AckFirstQueue } from '../slack/ack-first-queue.js';
import { registerAlertHealthButton } from './alert-health-button.js';
import { registerIncidentActions, responderCheck } from './incident-actions.js';
import { registerIncidentViews } from './incident-views.js';
import { registerShareResult } from './share-result.js';
import { registerSlashCommand } from './slash-command.js';
import { registerTimerActions } from './timer-actions.js';

export interface HandlerContext {
  registry: CommandRegistry;
  deps: CommandDeps;
  logger: Logger;
  afterAcks: AckFirstQueue;
}

/** Every Slack entry point, surface by surface. */
export function registerHandlers(app: App, ctx: HandlerContext): void {
  registerSlashCommand(app, ctx);
  registerShareResult(app, { state: ctx.deps.state, clock: ctx.deps.clock, logger: ctx.logger });
  registerAlertHealthButton(app, ctx);
  const responders = responderCheck(app, ctx.deps.config);
  registerIncidentActions(app, ctx, responders);
  registerIncidentViews(app, ctx, responders);
  registerTimerActions(app, ctx, responders);
}
