/**
 * `rotation.source: pagerduty` through nock answering `GET /oncalls` as PagerDuty documents it:
 * who is on call now and next from the cached spans, shift changes at the primary schedule's
 * boundaries (a handoff falls due at one), a 500 and a timeout keeping the last answer marked
 * stale (and `oncall` saying so), unmapped users as nobody (logged once), and the config refusals.
 * Users not in pagerduty.users are found by email through nock answering `GET /users/{id}` as
 * PagerDuty does (test/fixtures/pagerduty/user.json) and users.lookupByEmail as Slack does.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { webApi } from '@slack/bolt';
import nock from 'nock';
import type { Logger } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { createRegistry } from '../../src/commands/index.js';
import { buildConfig, ConfigError, loadConfig } from '../../src/config.js';
import type { HandoffRow } from '../../src/db/state/handoff-store.js';
import { pagerdutyApi } from '../../src/integrations/pagerduty-api.js';
import { EMAIL_RETRY_MS, pagerdutyRotation, type PagerDutyRotation } from '../../src/integrations/pagerduty-rotation.js';
import { slackLookupByEmail, type PagerDutyUserLookups } from '../../src/integrations/pagerduty-users.js';
import { dueHandoff } from '../../src/oncall/handoff-schedule.js';
import { boundedClientOptions, silentSlackLogger } from '../../src/slack/slack-clients.js';
import { renderedAnswer } from '../helpers/rendered-answer.js';
import { BOUND_MS as PD_BOUND_MS, NEVER_MS } from '../helpers/busy-machine.js';
import { tempDir, testDeps, TEST_NOW } from '../helpers/test-deps.js';
import { writeFileSync } from 'node:fs';

const API = 'https://pagerduty.example.test';
const TOKEN = 'u+abcdefghijklmnopqrst';
const PRIMARY = 'PSCHED1';
const SECONDARY = 'PSCHED2';
const USERS = { PUSRANN: 'U0ANN', PUSRBOB: 'U0BOB', PUSRDAN: 'U0DAN', PUSREVE: 'U0EVE' };

const entry = (user: string, schedule: string, start: string, end: string) => ({
  escalation_policy: { id: 'PESCPOL', type: 'escalation_policy_reference', summary: 'Shadow Atlas' },
  escalation_level: schedule === PRIMARY ? 1 : 2,
  schedule: { id: schedule, type: 'schedule_reference', summary: schedule === PRIMARY ? 'Primary' : 'Secondary' },
  user: { id: user, type: 'user_reference', summary: user.slice(4), self: `${API}/users/${user}`, html_url: `https://example.pagerduty.com/users/${user}` },
  start,
  end,
});

// TEST_NOW is Thursday 2026-11-26 12:00 UTC. Primary changes Mondays 09:00: ANN, BOB, then CAT
// (not in pagerduty.users); the secondary changes Fridays 00:00: DAN, EVE.
const ONCALLS = {
  oncalls: [
    entry('PUSRANN', PRIMARY, '2026-11-23T09:00:00Z', '2026-11-30T09:00:00Z'),
    entry('PUSRDAN', SECONDARY, '2026-11-20T00:00:00Z', '2026-11-27T00:00:00Z'),
    entry('PUSRBOB', PRIMARY, '2026-11-30T09:00:00Z', '2026-12-07T09:00:00Z'),
    entry('PUSREVE', SECONDARY, '2026-11-27T00:00:00Z', '2026-12-04T00:00:00Z'),
    entry('PUSRCAT', PRIMARY, '2026-12-07T09:00:00Z', '2026-12-14T09:00:00Z'),
    // The same span again, through a second escalation policy.
    entry('PUSRBOB', PRIMARY, '2026-11-30T09:00:00Z', '2026-12-07T09:00:00Z'),
  ],
  limit: 100,
  offset: 0,
  more: false,
  total: null,
};

const oncalls = () =>
  nock(API, { reqheaders: { authorization: `Token token=${TOKEN}`, accept: 'application/vnd.pagerduty+json;version=2' } }).get((uri) => {
    if (!uri.startsWith('/oncalls?')) return false;
    const q = new URL(uri, API).searchParams;
    return (
      q.getAll('schedule_ids[]').join(',') === `${PRIMARY},${SECONDARY}` &&
      q.get('since') === new Date(Date.parse(clock().toISOString()) - 86_400_000).toISOString() &&
      q.get('until') === new Date(Date.parse(clock().toISOString()) + 28 * 86_400_000).toISOString()
    );
  });

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());

let clock: ReturnType<typeof manualClock>;
let logger: Logger & { warn: ReturnType<typeof vi.fn> };
let rotation: PagerDutyRotation;

function config(extra: Record<string, unknown> = {}) {
  return buildConfig('/nonexistent', { rotation: { source: 'pagerduty' }, pagerduty: { users: USERS, schedules: { primary: PRIMARY, secondary: SECONDARY } }, ...extra }, { PAGERDUTY_TOKEN: TOKEN, PAGERDUTY_API_URL: API });
}

beforeEach(() => {
  clock = manualClock(TEST_NOW);
  logger = { warn: vi.fn(), info: vi.fn() } as unknown as typeof logger;
  rotation = pagerdutyRotation({ config: config(), fetch: (...a) => globalThis.fetch(...a), clock, logger, timeoutMs: PD_BOUND_MS });
});
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

const at = (iso: string) => new Date(iso);

describe('rotation.source: pagerduty', () => {
  it('says who is on call now and next from the on-calls answer; shift changes are the primary schedule bounds', async () => {
    expect(await rotation.at(clock())).toBeNull();
    oncalls().reply(200, ONCALLS);
    await rotation.refresh();
    expect(rotation.stale).toBeNull();
    const now = (await rotation.at(clock()))!;
    expect(now).toMatchObject({ primary: 'U0ANN', secondary: 'U0DAN', until: at('2026-11-27T00:00:00Z') });
    expect(now.shift).toMatchObject({ start: at('2026-11-23T09:00:00Z'), end: at('2026-11-30T09:00:00Z'), scheduled: { primary: 'U0ANN', secondary: 'U0DAN' } });
    expect(await rotation.at(at('2026-11-28T12:00:00Z'))).toMatchObject({ primary: 'U0ANN', secondary: 'U0EVE', until: at('2026-11-30T09:00:00Z') });
    expect(await rotation.at(at('2026-11-30T09:00:00Z'))).toMatchObject({ primary: 'U0BOB', secondary: 'U0EVE' });
    expect(rotation.nextShiftChange(clock())).toEqual(at('2026-11-30T09:00:00Z'));
    expect(rotation.shiftChanges(clock(), at('2026-12-31T00:00:00Z'))).toEqual([at('2026-11-30T09:00:00Z'), at('2026-12-07T09:00:00Z'), at('2026-12-14T09:00:00Z')]);
    expect((await rotation.shifts(clock(), at('2026-12-08T00:00:00Z'))).map((s) => [s.start.toISOString(), s.scheduled.primary])).toEqual([
      ['2026-11-23T09:00:00.000Z', 'U0ANN'],
      ['2026-11-30T09:00:00.000Z', 'U0BOB'],
      ['2026-12-07T09:00:00.000Z', null],
    ]);
    // Past the last span PagerDuty answered for, nobody is known.
    expect(await rotation.at(at('2026-12-20T00:00:00Z'))).toBeNull();
    expect(rotation.nextShiftChange(at('2026-12-20T00:00:00Z'))).toBeNull();
  });

  it('makes one call for refreshes asked at the same moment (the start, the job, the terminal waiting)', async () => {
    let calls = 0;
    const counted = pagerdutyRotation({ config: config(), fetch: (...a) => ((calls += 1), globalThis.fetch(...a)), clock, logger, timeoutMs: PD_BOUND_MS });
    oncalls().reply(200, ONCALLS);
    await Promise.all([counted.refresh(), counted.refresh(), counted.refresh()]);
    expect(calls).toBe(1);
    expect((await counted.at(clock()))?.primary).toBe('U0ANN');
    // Once answered, the next refresh asks again.
    oncalls().reply(200, ONCALLS);
    await counted.refresh();
    expect(calls).toBe(2);
  });

  it('keeps an unmapped PagerDuty user as nobody, logged once', async () => {
    oncalls().reply(200, ONCALLS);
    await rotation.refresh();
    expect((await rotation.at(at('2026-12-08T00:00:00Z')))?.primary).toBeNull();
    await rotation.at(at('2026-12-09T00:00:00Z'));
    await rotation.shifts(clock(), at('2026-12-31T00:00:00Z'));
    const unmapped = logger.warn.mock.calls.filter(([fields]) => (fields as { pdUser?: string }).pdUser === 'PUSRCAT');
    expect(unmapped).toHaveLength(1);
    expect(unmapped[0]![1]).toMatch(/not in pagerduty\.users/);
  });

  it('lets a handoff fall due at a PagerDuty shift boundary', async () => {
    oncalls().reply(200, ONCALLS);
    await rotation.refresh();
    const settled = { shift_start: '2026-11-23T09:00:00.000Z', status: 'posted' } as HandoffRow;
    const history = { get: async () => null, latestSettled: async () => settled };
    expect(await dueHandoff(rotation, history, at('2026-11-30T08:59:00Z'))).toEqual({ kind: 'none' });
    expect(await dueHandoff(rotation, history, at('2026-11-30T09:00:30Z'))).toEqual({ kind: 'post', shiftChange: at('2026-11-30T09:00:00Z'), late: false, skipped: [] });
  });

  it('keeps the last answer on a 500 and on a timeout, says since when it is stale, and is fresh again when PagerDuty answers', async () => {
    oncalls().reply(200, ONCALLS);
    await rotation.refresh();
    clock.advance(60_000);
    oncalls().reply(500, { error: { message: 'Internal Server Error', code: 2001 } });
    await rotation.refresh();
    expect(rotation.stale).toEqual({ since: at('2026-11-26T12:01:00Z') });
    expect((await rotation.at(clock()))?.primary).toBe('U0ANN');
    clock.advance(60_000);
    oncalls().delay(NEVER_MS).reply(200, ONCALLS);
    await rotation.refresh();
    expect(rotation.stale).toEqual({ since: at('2026-11-26T12:01:00Z') });
    expect((await rotation.at(clock()))?.primary).toBe('U0ANN');
    clock.advance(60_000);
    oncalls().reply(429, { error: { message: 'Rate Limit Exceeded', code: 2020 } });
    await rotation.refresh();
    expect(rotation.stale).toEqual({ since: at('2026-11-26T12:01:00Z') });
    expect(logger.warn).toHaveBeenCalledTimes(1);
    clock.advance(60_000);
    oncalls().reply(200, ONCALLS);
    await rotation.refresh();
    expect(rotation.stale).toBeNull();
  });

  it('oncall says when PagerDuty has not answered and that the answer is the last known', async () => {
    oncalls().reply(200, ONCALLS);
    await rotation.refresh();
    clock.set('2026-11-26T10:42:00Z');
    oncalls().reply(503, '');
    await rotation.refresh();
    clock.set(TEST_NOW);
    const t = tempDir();
    const env = testDeps(path.join(t.dir, '.shadow-atlas'), { rotation, file: { responders: { users: ['U0LEAD'] } } });
    try {
      const registry = createRegistry(createAuthorizer(env.deps.config, undefined, undefined, async () => await env.deps.rotation.at(env.clock())));
      const r = await renderedAnswer(registry, env.deps, 'oncall', { source: 'slack', userId: 'U0LEAD', channelId: 'C0INCIDENT' });
      expect(r.headline).toMatch(/^On call now: primary <@U0ANN>, secondary <@U0DAN>;.* \(PagerDuty not reachable since 10:42 UTC; last known\)$/);
      expect(r.outcome).toBe('warn');
    } finally {
      await env.close();
      t.cleanup();
    }
  });
});

describe('rotation.source: pagerduty, for the permission tiers', () => {
  it("counts PagerDuty's schedule and a remediator's override, never an override someone set for their own shift", async () => {
    const span = { from: at('2026-11-26T00:00:00Z'), until: at('2026-11-27T00:00:00Z') };
    const withOverrides = pagerdutyRotation({
      config: config(),
      fetch: (...a) => globalThis.fetch(...a),
      clock,
      logger,
      timeoutMs: 200,
      overrides: async () => [
        { id: 1, user: 'U0GUS', role: 'primary', ...span, by: 'U0ANN', authority: 'own-shift' },
        { id: 2, user: 'U0FAY', role: 'secondary', ...span, by: 'U0LEAD', authority: 'remediator' },
      ],
    });
    oncalls().reply(200, ONCALLS);
    await withOverrides.refresh();
    expect(await withOverrides.at(clock())).toMatchObject({ primary: 'U0GUS', secondary: 'U0FAY', bySchedule: { primary: 'U0ANN', secondary: 'U0DAN' } });
    const authorizer = createAuthorizer(
      buildConfig('/nonexistent', { responders: { users: ['U0LEAD'] }, remediators: { users: ['U0LEAD'], onCall: 'primary-and-secondary' } }),
      undefined,
      undefined,
      async () => await withOverrides.at(clock()),
    );
    const may = async (userId: string, tier: 'incident' | 'remediate') => (await authorizer.decide({ source: 'slack', userId, channelId: 'C0INCIDENT' }, tier, 'backup')).allowed;
    expect(await may('U0ANN', 'remediate')).toBe(true);
    expect(await may('U0GUS', 'remediate')).toBe(false);
    expect(await may('U0GUS', 'incident')).toBe(false);
    expect(await may('U0FAY', 'remediate')).toBe(true);
    expect(await may('U0DAN', 'remediate')).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// By email: GET /users/{id}, then Slack's users.lookupByEmail

const SLACK = 'https://slack.example.test';
const BOT_TOKEN = 'xoxb-test-0123456789';

/** PagerDuty's GET /users/{id} answer (the fixture) for another user. */
function pdUserAnswer(id: string, name: string, email: string) {
  const body = JSON.parse(readFileSync(path.join(import.meta.dirname, '../fixtures/pagerduty/user.json'), 'utf8')) as { user: Record<string, unknown> };
  return { user: { ...body.user, id, summary: name, name, email, self: `${API}/users/${id}`, html_url: `https://example.pagerduty.com/users/${id}` } };
}
/** Slack's users.lookupByEmail answer for a user found. */
const slackUserAnswer = (id: string, email: string) => ({
  ok: true,
  user: {
    id,
    team_id: 'T0ATLAS',
    name: email.split('@')[0],
    deleted: false,
    real_name: 'Cat Ops',
    tz: 'Europe/Berlin',
    tz_label: 'Central European Time',
    tz_offset: 3600,
    profile: { real_name: 'Cat Ops', display_name: 'cat', email, team: 'T0ATLAS' },
    is_admin: false,
    is_owner: false,
    is_bot: false,
    is_app_user: false,
    updated: 1764158400,
  },
});

