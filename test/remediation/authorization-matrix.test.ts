/**
 * The authorization matrix, through signed slash commands: every remediation × a reader, a
 * responder who is not a remediator, a remediator, whoever is on call, and a remediator in the
 * wrong channel. Refused ones change nothing and are in the audit log; allowed ones get past the
 * gate (a preview, or the remediation's own refusal about the data).
 */
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { createRegistry } from '../../src/commands/index.js';
import { remediationCommandList } from '../../src/commands/remediation-list.js';
import { startHarness, type Harness } from '../helpers/slack-harness.js';
import { createAtlasFiles, tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';

const CHANNEL = 'C0INCIDENT';
const ELSEWHERE = 'C0RANDOM';
const READER = 'U0READER';
const RESPONDER = 'U0RESPONDER';
const REMEDIATOR = 'U0TECHLEAD';
const ON_CALL = 'U0ONCALL1';

/** A well-formed invocation of each remediation (the gate is after the arguments are read). */
const SAMPLE: Record<string, string> = {
  'alert clear': 'alert clear disk_low',
  'alert ack': 'alert ack disk_low',
  'job cancel': 'job cancel job-mx23u1hc-743d5eda',
  'job mark-partial': 'job mark-partial job-mx23u1hc-743d5eda',
  'job resume': 'job resume job-mx23u1hc-743d5eda',
  'stop-jobs': 'stop-jobs',
  backup: 'backup persistence',
  'backup restore': 'backup restore persistence-2026-11-26T12-00-00Z.db',
  'snapshot rollback': 'snapshot rollback',
  'snapshot set-cid': 'snapshot set-cid snapshot-1 bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy',
  'snapshot upload': 'snapshot upload',
  'emergency corruption': 'emergency corruption',
};

let dir: { dir: string; cleanup: () => void };
let atlas: { metrics: Database.Database; persistence: Database.Database };
let env: TestEnv;
let h: Harness;

beforeAll(async () => {
  dir = tempDir();
  const dataDir = path.join(dir.dir, '.shadow-atlas');
  atlas = createAtlasFiles(dataDir);
  env = testDeps(dataDir, {
    file: {
      channels: { incidents: CHANNEL },
      responders: { users: [RESPONDER, REMEDIATOR] },
      // ON_CALL is in no list: only the rotation, with remediators.onCall, makes them a remediator
      // (test/remediation/oncall-authorization.test.ts: without it, being on call grants nothing).
      remediators: { users: [REMEDIATOR], onCall: 'primary' },
      rotation: { start: '2026-11-02', primary: [ON_CALL] },
    },
  });
  h = await startHarness({ deps: env.deps, registry: createRegistry(createAuthorizer(env.deps.config, undefined, undefined, async () => await env.deps.rotation.at(env.clock()))) });
});

afterAll(async () => {
  await h.close();
  await env.close();
  atlas.metrics.close();
  atlas.persistence.close();
  dir.cleanup();
});

const lastRun = () => env.db.prepare('SELECT command, user_id, channel_id, outcome FROM command_runs ORDER BY id DESC LIMIT 1').get() as Record<string, string>;
const lastAudit = () => env.db.prepare('SELECT command, user_id, outcome FROM audit_log ORDER BY id DESC LIMIT 1').get() as Record<string, string> | undefined;

describe('who may run each remediation, and where', () => {
  const names = remediationCommandList.map((c) => c.name).filter((n) => n !== 'confirm');

  it('has a sample for every remediation', () => {
    expect(names.filter((n) => !(n in SAMPLE))).toEqual([]);
    expect(remediationCommandList.every((c) => c.tier === 'remediate')).toBe(true);
  });

  it.each(Object.keys(SAMPLE))('%s: refused to a reader, a responder who is not a remediator and the wrong channel; past the gate for a remediator and for whoever is on call', async (name) => {
    const text = SAMPLE[name]!;
    for (const [user, channel] of [
      [READER, CHANNEL],
      [RESPONDER, CHANNEL],
      [REMEDIATOR, ELSEWHERE],
    ] as const) {
      const answer = await (await h.command(text, { user, channel })).answer();
      expect(answer.text, `${name} as ${user} in ${channel}`).toMatch(/changes Shadow Atlas data: it may be run by|where the team sees it/);
      expect(lastRun()).toMatchObject({ command: name, user_id: user, channel_id: channel, outcome: 'denied' });
      expect(lastAudit()).toEqual({ command: name, user_id: user, outcome: 'refused' });
    }
    for (const user of [REMEDIATOR, ON_CALL]) {
      const answer = await (await h.command(text, { user, channel: CHANNEL })).answer();
      expect(lastRun(), `${name} as ${user}: ${answer.text}`).toMatchObject({ command: name, user_id: user });
      expect(['denied', 'usage']).not.toContain(lastRun().outcome);
    }
  });
});
