/**
 * The handoff's clock with an injected clock over real files: the reminder and the post at their
 * minute and not before, exactly once across ticks, restarts and two schedulers on one
 * chatops.db, and the catch-up after downtime across one and several shift changes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runHandoffs } from '../../src/handoff/run-handoffs.js';
import { publishDailyAuditHead } from '../../src/handoff/daily-audit-head.js';
import { testDeps, type TestEnv } from '../helpers/test-deps.js';
import { incidentConfig, ONCALL, openIncidentEnv, OTHER, type IncidentEnv } from '../helpers/incident-env.js';

const HANDOFF = 'C0HANDOFF';
/** Weekly, the guide's Monday 00:00 UTC; TEST_NOW (Thu 2026-11-26 12:00) is in the shift from Mon 11-23, OTHER's as primary. */
const CONFIG = incidentConfig({
  channels: { incidents: 'C0INCIDENT', handoff: HANDOFF },
  rotation: { start: '2026-11-02', primary: [ONCALL, OTHER], secondary: [OTHER, ONCALL] },
});
const MONDAY = new Date('2026-11-30T00:00:00.000Z');
const MS = 1;

let ie: IncidentEnv;
const env = () => ie.env;
const setClock = (at: Date | string) => env().clock.set(new Date(at));
const rows = () => env().db.prepare('SELECT shift_start, status, late, skipped, outgoing, incoming, reminded_at FROM handoffs ORDER BY shift_start').all() as Record<string, unknown>[];
const queued = (channel: string) =>
  (env().db.prepare("SELECT payload FROM outbox WHERE channel = ? AND op = 'post' ORDER BY id").all(channel) as { payload: string }[]).map((r) => JSON.parse(r.payload) as { text: string; blocks: unknown[] });
const textOf = (m: { text: string; blocks: unknown[] }) => `${m.text}\n${JSON.stringify(m.blocks)}`;

beforeEach(() => {
  ie = openIncidentEnv(CONFIG);
});
afterEach(async () => {
  await ie.close();
});