const userRequest = (id: string) => nock(API, { reqheaders: { authorization: `Token token=${TOKEN}`, accept: 'application/vnd.pagerduty+json;version=2' } }).get(`/users/${id}`);
const lookupByEmail = (email: string) =>
  nock(SLACK, { reqheaders: { authorization: `Bearer ${BOT_TOKEN}` } }).post('/api/users.lookupByEmail', (body: Record<string, unknown>) => body.email === email);

describe('rotation.source: pagerduty, users found by email', () => {
  /** Requests nock had nothing for: a lookup that should not have been made. */
  let unexpected: string[];
  const noMatch = (req: { method?: string; path?: string; url?: string; href?: string }) => unexpected.push(`${req.method ?? ''} ${req.href ?? req.url ?? req.path ?? ''}`);
  let asked: { emails: string[]; slack: string[] };

  /** The rotation as the bot builds it: emails from PagerDuty's REST API, Slack users through a WebClient. */
  function withLookups(users: Record<string, string> = USERS) {
    const cfg = config({ pagerduty: { users, schedules: { primary: PRIMARY, secondary: SECONDARY } } });
    const fetchFn: typeof fetch = (...a) => globalThis.fetch(...a);
    const pd = pagerdutyApi({ config: cfg, fetch: fetchFn, timeoutMs: PD_BOUND_MS });
    const slack = new webApi.WebClient(BOT_TOKEN, boundedClientOptions(`${SLACK}/api/`, silentSlackLogger, 1_000));
    const byEmail = slackLookupByEmail(() => slack);
    const lookups: PagerDutyUserLookups = {
      emailOf: (id) => (asked.emails.push(id), pd.userEmail(id)),
      slackUserByEmail: (email) => (asked.slack.push(email), byEmail(email)),
    };
    return pagerdutyRotation({ config: cfg, fetch: fetchFn, clock, logger, timeoutMs: PD_BOUND_MS, lookups });
  }
  const catShift = at('2026-12-08T00:00:00Z');
  const catWarnings = () => logger.warn.mock.calls.filter(([fields, msg]) => (fields as { pdUser?: string }).pdUser === 'PUSRCAT' && /nobody is named/.test(String(msg)));

  beforeEach(() => {
    unexpected = [];
    asked = { emails: [], slack: [] };
    nock.emitter.on('no match', noMatch);
  });
  afterEach(() => {
    nock.emitter.removeListener('no match', noMatch);
    expect(unexpected).toEqual([]);
  });

  it('names an on-call user not in pagerduty.users through their PagerDuty email and users.lookupByEmail', async () => {
    const r = withLookups();
    oncalls().reply(200, ONCALLS);
    userRequest('PUSRCAT').reply(200, pdUserAnswer('PUSRCAT', 'Cat Ops', 'cat@example.org'));
    lookupByEmail('cat@example.org').reply(200, slackUserAnswer('U0CAT', 'cat@example.org'));
    await r.refresh();
    expect((await r.at(catShift))?.primary).toBe('U0CAT');
    expect((await r.shifts(clock(), at('2026-12-31T00:00:00Z'))).map((s) => s.scheduled.primary)).toEqual(['U0ANN', 'U0BOB', 'U0CAT']);
    // Only the one user not in the map was looked up, and only once.
    expect(asked).toEqual({ emails: ['PUSRCAT'], slack: ['cat@example.org'] });
    expect(catWarnings()).toEqual([]);
    // Found is kept: the next refresh asks neither PagerDuty's users nor Slack again.
    clock.advance(EMAIL_RETRY_MS + 60_000);
    oncalls().reply(200, ONCALLS);
    await r.refresh();
    expect((await r.at(catShift))?.primary).toBe('U0CAT');
    expect(asked.emails).toEqual(['PUSRCAT']);
  });

  it('uses pagerduty.users before any email: nothing is looked up for mapped users', async () => {
    const r = withLookups({ ...USERS, PUSRCAT: 'U0MAPPED' });
    oncalls().reply(200, ONCALLS);
    await r.refresh();
    expect((await r.at(catShift))?.primary).toBe('U0MAPPED');
    expect(await r.at(clock())).toMatchObject({ primary: 'U0ANN', secondary: 'U0DAN' });
    expect(asked).toEqual({ emails: [], slack: [] });
  });

  it('keeps a user whose email matches no Slack user as nobody, and asks again only after 10 minutes', async () => {
    const r = withLookups();
    oncalls().reply(200, ONCALLS);
    userRequest('PUSRCAT').reply(200, pdUserAnswer('PUSRCAT', 'Cat Ops', 'cat@example.org'));
    lookupByEmail('cat@example.org').reply(200, { ok: false, error: 'users_not_found' });
    await r.refresh();
    expect((await r.at(catShift))?.primary).toBeNull();
    expect((await r.at(clock()))?.primary).toBe('U0ANN');
    expect(catWarnings()).toHaveLength(1);
    expect(catWarnings()[0]![1]).toMatch(/not in pagerduty\.users and not matched by email/);
    // Every minute's refresh within the 10 minutes: no lookup (nock has none to answer).
    for (let minute = 1; minute < EMAIL_RETRY_MS / 60_000; minute++) {
      clock.advance(60_000);
      oncalls().reply(200, ONCALLS);
      await r.refresh();
    }
    expect(asked).toEqual({ emails: ['PUSRCAT'], slack: ['cat@example.org'] });
    expect((await r.at(catShift))?.primary).toBeNull();
    // Ten minutes after the miss it is asked again; meanwhile they joined Slack.
    clock.advance(60_000);
    oncalls().reply(200, ONCALLS);
    userRequest('PUSRCAT').reply(200, pdUserAnswer('PUSRCAT', 'Cat Ops', 'cat@example.org'));
    lookupByEmail('cat@example.org').reply(200, slackUserAnswer('U0CAT', 'cat@example.org'));
    await r.refresh();
    expect(asked.emails).toEqual(['PUSRCAT', 'PUSRCAT']);
    expect((await r.at(catShift))?.primary).toBe('U0CAT');
    // Said once, whatever the refreshes.
    expect(catWarnings()).toHaveLength(1);
  });

  it('keeps a user as nobody when PagerDuty answers GET /users with a 500 or not in time; mapped users are still named', async () => {
    const r = withLookups();
    oncalls().reply(200, ONCALLS);
    userRequest('PUSRCAT').reply(500, { error: { message: 'Internal Server Error', code: 2001 } });
    await r.refresh();
    expect(r.stale).toBeNull();
    expect((await r.at(catShift))?.primary).toBeNull();
    expect(await r.at(clock())).toMatchObject({ primary: 'U0ANN', secondary: 'U0DAN' });
    expect(await r.at(at('2026-11-30T09:00:00Z'))).toMatchObject({ primary: 'U0BOB', secondary: 'U0EVE' });
    expect(asked.slack).toEqual([]);
    const failed = logger.warn.mock.calls.find(([fields]) => (fields as { pdUser?: string }).pdUser === 'PUSRCAT' && (fields as { err?: unknown }).err);
    expect(String((failed![0] as { err: Error }).err.message)).toMatch(/PagerDuty answered 500/);

    // Ten minutes on it is asked again; PagerDuty does not answer within the bound.
    clock.advance(EMAIL_RETRY_MS);
    oncalls().reply(200, ONCALLS);
    // The answer would come long after the test's own timeout: refresh() returning at all is the bound at work.
    userRequest('PUSRCAT').delay(NEVER_MS).reply(200, pdUserAnswer('PUSRCAT', 'Cat Ops', 'cat@example.org'));
    await r.refresh();
    expect(asked).toEqual({ emails: ['PUSRCAT', 'PUSRCAT'], slack: [] });
    expect(r.stale).toBeNull();
    expect((await r.at(catShift))?.primary).toBeNull();
    expect(await r.at(clock())).toMatchObject({ primary: 'U0ANN', secondary: 'U0DAN' });
  });
});

