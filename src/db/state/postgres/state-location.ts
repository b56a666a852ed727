import type { Config } from '../../../config.js';
import { stateFileOf } from '../state-file.js';
import { parsePostgresUrl } from './postgres-url.js';

/** Where the state lives, as it may be shown: chatops.db's path, or the PostgreSQL URL without its password. */
export function stateLocationOf(config: Pick<Config, 'dataDir' | 'env'>): string {
  const url = config.env.STATE_DATABASE_URL;
  if (!url) return stateFileOf(config);
  const parsed = parsePostgresUrl(url);
  return parsed.ok ? parsed.shown : 'STATE_DATABASE_URL';
}
