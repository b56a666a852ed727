import { existsSync } from 'node:fs';
import { access, constants, stat } from 'node:fs/promises';
import type { Config } from '../config.js';
import type { AtlasStores } from '../db/atlas-database.js';
import { stateLocationOf } from '../db/state/postgres/state-location.js';
import type { StateStore } from '../db/state/state-store.js';
import { describeReplicas, readReplicaViews, replicasLevel } from '../replicas/replica-presence.js';
import type { CheckItem } from './check-item.js';
import { gitHubSetupProblem } from '../github-setup.js';
import { checkSchema, METRICS_NEEDS, PERSISTENCE_NEEDS } from './schema-check.js';

export interface DoctorDeps {
  config: Config;
  atlas: AtlasStores;
  state: StateStore;
  clock: () => Date;
  /** Whether Slack answers, in the running bot's sentence; absent in a terminal without SLACK_BOT_TOKEN. */
  slackStatus?: () => Promise<{ ok: boolean; detail: string }>;
  /** This process among the replicas (the running bot); absent in the terminal. */
  replicaId?: string;
  /** Whether who is on call comes from an answer that is stale (PagerDuty's schedules, unreachable). */
  rotation?: { stale?: { since: Date } | null };
}

/** Messages waiting longer than this mean delivery is stuck (Slack down, or no bot running). */
const STUCK_OUTBOX_SEC = 5 * 60;

/** The bot's self-check: config, data files, schema, its own database and outbox, Slack. */
export async function doctor(deps: DoctorDeps): Promise<CheckItem[]> {
  const { config, atlas } = deps;
  const items: CheckItem[] = [];
  const item = (key: string, label: string, level: CheckItem['level'], detail: string) => items.push({ key, label, level, value: null, unit: '', detail });

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
    else if (status.missing.length > 0) item(`db:${db.label}`, db.label, 'warn', `opens, but lacks ${status.missing.join(', ')}: checks that need them answer unknown`);
    else item(`db:${db.label}`, db.label, 'ok', 'opens read-only; schema as expected');
  }

  try {
    await access(atlas.jobsDir, constants.R_OK);
    item('jobs-dir', 'jobs/ folder', 'ok', atlas.jobsDir);
  } catch {
    item('jobs-dir', 'jobs/ folder', 'warn', `${atlas.jobsDir} is missing or unreadable: file-backed jobs are not listed`);
  }

  const version = await deps.state.schemaVersion();
  const stateLabel = config.env.STATE_DATABASE_URL ? 'State in PostgreSQL' : 'chatops.db';
  item('state-db', stateLabel, version.current === version.latest ? 'ok' : 'crit', `${config.env.STATE_DATABASE_URL ? `${stateLocationOf(config)}, ` : ''}schema version ${version.current} of ${version.latest}`);
  const replicas = await readReplicaViews(deps.state, deps.clock(), deps.replicaId ?? null);
  item('replicas', 'Bot replicas', replicasLevel(replicas), describeReplicas(replicas));

  const outbox = await deps.state.outbox.stats(deps.clock());
  const failures = await deps.state.outbox.recentFailures(3);
  const failed = failures.map((f) => `#${f.id} ${f.last_error ?? 'failed'}`).join(', ');
  if (outbox.failed > 0) {
    item('outbox:failed', 'Slack messages or PagerDuty calls not delivered', 'warn', `${outbox.failed} given up (newest: ${failed}); the log has each reason`);
  }
  const waiting = `${outbox.pending} waiting${outbox.pending > 0 ? `, the oldest for ${outbox.oldestPendingSec} s` : ''}`;
  item('outbox', 'Slack delivery', outbox.oldestPendingSec > STUCK_OUTBOX_SEC ? 'warn' : 'ok', waiting);
  if (config.rotation?.source === 'pagerduty') {
    const stale = deps.rotation?.stale;
    item(
      'pagerduty-rotation',
      'On call from PagerDuty',
      stale ? 'warn' : 'ok',
      stale
        ? `PagerDuty's on-calls API not reachable since ${stale.since.toISOString().slice(11, 16)} UTC; the last known answer is used`
        : `schedules ${[config.pagerduty.schedules?.primary, config.pagerduty.schedules?.secondary].filter(Boolean).join(' and ')} read from ${config.env.PAGERDUTY_API_URL}`,
    );
  }
  item(
    'pagerduty',
    'PagerDuty webhook',
    'ok',
    config.env.PAGERDUTY_WEBHOOK_SECRET ? 'on: POST /hooks/pagerduty takes signed incident events' : 'off: set PAGERDUTY_WEBHOOK_SECRET to take PagerDuty incidents in',
  );
  item(
    'pagerduty-paging',
    'Paging through PagerDuty',
    'ok',
    config.pagerduty.routingKey
      ? `on: alerts from every other source page through ${config.env.PAGERDUTY_EVENTS_URL}, acknowledged and resolved from Slack`
      : 'off: set pagerduty.routingKey to page through PagerDuty',
  );
  if (config.env.PAGERDUTY_WEBHOOK_SECRET && !config.env.PAGERDUTY_TOKEN) {
    item('pagerduty-sync', "PagerDuty's incidents from Slack", 'warn', "acknowledging or resolving PagerDuty's incidents in Slack does not reach PagerDuty: set PAGERDUTY_TOKEN");
  }
  if (config.alerts.file) {
    item('alerts-file', 'Alert file', 'ok', `watched every 30 s: ${config.alerts.file}${existsSync(config.alerts.file) ? '' : ' (not there now; fine until something writes it)'}`);
  }
  const github = gitHubSetupProblem(config);
  item(
    'github',
    'GitHub',
    'ok',
    github ? `off: ${github.replace(/^GitHub is not set up: /, '').replace(/\.$/, '')} to file review issues and list them in the handoff` : `on: issues in ${config.github.repo} through ${config.env.GITHUB_API_URL}`,
  );

  if (deps.slackStatus) {
    const slack = await deps.slackStatus();
    item('slack', 'Slack connection', slack.ok ? 'ok' : 'crit', slack.detail);
  } else {
    item('slack', 'Slack connection', 'unknown', 'not checked: SLACK_BOT_TOKEN is not set here');
  }
  return items;
}
