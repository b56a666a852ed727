import type { Logger } from 'pino';
import type { CommandDeps } from '../commands/command-spec.js';
import type { CommandRegistry } from '../commands/registry.js';
import type { AckFirstQueue } from '../slack/ack-first-queue.js';

/** What every Slack entry point gets: the registry and its dependencies. */
export interface HandlerContext {
  registry: CommandRegistry;
  deps: CommandDeps;
  logger: Logger;
  /** Where the work after an acknowledgement waits while other requests await theirs. */
  afterAcks: AckFirstQueue;
}
