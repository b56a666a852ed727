/**
 * GitHub through nock, answering as GitHub does (test/fixtures/github): the review issue filed
 * once (201, a second run links it, two runs at once file one), a crash between the call and
 * 'created' reconciled by the marker, each refusal and the rate limits as one sentence, a
 * timeout; runbook feedback; the handoff's GitHub section (issues listed, pull requests skipped,
 * GitHub down is a gap sentence).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ALL_COMMANDS } from '../../../src/commands/index.js';
import type { Actor } from '../../../src/commands/command-spec.js';
import { doctor } from '../../../src/checks/doctor.js';
import { declareIncident } from '../../../src/incidents/declare.js';
import { gitHubClient } from '../../../src/integrations/github/github-client.js';
import { fileReviewIssue, REVIEW_CLAIM_STALE_MS } from '../../../src/integrations/github/review-issue.js';
import { gatherHandoff } from '../../../src/handoff/gather-handoff.js';
import { isGap } from '../../../src/oncall/handoff-content.js';
import { handoffMarkdown } from '../../../src/templates/handoff-markdown.js';
import { handoffMessage } from '../../../src/templates/handoff-message.js';
import type { Report } from '../../../src/templates/report.js';
import { tempDir, testDeps, TEST_NOW, type TestEnv } from '../../helpers/test-deps.js';
import { BOUND_MS, NEVER_MS } from '../../helpers/busy-machine.js';

const API = 'https://github.example.test';
const PREFIX = '/api/v3';
const REPO = 'voter-protocol/shadow-atlas';
const ISSUES = `${PREFIX}/repos/${REPO}/issues`;
const TOKEN = `ghp_${'a'.repeat(36)}`;
const USER = 'U0RESPOND1';
const fixture = (name: string): object => JSON.parse(readFileSync(path.join(import.meta.dirname, '../../fixtures/github', name), 'utf8'));
const ERRORS = fixture('errors.json') as Record<string, object>;
const CREATED = fixture('issue-created.json') as { number: number; html_url: string };
const RATE_HEADERS = { 'x-ratelimit-limit': '5000', 'x-ratelimit-used': '5000', 'x-ratelimit-resource': 'core' };

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterAll(() => nock.enableNetConnect());

let env: TestEnv;
let cleanup: () => Promise<void>;
let incidentId: string;

async function setUp(github: object | null, token: string | null = TOKEN): Promise<void> {
  const t = tempDir('github-');
  const dataDir = path.join(t.dir, '.shadow-atlas');
  mkdirSync(dataDir, { recursive: true });
  env = testDeps(dataDir, { file: { responders: { users: [USER] }, ...(github ? { github } : {}) } });
  if (token) env.deps.config.env.GITHUB_TOKEN = token;
  env.deps.config.env.GITHUB_API_URL = `${API}${PREFIX}`;
  cleanup = async () => {
    await env.close();
    t.cleanup();
  };
  incidentId = (await declareIncident(env.deps, { title: 'Provider down', severity: 'P1', actorId: USER })).incident.id;
}

beforeEach(async () => await setUp({ repo: REPO }));
afterEach(async () => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  await cleanup();
  expect(pending).toEqual([]);
});

const actor: Actor = { source: 'slack', userId: USER, channelId: 'C0INCIDENT' };
async function run(name: string, raw: Record<string, unknown>): Promise<Report> {
  const spec = ALL_COMMANDS.find((c) => c.name === name)!;
  return spec.run(spec.args.parse(raw), env.deps, actor);
}
const github = () => nock(API);
const outboxTexts = () => (env.db.prepare('SELECT payload FROM outbox ORDER BY id').all() as { payload: string | null }[]).map((r) => r.payload ?? '').join('\n');

describe('review-issue', () => {
  it('files the review draft once (201): labels, marker, token; the link on the timeline, in the thread, the row created', async () => {
    let sent: { title: string; body: string; labels: string[] } | undefined;
    github()
      .post(ISSUES, (b: { title: string; body: string; labels: string[] }) => {
        sent = b;
        return true;
      })
      .matchHeader('authorization', `token ${TOKEN}`)
      .reply(201, CREATED, { 'content-type': 'application/json; charset=utf-8', location: `${API}/repos/${REPO}/issues/201` });
    const r = await run('review-issue', { _: [incidentId] });
    expect(r.level).toBe('ok');
    expect(r.headline).toBe(`Filed ${REPO}#201 for the post-incident review of ${incidentId}: ${CREATED.html_url}`);
    expect(sent!.labels).toEqual(['incident', 'post-incident']);
    expect(sent!.title).toBe(`Post-incident review: ${incidentId} (P1) Provider down`);
    expect(sent!.body).toContain(`# Incident Report: ${incidentId} Provider down`);
    expect(sent!.body.trimEnd().endsWith(`<!-- atlas:${incidentId} -->`)).toBe(true);
    expect(await env.deps.state.githubIssues.get(incidentId)).toMatchObject({ state: 'created', number: 201, html_url: CREATED.html_url, repo: REPO });
    expect((await env.deps.state.timeline.list(incidentId)).map((e) => e.text)).toContain(`GitHub issue ${REPO}#201 filed for the post-incident review: ${CREATED.html_url}`);
    expect(outboxTexts()).toContain(`✅ Create GitHub issue for post-incident review: <${CREATED.html_url}|${REPO}#201>`);
  });

  it('a second run links the existing issue without a second POST', async () => {
    github().post(ISSUES).once().reply(201, CREATED);
    await run('review-issue', { _: [incidentId] });
    const again = await run('review-issue', { _: [incidentId] });
    expect(again.headline).toBe(`${incidentId}'s review issue is ${REPO}#201 already: ${CREATED.html_url}`);
    expect((await env.deps.state.timeline.list(incidentId)).filter((e) => e.kind === 'review-issue')).toHaveLength(1);
  });

  it('two runs at once file one issue: the second finds the first filing', async () => {
    github().post(ISSUES).once().delay(150).reply(201, CREATED);
    const [a, b] = await Promise.all([run('review-issue', { _: [incidentId] }), run('review-issue', { _: [incidentId] })]);
    const headlines = [a.headline, b.headline].sort();
    expect(headlines[0]).toContain(`Filed ${REPO}#201`);
    expect(headlines[1]).toContain('is being filed by a press moments ago');
  });

  it('a crash between the call and "created" is reconciled by the marker: found, linked, not filed again', async () => {
    // The crashed attempt: claimed, GitHub made the issue, the bot died before recording it.
    await env.deps.state.githubIssues.claim(incidentId, REPO, env.clock(), new Date(0));
    env.clock.advance(REVIEW_CLAIM_STALE_MS + 1000);
    let since: string | null = null;
    github()
      .get(ISSUES)
      .query((q) => {
        since = String(q.since);
        return q.state === 'all';
      })
      .reply(200, [...(fixture('issues-open-incident-ops.json') as object[]), CREATED]);
    const r = await run('review-issue', { _: [incidentId] });
    expect(r.headline).toContain(`Found ${REPO}#201, filed for ${incidentId} by an earlier attempt that was cut short`);
    expect(new Date(since!).getTime()).toBeLessThan(new Date(TEST_NOW).getTime());
    expect((await env.deps.state.githubIssues.get(incidentId))?.state).toBe('created');
    expect(outboxTexts()).toContain(`${REPO}#201`);
  });

  it('a crashed attempt GitHub never saw: nothing carries the marker, so it files', async () => {
    await env.deps.state.githubIssues.claim(incidentId, REPO, env.clock(), new Date(0));
    env.clock.advance(REVIEW_CLAIM_STALE_MS + 1000);
    github().get(ISSUES).query(true).reply(200, fixture('issues-open-incident-ops.json'));
    github().post(ISSUES).reply(201, CREATED);
    expect((await run('review-issue', { _: [incidentId] })).headline).toContain(`Filed ${REPO}#201`);
  });

  const refusals: [string, number, object, Record<string, string>, string][] = [
    ['401', 401, ERRORS['401']!, {}, `GitHub refused the token (401): set GITHUB_TOKEN to a valid token with Issues read and write on ${REPO}.`],
    ['403', 403, ERRORS['403']!, { 'x-ratelimit-remaining': '4990' }, `GitHub denied the token access to ${REPO} (403) (GitHub: "Resource not accessible by personal access token"): give it Issues read and write`],
    ['404', 404, ERRORS['404']!, {}, `GitHub does not find ${REPO} (404): check github.repo, and that GITHUB_TOKEN can see that repository.`],
    ['410', 410, ERRORS['410']!, {}, `Issues are turned off in ${REPO} (410): turn them on in the repository's settings, or point github.repo at another repository.`],
    ['422', 422, ERRORS['422']!, {}, 'GitHub refused the issue (422) (GitHub: "Validation Failed: name invalid post incident"): check the labels in the config (github.reviewLabels)'],
    [
      'a used-up rate limit (403)',
      403,
      ERRORS['403-rate']!,
      { ...RATE_HEADERS, 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(new Date('2026-11-26T12:25:00Z').getTime() / 1000)) },
      "GitHub's rate limit for this token is used up (403); try again after 12:25 UTC",
    ],
    ['a secondary rate limit (429, retry-after)', 429, ERRORS['429-secondary']!, { 'retry-after': '120' }, "GitHub's rate limit for this token is used up (429); try again after"],
    ['a server error (502)', 502, { message: 'Server Error' }, {}, 'GitHub answered 502'],
  ];
  it.each(refusals)('%s: one sentence to the person; the claim is released (a later run files)', async (_name, status, body, headers, sentence) => {
    github().post(ISSUES).reply(status, body, { 'content-type': 'application/json; charset=utf-8', ...headers });
    const r = await run('review-issue', { _: [incidentId] });
    expect(r.level).toBe('error');
    expect(r.headline).toContain(`${incidentId}'s review issue was not filed: ${sentence}`);
    if (status < 500) {
      expect(await env.deps.state.githubIssues.get(incidentId)).toBeNull();
      github().post(ISSUES).reply(201, CREATED);
      expect((await run('review-issue', { _: [incidentId] })).headline).toContain('Filed');
    }
  });

  it('a timeout: said, the claim kept; the next run after the stale window looks for the issue first', async () => {
    // A bound a busy machine's prompt answers meet; the filing answers later than any test runs.
    const client = gitHubClient(env.deps.config, { timeoutMs: BOUND_MS })!;
    github().post(ISSUES).delay(NEVER_MS).reply(201, CREATED);
    const first = await fileReviewIssue(env.deps, incidentId, USER, client);
    expect(first).toMatchObject({ kind: 'failed' });
    expect(first.kind === 'failed' && first.problem).toContain(`GitHub did not answer within ${BOUND_MS / 1000} s`);
    expect(first.kind === 'failed' && first.problem).toContain('The issue may have been filed: press again after 15 s');
    expect((await env.deps.state.githubIssues.get(incidentId))?.state).toBe('creating');
    expect((await fileReviewIssue(env.deps, incidentId, USER, client)).kind).toBe('busy');
    env.clock.advance(REVIEW_CLAIM_STALE_MS + 1000);
    github().get(ISSUES).query(true).reply(200, [CREATED]);
    expect(await fileReviewIssue(env.deps, incidentId, USER, client)).toMatchObject({ kind: 'found', issue: { number: 201 } });
    nock.abortPendingRequests();
  });

  it('GitHub unreachable: said, naming GITHUB_API_URL', async () => {
    github().post(ISSUES).replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' });
    const r = await run('review-issue', { _: [incidentId] });
    expect(r.headline).toContain('GitHub could not be reached');
    expect(r.headline).toContain('GITHUB_API_URL');
  });
});

describe('without GitHub set up', () => {
  it('review-issue and runbook-feedback say what to set; doctor says GitHub is off', async () => {
    await cleanup();
    await setUp(null, null);
    expect((await run('review-issue', { _: [incidentId] })).headline).toBe(
      'GitHub is not set up: set GITHUB_TOKEN (a token with Issues read and write) and github.repo (owner/name) in the config file. Until then `/atlas review` prints the draft to paste by hand.',
    );
    expect((await run('runbook-feedback', { _: ['x'] })).headline).toContain('GitHub is not set up: set GITHUB_TOKEN');
    const items = await doctor({ ...env.deps });
    expect(items.find((i) => i.key === 'github')?.detail).toMatch(/^off: set GITHUB_TOKEN .* to file review issues/);
  });

  it('doctor says GitHub is on, with the repository', async () => {
    const items = await doctor({ ...env.deps });
    expect(items.find((i) => i.key === 'github')?.detail).toBe(`on: issues in ${REPO} through ${API}${PREFIX}`);
  });
});

describe('runbook-feedback', () => {
  it('files "On-call guide: …" with ops-runbook and documentation, and links it', async () => {
    let sent: { title: string; body: string; labels: string[] } | undefined;
    github()
      .post(ISSUES, (b: { title: string; body: string; labels: string[] }) => {
        sent = b;
        return true;
      })
      .reply(201, fixture('issue-runbook-feedback.json'));
    const r = await run('runbook-feedback', { _: ['the', 'IPFS', 'runbook', 'does', 'not', 'say', 'which', 'gateway', 'to', 'drop'] });
    expect(sent).toMatchObject({ title: 'On-call guide: the IPFS runbook does not say which gateway to drop', labels: ['ops-runbook', 'documentation'] });
    expect(sent!.body).toContain(`while ${incidentId} was open`);
    expect(r.headline).toBe(`Filed ${REPO}#202 "On-call guide: the IPFS runbook does not say which gateway to drop": https://github.com/${REPO}/issues/202`);
  });

  it('a refusal is one sentence', async () => {
    github().post(ISSUES).reply(401, ERRORS['401']);
    expect((await run('runbook-feedback', { _: ['typo'] })).headline).toContain('The feedback was not filed: GitHub refused the token (401)');
  });

  it('refuses empty feedback', () => {
    const spec = ALL_COMMANDS.find((c) => c.name === 'runbook-feedback')!;
    expect(spec.args.safeParse({ _: [] }).success).toBe(false);
  });
});

describe('the handoff lists GitHub incident issues', () => {
  const input = () => ({
    shiftChange: new Date(TEST_NOW),
    outgoing: { primary: USER, secondary: null },
    incoming: { primary: USER, secondary: null },
    notes: null,
    late: null,
    skipped: [],
    now: new Date(TEST_NOW),
  });

  it('open issues labelled incident and ops, pull requests skipped, in the message and the markdown', async () => {
    github()
      .get(ISSUES)
      .query((q) => q.state === 'open' && q.labels === 'incident,ops')
      .reply(200, fixture('issues-open-incident-ops.json'));
    const c = await gatherHandoff({ ...env.deps }, input(), { healthTimeoutMs: 2_000 });
    const s = c.githubIssues!;
    expect(isGap(s)).toBe(false);
    expect(!isGap(s) && s.items.map((i) => i.number)).toEqual([57, 49]);
    const slack = JSON.stringify(handoffMessage(c).blocks);
    expect(slack).toContain(`*GitHub incident issues* in ${REPO}`);
    expect(slack).toContain(`<https://github.com/${REPO}/issues/57|#57> IPFS gateway timeouts since the 14:00 deploy`);
    expect(slack).not.toContain('#58');
    const md = handoffMarkdown(c);
    expect(md).toContain('### GitHub Incident Issues');
    expect(md).toContain(`- [${REPO}\\#49](https://github.com/${REPO}/issues/49) Snapshot 2026-11-20 missing its CID`);
  });

  it('GitHub down: a gap sentence with the guide command, the rest of the handoff there', async () => {
    github().get(ISSUES).query(true).reply(503, { message: 'Service Unavailable' });
    const c = await gatherHandoff({ ...env.deps }, input(), { healthTimeoutMs: 2_000 });
    const s = c.githubIssues!;
    expect(isGap(s) && s.gap).toBe(
      `GitHub's open incident issues could not be read. GitHub answered 503 (GitHub: "Service Unavailable"); try again in a minute. Meanwhile check by hand: \`gh issue list --repo ${REPO} --label "incident,ops" --state open\`.`,
    );
    expect(isGap(c.incidents)).toBe(false);
    expect(c.status.reasons[0]).toMatch(/could not be read/);
    expect(JSON.stringify(handoffMessage(c).blocks)).toContain("GitHub's open incident issues could not be read");
  });

  it('GitHub off: no section', async () => {
    await cleanup();
    await setUp(null, null);
    const c = await gatherHandoff({ ...env.deps }, input(), { healthTimeoutMs: 2_000 });
    expect(c.githubIssues).toBeUndefined();
    expect(JSON.stringify(handoffMessage(c).blocks)).not.toContain('GitHub');
  });
});
