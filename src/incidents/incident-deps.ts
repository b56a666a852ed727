import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { AtlasStores } from '../db/atlas-database.js';
import type { StateStore } from '../db/state/state-store.js';
import type { RotationSource } from '../oncall/rotation-source.js';
import type { EventSink } from './domain-events.js';

/** What the incident and alert domain needs; the front doors build it once. */
export interface DomainDeps {
  state: StateStore;
  clock: Clock;
  config: Config;
  logger: Logger;
  /** metrics.db is written for the alert status changes the on-call guide makes by hand. */
  atlas: AtlasStores;
  events: EventSink;
  /** Who is on call, and when that changes. */
  rotation: RotationSource;
  /**
   * Charts posted without asking (an acknowledgement's and a resolution's in the thread, the
   * handoff's): set by the running bot; absent in the terminal (its process ends with the answer)
   * and in tests that do not ask for them.
   */
  flowCharts?: boolean;
}
