/**
 * Issue 18 §7 in one process: "confirmed — starting" is committed before a remediation runs,
 * with a run held by a lease; a run whose lease ran out with no outcome (its process died) is
 * reported once, in the incident channel (through the outbox) and in the audit log, as
 * "outcome unknown: check X"; a run still going (its lease renewed) is not. The SIGKILL itself
 * is in test/remediation-processes.test.ts.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reportInterruptedRuns, startRun } from '../../src/remediation/remediation-runs.js';
import { auditLine } from '../../src/templates/audit-report.js';
import type { AuditRow } from '../../src/db/state/audit-store.js';
import { eventually } from '../helpers/slack-harness.js';
import { createAtlasFiles, tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';

const CHANNEL = 'C0INCIDENT';
let dir: { dir: string; cleanup: () => void };
let env: TestEnv;

beforeEach(() => {
  dir = tempDir();
  const dataDir = path.join(dir.dir, '.shadow-atlas');
  const files = createAtlasFiles(dataDir);
  files.metrics.close();
  files.persistence.close();
  env = testDeps(dataDir, { file: { channels: { incidents: CHANNEL }, delivery: { leaseSeconds: 1 } } });
});
afterEach(async () => {
  await env.close();
  dir.cleanup();
});

const start = async () =>
  await startRun(env.deps, { source: 'slack', userId: 'U0ANN', channelId: CHANNEL, command: 'job resume', args: JSON.stringify({ id: 'job-1' }), plan: JSON.stringify({ summary: 'resume' }), checkHint: '`jobs` (is the job running again?)' });
const outcomes = () => (env.db.prepare('SELECT outcome, result FROM audit_log ORDER BY id').all() as { outcome: string; result: string }[]).map((r) => [r.outcome, r.result]);
const told = () => (env.db.prepare("SELECT channel, payload FROM outbox WHERE op = 'post' ORDER BY id").all() as { channel: string; payload: string }[]).map((r) => ({ channel: r.channel, text: (JSON.parse(r.payload) as { text: string }).text }));

describe('interrupted remediations', () => {
  it('commits "confirmed — starting" at once, and reports a run whose process died once, as outcome unknown with what to check', async () => {
    const run = await start();
    expect(outcomes()).toEqual([['started', 'confirmed — starting']]);
    // The process dies: nothing renews its lease any more.
    run.release();
    expect(await reportInterruptedRuns(env.deps)).toBe(0);
    env.clock.advance(1500);
    expect(await reportInterruptedRuns(env.deps)).toBe(1);
    expect(await reportInterruptedRuns(env.deps)).toBe(0);
    expect(outcomes()[1]).toEqual(['unknown', 'check `jobs` (is the job running again?) (started at 2026-11-26T12:00:00.000Z, audit #1; the bot stopped before its outcome was written)']);
    expect(told()).toEqual([{ channel: CHANNEL, text: '`job resume`: outcome unknown: check `jobs` (is the job running again?)' }]);
    const row = env.db.prepare('SELECT * FROM audit_log WHERE id = 2').get() as AuditRow;
    expect(auditLine(row)).toContain("job resume id=job-1 · outcome unknown: check 'jobs' (is the job running again?)");
  });

  it('leaves a run whose process is alive alone: its lease is renewed while it runs, and its outcome ends it', async () => {
    const run = await start();
    env.clock.advance(1500);
    // A renewal comes within a third of the lease (real time).
    await eventually(() => (env.db.prepare('SELECT lease_until FROM remediation_runs').get() as { lease_until: string }).lease_until > env.clock().toISOString() || undefined, 'the lease renewed', 10_000);
    expect(await reportInterruptedRuns(env.deps)).toBe(0);
    await env.deps.state.transaction(async (tx) => await tx.remediationRuns.end(run.auditId, env.clock()));
    run.release();
    env.clock.advance(60_000);
    expect(await reportInterruptedRuns(env.deps)).toBe(0);
    expect(told()).toEqual([]);
  });
});