describe('runHandoffs', () => {
  it('starts counting at its first start mid-shift, reminds the outgoing primary an hour before, and posts at the minute, once', async () => {
    // First start, three days into the shift: nothing to catch up.
    expect(await runHandoffs(env().deps)).toEqual({ reminded: null, posted: null, baseline: new Date('2026-11-23T00:00:00.000Z') });
    expect(queued(HANDOFF)).toEqual([]);

    setClock(new Date(MONDAY.getTime() - 60 * 60_000 - 1000));
    expect((await runHandoffs(env().deps)).reminded).toBeNull();
    setClock(new Date(MONDAY.getTime() - 60 * 60_000));
    expect((await runHandoffs(env().deps)).reminded).toEqual(MONDAY);
    expect((await runHandoffs(env().deps)).reminded).toBeNull();
    const dm = queued(OTHER);
    expect(dm).toHaveLength(1);
    expect(dm[0]!.text).toContain('Your shift ends at 2026-11-30 00:00 UTC (in 1 h)');
    expect(textOf(dm[0]!)).toContain('atlas_handoff_notes');

    setClock(new Date(MONDAY.getTime() - MS));
    expect((await runHandoffs(env().deps)).posted).toBeNull();
    expect(queued(HANDOFF)).toEqual([]);
    setClock(MONDAY);
    expect((await runHandoffs(env().deps)).posted).toEqual(MONDAY);
    setClock(new Date(MONDAY.getTime() + 15_000));
    expect((await runHandoffs(env().deps)).posted).toBeNull();
    const posts = queued(HANDOFF);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.text).toContain('On-Call Handoff');
    expect(textOf(posts[0]!)).toContain(`<@${OTHER}>`);
    expect(textOf(posts[0]!)).not.toContain('Posted late');
    expect(rows().find((r) => r.shift_start === MONDAY.toISOString())).toMatchObject({ status: 'posted', late: 0, outgoing: OTHER, incoming: ONCALL });

    // Delivered: one handoff in #ops-handoff, one DM to the outgoing primary.
    const h = await ie.deliver();
    expect(h.slack.workspace.messages(HANDOFF)).toHaveLength(1);
    const dmChannel = h.slack.workspace.calls('conversations.open').map((c) => c.answer?.channel as { id: string } | undefined)[0]?.id;
    expect(dmChannel).toMatch(/^D/);
    expect(h.slack.workspace.messages(dmChannel!)).toHaveLength(1);
  });

  it('posts on a first start within minutes of the shift change', async () => {
    setClock(new Date(MONDAY.getTime() + 3 * 60_000));
    const run = await runHandoffs(env().deps);
    expect(run.posted).toEqual(MONDAY);
    expect(textOf(queued(HANDOFF)[0]!)).toContain('Posted late');
  });

  it('posts a handoff missed while the bot was down when it is back, marked late with its time', async () => {
    await runHandoffs(env().deps);
    setClock('2026-11-30T05:00:00.000Z');
    expect((await runHandoffs(env().deps)).posted).toEqual(MONDAY);
    const post = textOf(queued(HANDOFF)[0]!);
    expect(post).toContain('Posted late: scheduled for 2026-11-30 00:00 UTC');
    expect(post).toContain('2026-11-30 00:00 UTC');
    expect(rows().find((r) => r.shift_start === MONDAY.toISOString())).toMatchObject({ status: 'posted', late: 1, skipped: null });
  });

  it('after downtime across several shift changes posts only the latest, naming those skipped', async () => {
    await runHandoffs(env().deps);
    setClock('2026-12-15T03:00:00.000Z');
    expect((await runHandoffs(env().deps)).posted).toEqual(new Date('2026-12-14T00:00:00.000Z'));
    expect(queued(HANDOFF)).toHaveLength(1);
    const post = textOf(queued(HANDOFF)[0]!);
    expect(post).toContain('2026-11-30');
    expect(post).toContain('2026-12-07');
    expect(rows().map((r) => [r.shift_start, r.status])).toEqual([
      ['2026-11-23T00:00:00.000Z', 'baseline'],
      ['2026-11-30T00:00:00.000Z', 'skipped'],
      ['2026-12-07T00:00:00.000Z', 'skipped'],
      ['2026-12-14T00:00:00.000Z', 'posted'],
    ]);
    expect((await runHandoffs(env().deps)).posted).toBeNull();
  });

  it('does not post again after a restart', async () => {
    await runHandoffs(env().deps);
    setClock(MONDAY);
    await runHandoffs(env().deps);
    const dataDir = ie.dataDir;
    await ie.env.close();
    ie.env = testDeps(dataDir, { file: CONFIG });
    setClock(new Date(MONDAY.getTime() + 30_000));
    expect(await runHandoffs(env().deps)).toEqual({ reminded: null, posted: null, baseline: null });
    expect(queued(HANDOFF)).toHaveLength(1);
  });

  it('posts once with two schedulers on one chatops.db at the same tick', async () => {
    await runHandoffs(env().deps);
    const second: TestEnv = testDeps(ie.dataDir, { file: CONFIG });
    try {
      setClock(MONDAY);
      second.clock.set(MONDAY);
      const runs = await Promise.all([runHandoffs(env().deps), runHandoffs(second.deps), runHandoffs(env().deps), runHandoffs(second.deps)]);
      expect(runs.filter((r) => r.posted !== null)).toHaveLength(1);
      expect(queued(HANDOFF)).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  it("posts the outgoing engineer's notes, including those saved while the data was gathered", async () => {
    await runHandoffs(env().deps);
    setClock(new Date(MONDAY.getTime() - 30 * 60_000));
    await env().deps.state.transaction(async (tx) => await tx.handoffs.saveNotes(MONDAY, 'Watch the TIGER retries; the 03:00 batch is paused.', OTHER, env().clock()));
    setClock(MONDAY);
    await runHandoffs(env().deps);
    expect(textOf(queued(HANDOFF)[0]!)).toContain('Watch the TIGER retries');
    // Once it is out, notes wait for the next one.
    expect(await env().deps.state.handoffs.saveNotes(MONDAY, 'too late', OTHER, env().clock())).toBe(false);
  });

  it('posts nothing and reminds nobody without a handoff channel', async () => {
    await ie.env.close();
    ie.env = testDeps(ie.dataDir, { file: { ...CONFIG, channels: { incidents: 'C0INCIDENT' } } });
    setClock(MONDAY);
    expect(await runHandoffs(env().deps)).toEqual({ reminded: null, posted: null, baseline: null });
    expect(rows()).toEqual([]);
  });

  it('is posted on time with the gap said when the rotation names someone who left, or the reminder could not be delivered', async () => {
    await ie.env.close();
    // U0GONE is in no workspace: the stand-in refuses its DM, and users.info says user_not_found.
    ie.env = testDeps(ie.dataDir, { file: { ...CONFIG, rotation: { start: '2026-11-02', primary: [ONCALL, 'U0GONE'], secondary: [OTHER, ONCALL] } } });
    const h = await ie.deliver();
    ie.harness = undefined;
    await h.close();
    const harness = await ie.deliver();
    env().deps.userExists = async (id) => harness.slack.workspace.directory.users.has(id);
    await runHandoffs(env().deps);
    setClock(new Date(MONDAY.getTime() - 60 * 60_000));
    expect((await runHandoffs(env().deps)).reminded).toEqual(MONDAY);
    await harness.delivery.drain();
    expect(env().db.prepare("SELECT last_error, failed_at IS NOT NULL AS failed FROM outbox WHERE channel = 'U0GONE'").get()).toEqual({ last_error: 'user_not_found', failed: 1 });
    setClock(MONDAY);
    expect((await runHandoffs(env().deps)).posted).toEqual(MONDAY);
    const post = textOf(queued(HANDOFF)[0]!);
    expect(post).toContain('<@U0GONE> (outgoing primary) is not in the workspace any more');
    expect(post).toContain('The notes reminder to <@U0GONE> could not be delivered (Slack: user_not_found)');
    expect(post).toContain('the rotation names someone who left');
    expect(post).not.toContain('All clear');
  });
});

/** Issue 18 §8: the audit chain's head published where chatops.db cannot rewrite it. */
describe('the audit chain head in #ops-handoff', () => {
  const append = async (n: number) =>
    await env().deps.state.audit.append({ source: 'slack', userId: ONCALL, channelId: 'C0INCIDENT', command: 'job cancel', args: JSON.stringify([`job-${n}`]), outcome: 'applied', plan: null, result: null, undo: null }, env().clock());

  it('each handoff post carries the head, recorded as published in the transaction that queues it', async () => {
    await append(1);
    const head = await append(2);
    await runHandoffs(env().deps);
    setClock(MONDAY);
    expect((await runHandoffs(env().deps)).posted).toEqual(MONDAY);
    const post = queued(HANDOFF)[0]!;
    expect(textOf(post)).toContain(`Audit chain head: #2 · ${head.hash} · check: \`/atlas audit verify --head 2:${head.hash}\``);
    expect(await env().deps.state.audit.lastPublished()).toMatchObject({ occasion: `handoff:${MONDAY.toISOString()}`, seq: 2, hash: head.hash });
    // verify checks against it: cutting row #2 (and sqlite_sequence, and the head file) fails.
    env().db.exec("DELETE FROM audit_log WHERE id = 2; UPDATE sqlite_sequence SET seq = 1 WHERE name = 'audit_log'");
    expect(await env().deps.state.audit.verify()).toMatchObject({ ok: false, rowId: 2 });
  });

  it('posts a daily line once per UTC day, whichever tick or process gets there first', async () => {
    const head = await append(1);
    expect(await publishDailyAuditHead(env().deps)).toBe('2026-11-26');
    expect(await publishDailyAuditHead(env().deps)).toBeNull();
    const other = testDeps(ie.dataDir, { file: CONFIG });
    try {
      other.clock.set(env().clock());
      expect(await publishDailyAuditHead(other.deps)).toBeNull();
    } finally {
      await other.close();
    }
    const lines = queued(HANDOFF);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.text).toBe(`🔗 Audit chain head: #1 · ${head.hash} · check: \`/atlas audit verify --head 1:${head.hash}\` (daily, 2026-11-26)`);
    setClock('2026-11-27T00:00:05.000Z');
    await append(2);
    expect(await publishDailyAuditHead(env().deps)).toBe('2026-11-27');
    expect(queued(HANDOFF)).toHaveLength(2);
    expect(await env().deps.state.audit.lastPublished()).toMatchObject({ occasion: 'daily:2026-11-27', seq: 2 });
  });
});
