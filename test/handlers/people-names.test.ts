/**
 * Names, not ids, wherever people read outside Slack (issue 17 §5), and the review draft's
 * "Actions Taken" each once (§4). The bot asks Slack (users.info on the Slack stand-in, through
 * the app's real client) and keeps the names in chatops.db with the time it asked; the terminal
 * (runCli, no Slack at all) names whoever the bot has seen. Inside Slack, mentions stay <@U…>.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { createRegistry } from '../../src/commands/index.js';
import { declareIncident } from '../../src/incidents/declare.js';
import { addNote, changeSeverity, postStatusUpdate } from '../../src/incidents/incident-changes.js';
import { resolveIncident } from '../../src/incidents/resolution.js';
import { NAME_TTL_MS } from '../../src/slack/people-names.js';
import { usergroupMembers } from '../../src/slack/usergroup-members.js';
import { workspacePeople } from '../../src/slack/workspace-people.js';
import { startDeliveryHarness, type DeliveryHarness } from '../helpers/delivery-harness.js';
import { startHarness, TEST_USER, type Harness } from '../helpers/slack-harness.js';
import { createAtlasFiles, tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';

const CHANNEL = 'C0INCIDENT';
const BOBBY = 'U0ONCALL2';
const TESSA = 'U0TECHLEAD';
/** Nobody in the workspace: Slack answers user_not_found. */
const GHOST = 'U0GHOST99';
const GITHUB = 'https://github.example.test';
const REPO = 'voter-protocol/shadow-atlas';
const CONFIG = {
  channels: { incidents: CHANNEL, handoff: 'C0HANDOFF' },
  responders: { users: [TEST_USER, BOBBY, GHOST] },
  escalation: { techLead: TESSA },
  rotation: { handoff: '0 0 * * 1', start: '2026-01-05', primary: [TEST_USER, BOBBY] },
  github: { repo: REPO },
};

let dir: { dir: string; cleanup: () => void };
let dataDir: string;
let atlas: { metrics: Database.Database; persistence: Database.Database };
let env: TestEnv;
let d: DeliveryHarness;
let h: Harness;

beforeEach(async () => {
  dir = tempDir();
  dataDir = path.join(dir.dir, '.shadow-atlas');
  atlas = createAtlasFiles(dataDir);
  env = testDeps(dataDir, { file: CONFIG });
  d = await startDeliveryHarness(env);
  let client: Harness['app']['app']['client'] | null = null;
  const registry = createRegistry(createAuthorizer(env.deps.config, usergroupMembers(() => client)));
  // As the bot wires it (src/bot.ts): users.info through the app's client, before the app is built.
  env.deps.userName = workspacePeople(() => client, () => env.clock().getTime()).name;
  h = await startHarness({ deps: env.deps, registry, slack: d.slack });
  client = h.app.app.client;
});

afterEach(async () => {
  nock.cleanAll();
  await h.close();
  await d.close();
  await env.close();
  atlas.metrics.close();
  atlas.persistence.close();
  dir.cleanup();
});

/** An incident worked by alice (U0ONCALL1), bobby and someone Slack does not know; escalated to tessa; resolved. */
async function workedIncident(): Promise<string> {
  const { incident } = await declareIncident(env.deps, { title: 'proofs failing', severity: 'P1', actorId: TEST_USER });
  await postStatusUpdate(env.deps, incident.id, { summary: 'Looking', completed: '- Checked the gateways' }, TEST_USER);
  env.clock.advance(5 * 60_000);
  // Each update carries the list forward, as people do: the item is still one action.
  await postStatusUpdate(env.deps, incident.id, { summary: 'Still looking', completed: '- Checked the gateways\n- Restarted the prover' }, BOBBY);
  await changeSeverity(env.deps, incident.id, 'P0', TEST_USER);
  await changeSeverity(env.deps, incident.id, 'P1', TEST_USER);
  const own = await h.command(`own ${incident.id} <@${BOBBY}|bobby>`);
  expect((await own.answer()).text).toContain(`<@${BOBBY}> now owns ${incident.id}.`);
  const esc = await h.command(`escalate ${incident.id} techlead --need "a decision on rollback"`);
  await esc.answer();
  await addNote(env.deps, incident.id, 'Alert on prover restarts', GHOST);
  await resolveIncident(env.deps, incident.id, { resolution: 'rolled back' }, BOBBY);
  return incident.id;
}

async function atlasCli(argv: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const code = await runCli(argv, { env: { ATLAS_DATA_DIR: '.shadow-atlas', ATLAS_CONFIG: 'atlas.config.yml' }, cwd: dir.dir, stdout: (s) => (stdout += s), stderr: () => undefined });
  return { code, stdout };
}

