import path from 'node:path';
import type { Config } from '../../config.js';

/** Where the bot keeps its own state: chatops.db in the data directory. */
export function stateFileOf(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, 'chatops.db');
}
