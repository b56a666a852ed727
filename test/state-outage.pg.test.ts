/**
 * The bot with its state in PostgreSQL while PostgreSQL goes away and comes back (a restart or
 * failover as the bot sees it: its connections dropped, new ones refused, through a relay the
 * test cuts): /healthz says so and still answers, a slash command is acknowledged with "try again
 * in a moment", the clock's jobs fail and go on, and afterwards everything resumes with nothing
 * lost or doubled.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBot, type RunningBot } from '../src/bot.js';
import { buildConfig } from '../src/config.js';
import { STATE_UNREACHABLE_ANSWER } from '../src/db/state/state-unreachable.js';
import { createLogger } from '../src/logger.js';
import { DEFAULT_BOT, startSlackStandIn, type SlackStandIn } from '../src/sandbox/slack-stand-in.js';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.js';
import { captureLogs, eventually, FORM, slackSignature, slashCommandBody } from './helpers/slack-harness.js';
import { tcpCut, type TcpCut } from './helpers/tcp-cut.js';
import { createAtlasFiles, tempDir } from './helpers/test-deps.js';

const CHANNEL = 'C0INCIDENT';
const SECRET = 'outage-test-signing-secret-abcdef';
const WAIT_MS = 60_000;

let dir: ReturnType<typeof tempDir>;
let database: TestDatabase;
let slack: SlackStandIn;
let relay: TcpCut;
let bot: RunningBot | null = null;

beforeEach(async () => {
  dir = tempDir();
  database = await createTestDatabase();
  slack = await startSlackStandIn();
  const u = new URL(database.url);
  relay = await tcpCut({ host: u.hostname, port: Number(u.port || 5432) });
});
afterEach(async () => {
  await bot?.stop();
  bot = null;
  await relay.close();
  await slack.close();
  await database.drop();
  dir.cleanup();
});

interface Health {
  status: string;
  state: { engine: string; reachable: boolean; problem?: string };
}
const health = async (b: RunningBot) => (await (await fetch(`http://127.0.0.1:${b.port}/healthz`)).json()) as Health;

const alertPosts = (name: string) =>
  slack.workspace.messages(CHANNEL).filter((m) => (m.metadata as { event_payload?: { anchor?: string } } | undefined)?.event_payload?.anchor === `alert:${name}:1`);

describe('PostgreSQL going away and coming back under a running bot', () => {
  it('says so on /healthz, answers a slash command "try again in a moment", keeps running, and posts what fired meanwhile once', async () => {
    const dataDir = path.join(dir.dir, '.shadow-atlas');
    const files = createAtlasFiles(dataDir);
    const fire = (name: string) =>
      files.metrics.prepare("INSERT INTO alerts (name, status, message, fired_at) VALUES (?, 'firing', 'Replica behind', ?)").run(name, new Date().toISOString().replace('T', ' ').slice(0, 19));
    const u = new URL(database.url);
    u.host = `127.0.0.1:${relay.port}`;
    const config = buildConfig(
      dataDir,
      { channels: { incidents: CHANNEL }, responders: { users: ['U0ONCALL1'] }, delivery: { postsPerSecond: 100, burst: 100, leaseSeconds: 1 } },
      { SLACK_API_URL: slack.apiUrl, PORT: 0, STATE_DATABASE_URL: u.toString(), ATLAS_REPLICA_NAME: 'bot-a' },
    );
    bot = await startBot({ config, logger: createLogger('silent', captureLogs()), credentials: { botToken: DEFAULT_BOT.token, signingSecret: SECRET }, host: '127.0.0.1' });
    const b = bot;
    fire('before_outage');
    await b.tick();
    await eventually(() => alertPosts('before_outage').length === 1, 'the first alert in the channel', WAIT_MS);
    expect((await health(b)).state).toEqual({ engine: 'postgresql', reachable: true });

    relay.cut();
    const down = await eventually(async () => {
      const h = await health(b);
      return h.state.reachable ? undefined : h;
    }, '/healthz to say the state store is unreachable', WAIT_MS);
    expect(down.status).toBe('degraded');
    expect(down.state.problem).toMatch(/^state store unreachable: PostgreSQL (could not be read|did not answer within 2 s)$/);

    const body = slashCommandBody('incidents');
    const res = await fetch(`http://127.0.0.1:${b.port}/slack/events`, { method: 'POST', headers: { 'content-type': FORM, ...slackSignature(SECRET, body) }, body });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ response_type: 'ephemeral', text: STATE_UNREACHABLE_ANSWER });

    // An alert fires during the outage: the poll fails, the bot goes on.
    fire('during_outage');
    const outcomes = (await b.tick()) as Record<string, string>;
    expect(outcomes['alerts']).toBe('failed');

    relay.restore();
    await eventually(async () => (await health(b)).state.reachable, '/healthz to say the state store answers again', WAIT_MS);
    expect((await health(b)).status).toBe('ok');
    await eventually(async () => {
      await b.tick();
      return alertPosts('during_outage').length === 1;
    }, 'the alert that fired during the outage in the channel', WAIT_MS);
    await eventually(async () => (await b.deps.state.outbox.stats(new Date())).pending === 0, 'the outbox to empty', WAIT_MS);
    await b.tick();
    expect(alertPosts('before_outage')).toHaveLength(1);
    expect(alertPosts('during_outage')).toHaveLength(1);
    files.metrics.close();
    files.persistence.close();
  }, 180_000);
});