describe('the review draft names people and lists each action once', () => {
  it('in Slack: display names from users.info, the ID only for someone Slack does not know', async () => {
    const id = await workedIncident();
    const review = await h.command(`review ${id}`);
    const md = JSON.stringify((await review.answer()).blocks);
    expect(md).toContain('**Owner**: bobby');
    expect(md).toMatch(/\| \d\d:\d\d \| alice \| Declared P1/);
    expect(md).toContain('Owner alice → bobby');
    expect(md).toContain('Escalated to the tech lead (tessa)');
    expect(md).toContain(`(noted by ${GHOST}`);
    for (const id of [TEST_USER, BOBBY, TESSA]) expect(md).not.toContain(id);

    const section = md.slice(md.indexOf('## Actions Taken'), md.indexOf('## Root Cause'));
    expect(section.match(/Checked the gateways/g)).toHaveLength(1);
    expect(section.match(/Severity/g)).toHaveLength(1);
    expect(section).toContain('Severity P1 → P0 → P1 (back where it started)');
    expect(section).not.toMatch(/- •|• •/);
    // What was asked is kept, with when.
    expect(await env.deps.state.people.get(TEST_USER)).toEqual({ user_id: TEST_USER, name: 'alice', fetched_at: env.clock().toISOString() });
  });

  it('inside Slack the escalation message keeps mentions, one bullet per action', async () => {
    const id = await workedIncident();
    await d.delivery.drain();
    const posted = (await env.deps.state.slackMessages.get((await env.deps.state.incidents.get(id))!.anchor))!;
    const escalation = d.slack.workspace.replies(posted.channel, posted.ts).find((m) => m.text.includes('escalated'))!;
    const text = JSON.stringify(escalation.blocks);
    expect(text).toContain(`<@${TESSA}> - Escalating`);
    expect(text).toContain(`Owner <@${TEST_USER}> → <@${BOBBY}>`);
    expect(text).not.toContain('• •');
  });

  it('in the terminal, without Slack: the names the bot has seen, even past their expiry; the ID for the never seen', async () => {
    const id = await workedIncident();
    await (await h.command(`review ${id}`)).answer();
    writeFileSync(path.join(dir.dir, 'atlas.config.yml'), JSON.stringify(CONFIG));
    const review = await atlasCli(['review', id]);
    expect(review.code).toBe(0);
    expect(review.stdout).toContain('**Owner**: bobby');
    expect(review.stdout).toContain('Owner alice → bobby');
    expect(review.stdout).toContain(`noted by ${GHOST}`);
    expect(review.stdout).not.toContain(TEST_USER);
    const handoff = await atlasCli(['handoff', '--markdown']);
    expect(handoff.code).toBe(0);
    expect(handoff.stdout).toMatch(/^# On-Call Handoff: (alice|bobby) → (alice|bobby)\n/);
    expect(handoff.stdout).not.toContain(`@${TEST_USER}`);
  });

  it('asks Slack again once a name has expired, and takes the new one', async () => {
    const id = await workedIncident();
    await (await h.command(`review ${id}`)).answer();
    // A copy: the stand-in's people are shared by every test.
    const users = d.slack.workspace.directory.users;
    users.set(TEST_USER, { ...users.get(TEST_USER)!, name: 'ally' });
    env.clock.advance(NAME_TTL_MS / 2);
    expect(JSON.stringify((await (await h.command(`review ${id}`)).answer()).blocks)).toContain('Owner alice → bobby');
    env.clock.advance(NAME_TTL_MS);
    expect(JSON.stringify((await (await h.command(`review ${id}`)).answer()).blocks)).toContain('Owner ally → bobby');
  });

  it('the GitHub issue names people too', async () => {
    const id = await workedIncident();
    env.deps.config.env.GITHUB_TOKEN = `ghp_${'a'.repeat(36)}`;
    env.deps.config.env.GITHUB_API_URL = `${GITHUB}/api/v3`;
    const created = JSON.parse(readFileSync(path.join(import.meta.dirname, '../fixtures/github/issue-created.json'), 'utf8')) as object;
    let body = '';
    nock(GITHUB)
      .post(`/api/v3/repos/${REPO}/issues`, (b: { body: string }) => {
        body = b.body;
        return true;
      })
      .reply(201, created);
    const filed = await h.command(`review-issue ${id}`);
    expect((await filed.answer()).text).toContain('Filed');
    expect(body).toContain('**Owner**: bobby');
    expect(body).toContain('Owner alice → bobby');
    expect(body).not.toContain(TEST_USER);
  });
});