describe('config', () => {
  it('refuses rotation.source pagerduty without schedules or a token, naming the key', () => {
    const t = tempDir();
    const load = (yaml: string, env: NodeJS.ProcessEnv = { PAGERDUTY_TOKEN: TOKEN }) => {
      writeFileSync(path.join(t.dir, 'atlas.config.yml'), yaml);
      return loadConfig(env, t.dir);
    };
    try {
      expect(() => load('rotation:\n  source: pagerduty\n')).toThrow(
        new ConfigError('atlas.config.yml: pagerduty.schedules: the PagerDuty schedule IDs ({ primary: P…, secondary: P… }) when rotation.source is pagerduty'),
      );
      expect(() => load('rotation:\n  source: opsgenie\n')).toThrow('atlas.config.yml: rotation.source: config (the rotation below) or pagerduty (pagerduty.schedules)');
      expect(() => load('pagerduty:\n  schedules:\n    primary: primary\n')).toThrow('atlas.config.yml: pagerduty.schedules.primary: a PagerDuty schedule ID such as PI7DH85');
      const yaml = 'rotation:\n  source: pagerduty\npagerduty:\n  schedules:\n    primary: PSCHED1\n';
      expect(() => load(yaml, {})).toThrow(new ConfigError('environment: PAGERDUTY_TOKEN: a PagerDuty REST API key when rotation.source is pagerduty'));
      const ok = load(yaml);
      expect(ok.rotation?.source).toBe('pagerduty');
      expect(ok.env.PAGERDUTY_API_URL).toBe('https://api.pagerduty.com');
      expect(config().env.PAGERDUTY_API_URL).toBe(API);
    } finally {
      t.cleanup();
    }
  });
});
