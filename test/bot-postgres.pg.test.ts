/**
 * The whole bot (startBot) with its state in PostgreSQL (STATE_DATABASE_URL): two replicas, each
 * with its own copy of the service's files (two hosts), one PostgreSQL, the Slack stand-in.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pollMetricsAlerts } from '../src/alerts/metrics-alert-watcher.js';
import { startBot, type RunningBot } from '../src/bot.js';
import { doctor } from '../src/checks/doctor.js';
import { buildConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { DEFAULT_BOT, startSlackStandIn, type SlackStandIn } from '../src/sandbox/slack-stand-in.js';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.js';
import { captureLogs, eventually } from './helpers/slack-harness.js';
import { createAtlasFiles, tempDir } from './helpers/test-deps.js';

const CHANNEL = 'C0INCIDENT';
const WAIT_MS = 60_000;

let dir: ReturnType<typeof tempDir>;
let database: TestDatabase;
let slack: SlackStandIn;
const bots: RunningBot[] = [];

interface Health {
  status?: string;
  state: { engine: string; reachable: boolean; problem?: string };
  replicas: { name: string; reachesData: boolean; leases: string[]; self: boolean }[];
}

async function health(b: RunningBot): Promise<Health> {
  const res = await fetch(`http://127.0.0.1:${b.port}/healthz`);
  expect(res.status).toBe(200);
  return (await res.json()) as Health;
}

/** A data directory as a host of the service has it, with one firing alert in metrics.db. */
function serviceHost(name: string, firedAt: string): string {
  const dataDir = path.join(dir.dir, name);
  const files = createAtlasFiles(dataDir);
  files.metrics.prepare("INSERT INTO alerts (name, status, message, fired_at) VALUES ('replica_lag', 'firing', 'Replica behind', ?)").run(firedAt);
  files.metrics.close();
  files.persistence.close();
  return dataDir;
}

async function replica(name: string, dataDir: string): Promise<RunningBot> {
  const config = buildConfig(
    dataDir,
    { channels: { incidents: CHANNEL }, responders: { users: ['U0ONCALL1'] }, delivery: { postsPerSecond: 100, burst: 100, leaseSeconds: 1 } },
    { SLACK_API_URL: slack.apiUrl, PORT: 0, STATE_DATABASE_URL: database.url, ATLAS_REPLICA_NAME: name },
  );
  const bot = await startBot({ config, logger: createLogger('silent', captureLogs()), credentials: { botToken: DEFAULT_BOT.token, signingSecret: 'pg-test-signing-secret-abcdef' }, host: '127.0.0.1' });
  bots.push(bot);
  return bot;
}

/** The alert's top-level posts in the channel. */
const alertPosts = () =>
  slack.workspace.messages(CHANNEL).filter((m) => (m.metadata as { event_payload?: { anchor?: string } } | undefined)?.event_payload?.anchor === 'alert:replica_lag:1');

beforeEach(async () => {
  dir = tempDir();
  database = await createTestDatabase();
  slack = await startSlackStandIn();
});
afterEach(async () => {
  for (const b of bots.splice(0)) await b.stop();
  await slack.close();
  await database.drop();
  dir.cleanup();
});

describe('replicas with the state in PostgreSQL', () => {
  it('post an alert both read from metrics.db once, name each other in /healthz and doctor, and hand the jobs over when one stops', async () => {
    const firedAt = new Date().toISOString().replace('T', ' ').slice(0, 19);
    const a = await replica('bot-a', serviceHost('host-a', firedAt));
    const b = await replica('bot-b', serviceHost('host-b', firedAt));
    const far = await replica('bot-far', path.join(dir.dir, 'not-mounted'));

    // Both read the same alert at the same moment, outside any lease (as the terminal does): the
    // state's uniqueness decides, and the clock's jobs on all three replicas change nothing to it.
    await Promise.all([pollMetricsAlerts(a.deps), pollMetricsAlerts(b.deps), pollMetricsAlerts(a.deps), pollMetricsAlerts(b.deps)]);
    await Promise.all([a.tick(), b.tick(), far.tick()]);
    await eventually(() => alertPosts().length >= 1, 'the alert in the channel', WAIT_MS);
    await eventually(async () => (await a.deps.state.outbox.stats(new Date())).pending === 0, 'the outbox to empty', WAIT_MS);
    expect(alertPosts()).toHaveLength(1);

    const seen = await health(a);
    expect(seen.state).toEqual({ engine: 'postgresql', reachable: true });
    expect(seen.replicas.map((r) => [r.name, r.reachesData, r.self])).toEqual([
      ['bot-a', true, true],
      ['bot-b', true, false],
      ['bot-far', false, false],
    ]);
    // Each job that reads the service's data is held by one replica that reaches it.
    const holders = (h: Health, job: string) => h.replicas.filter((r) => r.leases.includes(job)).map((r) => r.name);
    expect(holders(seen, 'alerts')).toHaveLength(1);
    expect(holders(seen, 'alerts')[0]).not.toBe('bot-far');
    const line = (await doctor(far.deps)).find((i) => i.key === 'replicas');
    expect(line?.level).toBe('ok');
    expect(line?.detail).toMatch(/^bot-a on .*: reaches the service data.* · bot-far \(this one\) on .*: no service data( \(runs [^)]*\))?$/);

    // The holder of the alert poll stops; the other replica that reaches the data takes it at its next tick.
    const holder = holders(seen, 'alerts')[0] === 'bot-a' ? a : b;
    const other = holder === a ? b : a;
    await holder.stop();
    bots.splice(bots.indexOf(holder), 1);
    await other.tick();
    const after = await health(other);
    expect(holders(after, 'alerts')).toEqual([holder === a ? 'bot-b' : 'bot-a']);
    expect(after.replicas.map((r) => r.name)).toEqual([holder === a ? 'bot-b' : 'bot-a', 'bot-far']);
  }, 180_000);
});
