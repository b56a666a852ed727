/**
 * Create GitHub issue through signed Slack requests: `/atlas review` offers it under the draft,
 * a press files the issue (GitHub answered by nock), the thread gets the checklist item ticked
 * with the link, a second press links the same issue; a refusal and GitHub off are one sentence.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { declareIncident } from '../../src/incidents/declare.js';
import { REVIEW_ISSUE_ACTION } from '../../src/templates/github-messages.js';
import { startSlackEnv, type SlackEnv } from '../helpers/slack-env.js';
import { TEST_USER } from '../helpers/slack-harness.js';

const INCIDENTS = 'C0INCIDENT';
const REPO = 'voter-protocol/shadow-atlas';
const API = 'https://github.example.test';
const ISSUES = `/api/v3/repos/${REPO}/issues`;
const CREATED = JSON.parse(readFileSync(path.join(import.meta.dirname, '../fixtures/github/issue-created.json'), 'utf8')) as { html_url: string };
const ERRORS = JSON.parse(readFileSync(path.join(import.meta.dirname, '../fixtures/github/errors.json'), 'utf8')) as Record<string, object>;

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterAll(() => nock.enableNetConnect());

let se: SlackEnv;
let incidentId: string;

async function start(github: boolean): Promise<void> {
  se = await startSlackEnv({ file: { channels: { incidents: INCIDENTS }, responders: { users: [TEST_USER] }, ...(github ? { github: { repo: REPO } } : {}) } });
  if (github) se.env.deps.config.env.GITHUB_TOKEN = `ghp_${'b'.repeat(36)}`;
  se.env.deps.config.env.GITHUB_API_URL = `${API}/api/v3`;
  incidentId = (await declareIncident(se.env.deps, { title: 'Provider down', severity: 'P1', actorId: TEST_USER })).incident.id;
}

afterEach(async () => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  await se.close();
  expect(pending).toEqual([]);
});

type Button = { action_id: string; value: string; text: { text: string } };
const buttonsOf = (blocks: unknown) => ((blocks ?? []) as { type: string; elements?: Button[] }[]).flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []));

describe('Create GitHub issue', () => {
  beforeEach(() => start(true));

  it('is offered under the review draft, files the issue once, ticks the item in the thread; a second press links it', async () => {
    const review = await (await se.h.command(`review ${incidentId}`, { channel: INCIDENTS })).answer();
    const offered = buttonsOf(review.blocks).find((b) => b.action_id === REVIEW_ISSUE_ACTION);
    expect(offered).toMatchObject({ value: incidentId, text: { text: 'Create GitHub issue' } });

    nock(API).post(ISSUES).once().reply(201, CREATED);
    const first = await (await se.h.press(REVIEW_ISSUE_ACTION, incidentId, { channel: INCIDENTS })).answer();
    expect(first.text).toContain(`Filed ${REPO}#201 for the post-incident review of ${incidentId}`);
    await se.d.delivery.drain();
    const card = se.d.slack.workspace.messages(INCIDENTS)[0]!;
    const thread = JSON.stringify(se.d.slack.workspace.replies(INCIDENTS, card.ts));
    expect(thread).toContain(`✅ Create GitHub issue for post-incident review: <${CREATED.html_url}|${REPO}#201>`);

    const second = await (await se.h.press(REVIEW_ISSUE_ACTION, incidentId, { channel: INCIDENTS })).answer();
    expect(second.text).toContain(`review issue is ${REPO}#201 already`);
  });

  it('a refusal from GitHub is one sentence to the presser; Slack keeps working', async () => {
    nock(API).post(ISSUES).reply(401, ERRORS['401']);
    const a = await (await se.h.press(REVIEW_ISSUE_ACTION, incidentId, { channel: INCIDENTS })).answer();
    expect(a.text).toContain(`GitHub refused the token (401): set GITHUB_TOKEN to a valid token with Issues read and write on ${REPO}.`);
    expect((await (await se.h.command('incidents', { channel: INCIDENTS })).answer()).text).toContain('1 open incident');
  });

  it('is refused to a reader', async () => {
    const a = await (await se.h.press(REVIEW_ISSUE_ACTION, incidentId, { channel: INCIDENTS, user: 'U0READER' })).answer();
    expect(a.text).toContain('for responders');
  });
});

describe('Create GitHub issue without GitHub', () => {
  beforeEach(() => start(false));

  it('says what to set', async () => {
    const a = await (await se.h.press(REVIEW_ISSUE_ACTION, incidentId, { channel: INCIDENTS })).answer();
    expect(a.text).toContain('GitHub is not set up: set GITHUB_TOKEN');
    expect(a.text).toContain('github.repo (owner/name)');
  });
});
