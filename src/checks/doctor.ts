import { access, constants, stat } from 'node:fs/promises';
import type { CommandDeps } from '../commands/command-spec.js';
import { STATE_MIGRATIONS } from '../db/state-migrations.js';
import type { CheckItem } from './check-item.js';
import { checkSchema, METRICS_NEEDS, PERSISTENCE_NEEDS } from './schema-check.js';

/** The bot's self-check: config, data files, schema, its own database, Slack. */
export async function doctor(deps: CommandDeps): Promise<CheckItem[]> {
  const { config, atlas } = deps;
  const items: CheckItem[] = [];
  const item = (key: string, label: string, level: CheckItem['level'], detail: string) =>
    items.push({ key, label, level, value: null, unit: '', detail });

  item('config', 'Config', 'ok', config.configPath ? `read from ${config.configPath}` : 'no config file; defaults in use (see atlas.config.example.yml)');
  if (!config.channels.incidents) item('config:incidents', 'Incident channel', 'warn', 'channels.incidents is not set: alerts have nowhere to go');
  if (config.responders.users.length + config.responders.usergroups.length === 0) {
    item('config:responders', 'Responders', 'warn', 'responders.users and responders.usergroups are empty: nobody may act on incidents');
  }

  try {
    const s = await stat(config.dataDir);
    item('data-dir', 'Data directory', s.isDirectory() ? 'ok' : 'crit', s.isDirectory() ? config.dataDir : `${config.dataDir} is not a directory`);
  } catch {
    item('data-dir', 'Data directory', 'crit', `${config.dataDir} does not exist; set ATLAS_DATA_DIR (or try \`npm run demo\`)`);
  }

  for (const [db, needs, missingLevel] of [
    [atlas.persistence, PERSISTENCE_NEEDS, 'crit'],
    [atlas.metrics, METRICS_NEEDS, 'warn'],
  ] as const) {
    const status = checkSchema(db, needs);
    if (status.problem) item(`db:${db.label}`, db.label, db.exists() ? 'crit' : missingLevel, status.problem);
    else if (status.missing.length > 0) {
      item(`db:${db.label}`, db.label, 'warn', `opens, but lacks ${status.missing.join(', ')}: checks that need them answer unknown`);
    } else item(`db:${db.label}`, db.label, 'ok', 'opens read-only; schema as expected');
  }

  try {
    await access(atlas.jobsDir, constants.R_OK);
    item('jobs-dir', 'jobs/ folder', 'ok', atlas.jobsDir);
  } catch {
    item('jobs-dir', 'jobs/ folder', 'warn', `${atlas.jobsDir} is missing or unreadable: file-backed jobs are not listed`);
  }

  const version = deps.state.pragma('user_version', { simple: true }) as number;
  item('state-db', 'chatops.db', version === STATE_MIGRATIONS.length ? 'ok' : 'crit', `schema version ${version} of ${STATE_MIGRATIONS.length}`);

  if (deps.slackStatus) {
    const slack = await deps.slackStatus();
    item('slack', 'Slack connection', slack.ok ? 'ok' : 'crit', slack.detail);
  } else {
    item('slack', 'Slack connection', 'unknown', 'not checked from the terminal');
  }
  return items;
}
