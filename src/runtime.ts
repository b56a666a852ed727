import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import type { CommandDeps } from './commands/command-spec.js';
import type { Config } from './config.js';
import { openAtlasStores } from './db/atlas-database.js';
import { openStateStore } from './db/state/kysely/sqlite-state-store.js';
import { stateFileOf } from './db/state/state-file.js';
import type { StateStore } from './db/state/state-store.js';
import { pagerdutyRotationOf } from './integrations/pagerduty-rotation.js';
import { withEscalationPaging } from './integrations/pagerduty-escalation.js';
import { pagerdutyInUse, withPagerDuty } from './integrations/pagerduty-sync.js';
import type { PagerDutyUserLookups } from './integrations/pagerduty-users.js';
import { rotationOf } from './oncall/config-rotation.js';
import { eventRecorder } from './presenter/event-recorder.js';

export interface DepsOptions {
  clock?: Clock;
  /** The state store, when the caller opened it already (the bot opens it before delivery). */
  state?: StateStore;
  /** null keeps the bot's state in memory (the terminal pointed at a directory that does not exist must not create one). */
  stateFile?: string | null;
  fetch?: typeof fetch;
  /** Wakes delivery after a change queued messages; the terminal has none (the running bot delivers). */
  wakeDelivery?: () => void;
  /** PagerDuty on-call users not in pagerduty.users found by email (the bot; the terminal has no Slack client). */
  pagerdutyLookups?: PagerDutyUserLookups;
}


/** The dependencies every front door shares. */
export function createDeps(config: Config, logger: Logger, opts: DepsOptions = {}): CommandDeps {
  const state = opts.state ?? openStateStore(opts.stateFile === undefined ? stateFileOf(config) : (opts.stateFile ?? ':memory:'));
  const clock = opts.clock ?? systemClock;
  const fetchFn: typeof fetch = opts.fetch ?? ((...args) => globalThis.fetch(...args));
  let rotation: CommandDeps['rotation'];
  if (config.rotation?.source === 'pagerduty') {
    // PagerDuty's schedules, cached: the bot asks at start and then in the pagerduty-rotation job;
    // the terminal asks only for the answers that need it.
    rotation = pagerdutyRotationOf(config, state, { fetch: fetchFn, clock, logger: logger.child({ component: 'pagerduty-rotation' }), lookups: opts.pagerdutyLookups });
  } else rotation = rotationOf(config, state);
  return {
    config,
    atlas: openAtlasStores(config.dataDir),
    state,
    clock,
    logger,
    fetch: fetchFn,
    // Escalations page through PagerDuty too when escalation.pagerduty says whom.
    events: withEscalationPaging(
      pagerdutyInUse(config) ? withPagerDuty(eventRecorder(config, opts.wakeDelivery), config) : eventRecorder(config, opts.wakeDelivery),
      config,
    ),
    rotation,
  };
}

export async function closeDeps(deps: CommandDeps): Promise<void> {
  deps.atlas.close();
  await deps.state.close();
}
