import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import type { CommandDeps } from '../commands/command-spec.js';
import type { CommandRegistry } from '../commands/registry.js';
import { registerShareResult } from './share-result.js';
import { registerSlashCommand } from './slash-command.js';

export interface HandlerContext {
  registry: CommandRegistry;
  deps: CommandDeps;
  logger: Logger;
}

/** Every Slack entry point, surface by surface. */
export function registerHandlers(app: App, ctx: HandlerContext): void {
  registerSlashCommand(app, ctx);
  registerShareResult(app, { state: ctx.deps.state, clock: ctx.deps.clock, logger: ctx.logger });
}
