import path from 'node:path';
import Database from 'better-sqlite3';
import { webApi } from '@slack/bolt';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alertKey, getAlert } from '../../src/alerts/alert-store.js';
import {
  acknowledgeAlert,
  addNote,
  attachToTimeline,
  changeOwner,
  changeSeverity,
  declareIncident,
  escalate,
  IncidentInputError,
  incidentTimeline,
  listIncidents,
  markReviewDone,
  nextDeadlineText,
  parseEta,
  postStatusUpdate,
  resolveFiringAlerts,
  resolveIncident,
  reviewDraft,
  setAckDetails,
} from '../../src/incidents/incident-service.js';
import { getIncident, IncidentError } from '../../src/incidents/incident-store.js';
import type { Severity } from '../../src/incidents/severity-matrix.js';
import { scheduleTimer } from '../../src/incidents/timer-plan.js';
import { slackPoster } from '../../src/slack/slack-poster.js';
import { assertBlockKitLimits } from '../../src/templates/block-kit.js';
import { createAtlasFiles, tempDir, TEST_NOW, testDeps } from '../helpers/test-deps.js';

const ONCALL = 'U0ONCALL1';
const OTHER = 'U0ONCALL2';
const TECH_LEAD = 'U0TECHLEAD';
const MIN = 60_000;
const NOW = new Date(TEST_NOW);
const at = (minutes: number) => new Date(NOW.getTime() + minutes * MIN).toISOString();

let cleanup: () => void;
let dataDir: string;
let metrics: Database.Database;
let env: ReturnType<typeof testDeps>;

function setup(file: object = {}) {
  const t = tempDir();
  cleanup = t.cleanup;
  dataDir = path.join(t.dir, '.shadow-atlas');
  const files = createAtlasFiles(dataDir);
  files.persistence.close();
  metrics = files.metrics;
  env = testDeps(dataDir, {
    file: { channels: { incidents: 'C0INCIDENT' }, escalation: { techLead: TECH_LEAD }, responders: { users: [ONCALL, OTHER] }, ...file },
  });
}

beforeEach(() => setup());
afterEach(() => {
  nock.cleanAll();
  env.close();
  metrics.close();
  cleanup();
});

interface AlertFixture {
  name: string;
  severity?: Severity;
  message?: string;
  firedAt?: string;
  status?: 'firing' | 'resolved';
  messageTs?: string;
  symptomId?: string;
}

/** An alert as the ingestion side records it in chatops.db, and the same row in metrics.db. */
function insertAlert(a: AlertFixture): string {
  const key = alertKey(a.name);
  const firedAt = a.firedAt ?? at(-3);
  env.deps.state
    .prepare(
      `INSERT INTO alerts (key, name, status, severity, severity_known, symptom_id, message, sources, fired_at, resolved_at, channel_id, message_ts, updated_at)
       VALUES (?, ?, ?, ?, 1, ?, ?, '["metrics-db"]', ?, ?, ?, ?, ?)`,
    )
    .run(
      key,
      a.name,
      a.status ?? 'firing',
      a.severity ?? 'P0',
      a.symptomId ?? null,
      a.message ?? 'All IPFS gateways failing. Retrieval of the current snapshot times out.',
      firedAt,
      a.status === 'resolved' ? at(-1) : null,
      a.messageTs ? 'C0INCIDENT' : null,
      a.messageTs ?? null,
      firedAt,
    );
  metrics
    .prepare('INSERT INTO alerts (name, status, message, fired_at) VALUES (?, ?, ?, ?)')
    .run(a.name, a.status ?? 'firing', a.message ?? 'x', firedAt.slice(0, 19).replace('T', ' '));
  return key;
}

interface OutboxRow {
  kind: string;
  ref: string;
  payload: { text: string; blocks?: unknown[]; broadcast?: boolean; channel?: string } | null;
}

function outbox(): OutboxRow[] {
  return (env.deps.state.prepare('SELECT kind, ref, payload FROM outbox ORDER BY id').all() as { kind: string; ref: string; payload: string | null }[]).map(
    (r) => ({ kind: r.kind, ref: r.ref, payload: r.payload ? (JSON.parse(r.payload) as OutboxRow['payload']) : null }),
  );
}

const threadPosts = () => outbox().filter((r) => r.kind === 'thread-post');
const lastPost = () => threadPosts().at(-1)!.payload!;
const blockText = (blocks: unknown[] | undefined) => JSON.stringify(blocks ?? []);

function pendingTimers(incidentId: string) {
  return env.deps.state
    .prepare('SELECT kind, due_at FROM timers WHERE incident_id = ? AND fired_at IS NULL AND cancelled_at IS NULL ORDER BY due_at, kind')
    .all(incidentId) as { kind: string; due_at: string }[];
}

function events(incidentId: string) {
  return incidentTimeline(env.deps, incidentId).events;
}

async function rejection(p: Promise<unknown>): Promise<IncidentError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(IncidentError);
    return err as IncidentError;
  }
  throw new Error('expected an IncidentError');
}

describe('acknowledgeAlert', () => {
  it('opens the incident, links the alert, starts the clock and queues the card and the initial response', async () => {
    const key = insertAlert({ name: 'IpfsDown', firedAt: at(-3) });
    scheduleTimer(env.deps.state, { kind: 'ack-reminder', due: new Date(at(2)), alertKey: key }, NOW);
    scheduleTimer(env.deps.state, { kind: 'ack-secondary', due: new Date(at(27)), alertKey: key }, NOW);

    const r = await acknowledgeAlert(env.deps, 'ipfsdown', ONCALL);

    expect(r.message).toBe('IpfsDown acknowledged after 3 min: INC-20261126-1 (P0) is open and yours; the initial response is in its thread.');
    expect(r.incident).toMatchObject({
      id: 'INC-20261126-1',
      title: 'IpfsDown: All IPFS gateways failing.',
      severity: 'P0',
      status: 'investigating',
      owner_id: ONCALL,
      created_by: ONCALL,
      alert_key: 'ipfsdown',
      opened_at: at(-3),
      acknowledged_at: at(0),
      ack_seconds: 180,
      last_update_at: at(0),
      next_update_at: at(30),
    });
    expect(getAlert(env.deps.state, key)).toMatchObject({ incident_id: 'INC-20261126-1', acknowledged_by: ONCALL, acknowledged_at: at(0) });

    const alertTimers = env.deps.state.prepare('SELECT kind, cancelled_at FROM timers WHERE incident_id IS NULL ORDER BY id').all();
    expect(alertTimers).toEqual([
      { kind: 'ack-reminder', cancelled_at: at(0) },
      { kind: 'ack-secondary', cancelled_at: at(0) },
    ]);
    expect(pendingTimers(r.incident.id)).toEqual([
      { kind: 'escalate-tech-lead', due_at: at(27) },
      { kind: 'update-due', due_at: at(30) },
      { kind: 'escalate-cto', due_at: at(57) },
      { kind: 'handoff-suggest', due_at: at(237) },
    ]);
    expect(events(r.incident.id).map((e) => [e.at, e.actor, e.kind, e.text])).toEqual([
      [at(-3), 'bot', 'alert-fired', 'Alert IpfsDown fired: All IPFS gateways failing. Retrieval of the current snapshot times out.'],
      [at(0), ONCALL, 'acknowledged', 'Acknowledged after 3 min; incident opened (P0)'],
    ]);

    const queued = outbox();
    expect(queued.map((q) => [q.kind, q.ref])).toEqual([
      ['incident-card', 'INC-20261126-1'],
      ['thread-post', 'INC-20261126-1'],
    ]);
    const initial = queued[1]!.payload!;
    expect(initial.text).toBe('🔎 INC-20261126-1 acknowledged by <@U0ONCALL1> after 3 min · IpfsDown: All IPFS gateways failing.');
    const body = blockText(initial.blocks);
    for (const line of ['*Severity*: P0', '*On-call*: <@U0ONCALL1>', '*Status*: Investigating', '*Impact*: being assessed', '*ETA for update*: 12:30 UTC']) {
      expect(body).toContain(line);
    }
    assertBlockKitLimits('message', initial.blocks!);

    const row = metrics.prepare('SELECT acknowledged_at FROM alerts WHERE name = ?').get('IpfsDown') as { acknowledged_at: string };
    expect(row.acknowledged_at).toBe('2026-11-26 12:00:00');
  });

  it('numbers incidents per UTC day: -1, -2 the same day, -1 again the next', async () => {
    insertAlert({ name: 'A1' });
    insertAlert({ name: 'A2' });
    insertAlert({ name: 'A3', firedAt: at(60 * 24) });
    expect((await acknowledgeAlert(env.deps, 'A1', ONCALL)).incident.id).toBe('INC-20261126-1');
    expect((await acknowledgeAlert(env.deps, 'a2', ONCALL)).incident.id).toBe('INC-20261126-2');
    env.clock.set(at(60 * 24 + 1));
    expect((await acknowledgeAlert(env.deps, 'A3', ONCALL)).incident.id).toBe('INC-20261127-1');
  });

  it('two people acknowledging at once make one incident; the other is told who won', async () => {
    insertAlert({ name: 'IpfsDown' });
    const results = await Promise.allSettled([acknowledgeAlert(env.deps, 'IpfsDown', ONCALL), acknowledgeAlert(env.deps, 'IpfsDown', OTHER)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    const loser = (results[1] as PromiseRejectedResult).reason as Error;
    expect(loser).toBeInstanceOf(IncidentError);
    expect(loser.message).toBe('IpfsDown is already acknowledged by <@U0ONCALL1> as INC-20261126-1 at 12:00 UTC.');
    expect(env.deps.state.prepare('SELECT COUNT(*) AS n FROM incidents').get()).toEqual({ n: 1 });
    expect(threadPosts()).toHaveLength(1);
  });

  it('rolls back the incident when another writer links the alert between the read and the check-and-set', async () => {
    insertAlert({ name: 'IpfsDown' });
    insertAlert({ name: 'Other' });
    const winner = await acknowledgeAlert(env.deps, 'Other', ONCALL);
    // Another bot process links the alert after this one has read it: the UPDATE ... WHERE incident_id IS NULL loses.
    env.deps.state.exec(
      `CREATE TEMP TRIGGER steal AFTER INSERT ON incidents WHEN NEW.created_by = '${OTHER}'
       BEGIN UPDATE alerts SET incident_id = '${winner.incident.id}', acknowledged_by = '${ONCALL}', acknowledged_at = '${at(0)}' WHERE key = 'ipfsdown'; END`,
    );
    const err = await rejection(acknowledgeAlert(env.deps, 'IpfsDown', OTHER));
    expect(err.message).toBe(`IpfsDown is already acknowledged by <@U0ONCALL1> as ${winner.incident.id} at 12:00 UTC.`);
    env.deps.state.exec('DROP TRIGGER steal');
    expect(env.deps.state.prepare('SELECT id FROM incidents').all()).toEqual([{ id: winner.incident.id }]);
    expect(threadPosts()).toHaveLength(1);
  });

  it('refuses unknown and resolved alerts, and picks the only waiting alert when none is named', async () => {
    expect((await rejection(acknowledgeAlert(env.deps, 'NoSuchAlert', ONCALL))).message).toBe(
      'No alert named "NoSuchAlert". `/atlas alerts` lists the firing ones.',
    );
    expect((await rejection(acknowledgeAlert(env.deps, '', ONCALL))).message).toMatch(/^No firing alert is waiting/);
    insertAlert({ name: 'Gone', status: 'resolved' });
    expect((await rejection(acknowledgeAlert(env.deps, 'gone', ONCALL))).message).toBe('Gone already resolved at 11:59 UTC; there is nothing to acknowledge.');
    insertAlert({ name: 'One' });
    insertAlert({ name: 'Two' });
    expect((await rejection(acknowledgeAlert(env.deps, '', ONCALL))).message).toBe('2 alerts are firing unacknowledged (One, Two); say which one.');
    await acknowledgeAlert(env.deps, 'one', ONCALL);
    const r = await acknowledgeAlert(env.deps, '', ONCALL);
    expect(r.alertName).toBe('Two');
    await expect(acknowledgeAlert(env.deps, 'Two', 'not a user')).rejects.toThrow(IncidentInputError);
  });

  it('still acknowledges when metrics.db is locked, and says so on the timeline', async () => {
    insertAlert({ name: 'IpfsDown' });
    const locker = new Database(path.join(dataDir, 'metrics.db'));
    locker.exec('BEGIN EXCLUSIVE');
    try {
      const r = await acknowledgeAlert(env.deps, 'IpfsDown', ONCALL);
      expect(r.incident.id).toBe('INC-20261126-1');
      const note = events(r.incident.id).find((e) => e.kind === 'bot-note');
      expect(note?.text).toMatch(/^metrics\.db not updated \(acknowledged_at\): .*lock/i);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    expect(metrics.prepare('SELECT acknowledged_at FROM alerts').get()).toEqual({ acknowledged_at: null });
  });

  it('points a data-loss alert straight at the CTO and security in the initial response', async () => {
    insertAlert({ name: 'SnapshotRowsVanished', symptomId: 'data-loss', message: 'Data loss: snapshot rows deleted' });
    await acknowledgeAlert(env.deps, 'SnapshotRowsVanished', ONCALL);
    expect(blockText(lastPost().blocks)).toContain('data loss goes straight to the CTO and security: `/atlas escalate INC-20261126-1 cto`');
  });
});

describe('setAckDetails and parseEta', () => {
  it('reads ETAs as minutes, hours or the next UTC time of day, and nothing else', () => {
    expect(parseEta('30 min', NOW)?.toISOString()).toBe(at(30));
    expect(parseEta('in 2 hours', NOW)?.toISOString()).toBe(at(120));
    expect(parseEta('1h30m', NOW)?.toISOString()).toBe(at(90));
    expect(parseEta('14:30', NOW)?.toISOString()).toBe('2026-11-26T14:30:00.000Z');
    expect(parseEta('11:00 UTC', NOW)?.toISOString()).toBe('2026-11-27T11:00:00.000Z');
    for (const bad of ['soon', '25:00', '0 min', '30 days', '', '12:00; DROP TABLE incidents']) expect(parseEta(bad, NOW)).toBeNull();
  });

  it('records impact and the promised next update, posts them and refreshes the card', async () => {
    insertAlert({ name: 'IpfsDown' });
    const { incident } = await acknowledgeAlert(env.deps, 'IpfsDown', ONCALL);
    const r = await setAckDetails(env.deps, incident.id, { impact: 'Proof verification slow for all users', eta: '45 min' }, ONCALL);
    expect(r.message).toBe('INC-20261126-1: impact recorded, next update 12:45 UTC.');
    expect(getIncident(env.deps.state, incident.id)).toMatchObject({ impact: 'Proof verification slow for all users', next_update_at: at(45) });
    expect(lastPost().text).toBe('📝 INC-20261126-1 impact: Proof verification slow for all users · next update 12:45 UTC');
    expect(blockText(lastPost().blocks)).toContain('*Impact*: Proof verification slow for all users · *Next update*: 12:45 UTC');
    expect(outbox().at(-1)!.kind).toBe('incident-card');

    const before = outbox().length;
    expect((await setAckDetails(env.deps, incident.id, {}, ONCALL)).message).toMatch(/^Kept the defaults for INC-20261126-1/);
    expect(outbox()).toHaveLength(before);

    const bad = await rejection(setAckDetails(env.deps, incident.id, { eta: 'after lunch' }, ONCALL));
    expect(bad).toBeInstanceOf(IncidentInputError);
    expect((bad as IncidentInputError).field).toBe('eta');
  });
});

describe('declareIncident', () => {
  it('takes the severity from the matched symptom, else P2, and starts the clock', async () => {
    const tiger = await declareIncident(env.deps, { title: 'TIGER down since 3am', actorId: ONCALL });
    expect(tiger.incident).toMatchObject({ id: 'INC-20261126-1', severity: 'P1', owner_id: ONCALL, acknowledged_at: at(0), ack_seconds: 0, opened_at: at(0) });
    expect(tiger.message).toBe('Declared INC-20261126-1 (P1, matches "provider outage"); it is yours, and the initial response is in its thread.');
    expect(pendingTimers(tiger.incident.id)).toEqual([
      { kind: 'escalate-tech-lead', due_at: at(120) },
      { kind: 'update-due', due_at: at(120) },
      { kind: 'handoff-suggest', due_at: at(240) },
    ]);
    expect(lastPost().text).toBe('🚨 INC-20261126-1 declared by <@U0ONCALL1>: P1 · TIGER down since 3am');

    const odd = await declareIncident(env.deps, { title: 'something odd with the dashboard', actorId: ONCALL });
    expect(odd.incident.severity).toBe('P2');
    expect(odd.message).toContain('no symptom matched: P2 by default');
    const forced = await declareIncident(env.deps, { title: 'something odd', severity: 'P0', actorId: ONCALL });
    expect(forced.incident.severity).toBe('P0');
  });

  it('cuts a very long title instead of refusing it, and refuses an empty one or a bad severity', async () => {
    const long = await declareIncident(env.deps, { title: `slow queries ${'x'.repeat(4987)}`, actorId: ONCALL });
    expect(long.incident.title).toHaveLength(150);
    expect(long.incident.title.endsWith('…')).toBe(true);
    await expect(declareIncident(env.deps, { title: '   ', actorId: ONCALL })).rejects.toThrow('The title is empty');
    await expect(declareIncident(env.deps, { title: 'x', severity: 'P9' as Severity, actorId: ONCALL })).rejects.toThrow('Severity is one of P0, P1, P2, P3');
  });
});

describe('status updates, severity, owner, notes', () => {
  async function p0() {
    insertAlert({ name: 'IpfsDown', firedAt: at(-3) });
    return (await acknowledgeAlert(env.deps, 'IpfsDown', ONCALL)).incident;
  }

  it('posts the guide\'s update and moves the update-due nudge', async () => {
    const incident = await p0();
    env.clock.advance(20 * MIN);
    const r = await postStatusUpdate(
      env.deps,
      incident.id,
      { summary: 'Gateways timing out', completed: 'Checked w3s.link\nChecked dweb.link', inProgress: 'Trying a third gateway', blocked: 'Storacha support', nextSteps: 'Pin again', eta: '13:00', status: 'identified' },
      ONCALL,
    );
    expect(r.message).toBe("Update posted in INC-20261126-1's thread; the next one is due by 12:50 UTC.");
    expect(r.incident).toMatchObject({ status: 'identified', last_update_at: at(20), next_update_at: at(50) });
    expect(pendingTimers(incident.id).find((t) => t.kind === 'update-due')?.due_at).toBe(at(50));
    expect(env.deps.state.prepare("SELECT COUNT(*) AS n FROM timers WHERE kind = 'update-due' AND cancelled_at IS NOT NULL").get()).toEqual({ n: 1 });
    const post = lastPost();
    expect(post.text).toBe('🔄 INC-20261126-1 update [12:20 UTC]: Gateways timing out');
    const body = blockText(post.blocks);
    for (const part of ['*Incident Update* [12:20 UTC]', '*Summary*: Gateways timing out', '*Status*: identified', '• ✅ Checked w3s.link', '• ✅ Checked dweb.link', '• ⏳ Trying a third gateway', '• ⏸️ Storacha support', '*Next Steps*: Pin again', '*ETA*: 13:00']) {
      expect(body).toContain(part);
    }
    assertBlockKitLimits('message', post.blocks!);
    await expect(postStatusUpdate(env.deps, incident.id, { summary: 'done', status: 'resolved' }, ONCALL)).rejects.toThrow('`/atlas resolve` does');
    await expect(postStatusUpdate(env.deps, incident.id, { summary: ' ' }, ONCALL)).rejects.toThrow('The summary is empty');
  });

  it('re-plans the timers on a severity change: past deadlines come due at once, none twice', async () => {
    const declared = (await declareIncident(env.deps, { title: 'slow queries', actorId: ONCALL })).incident;
    expect(pendingTimers(declared.id)).toEqual([
      { kind: 'handoff-suggest', due_at: at(240) },
      { kind: 'update-due', due_at: at(240) },
    ]);
    env.clock.advance(45 * MIN);
    const r = await changeSeverity(env.deps, declared.id, 'P0', ONCALL);
    expect(r.message).toBe('INC-20261126-1 is now P0 (was P2); updates every 30–60 min, timers re-planned.');
    expect(pendingTimers(declared.id)).toEqual([
      { kind: 'escalate-tech-lead', due_at: at(45) },
      { kind: 'update-due', due_at: at(45) },
      { kind: 'escalate-cto', due_at: at(60) },
      { kind: 'handoff-suggest', due_at: at(240) },
    ]);
    expect(r.incident.next_update_at).toBe(at(30));
    expect(lastPost().text).toBe('⬆️ INC-20261126-1 severity P2 → P0');
    await expect(changeSeverity(env.deps, declared.id, 'P0', ONCALL)).rejects.toThrow('INC-20261126-1 is already P0.');

    // The tech lead escalation fired; going down and up again must not plan it a second time.
    env.deps.state.prepare("UPDATE timers SET fired_at = ? WHERE incident_id = ? AND kind = 'escalate-tech-lead' AND cancelled_at IS NULL").run(at(45), declared.id);
    await changeSeverity(env.deps, declared.id, 'P1', ONCALL);
    await changeSeverity(env.deps, declared.id, 'P0', ONCALL);
    expect(pendingTimers(declared.id).map((t) => t.kind)).toEqual(['update-due', 'escalate-cto', 'handoff-suggest']);
  });

  it('hands over, takes notes, and attaches diagnostics, each on the timeline and in the thread', async () => {
    const incident = await p0();
    const own = await changeOwner(env.deps, incident.id, OTHER, ONCALL);
    expect(own.message).toBe('<@U0ONCALL2> now owns INC-20261126-1.');
    expect(lastPost().text).toBe('👤 INC-20261126-1 now owned by <@U0ONCALL2>');
    expect(blockText(lastPost().blocks)).toContain('(was <@U0ONCALL1>) (set by <@U0ONCALL1>)');
    await expect(changeOwner(env.deps, incident.id, OTHER, ONCALL)).rejects.toThrow('<@U0ONCALL2> already owns INC-20261126-1.');
    await expect(changeOwner(env.deps, incident.id, '<!channel>', ONCALL)).rejects.toThrow('is not a user');

    await addNote(env.deps, incident.id, 'Gateway w3s returns 504', OTHER);
    expect(lastPost().text).toBe('📝 INC-20261126-1 note from <@U0ONCALL2>: Gateway w3s returns 504');
    await attachToTimeline(env.deps, incident.id, { headline: 'IPFS retrieval 41 s (alert > 30 s)', command: 'health' }, OTHER);
    expect(lastPost().text).toBe('📎 INC-20261126-1: <@U0ONCALL2> added `/atlas health`');
    expect(events(incident.id).slice(-3).map((e) => [e.kind, e.actor, e.text])).toEqual([
      ['owner', ONCALL, 'Owner U0ONCALL1 → U0ONCALL2'],
      ['note', OTHER, 'Gateway w3s returns 504'],
      ['attached', OTHER, '/atlas health: IPFS retrieval 41 s (alert > 30 s)'],
    ]);
  });

  it('escapes hostile text, cuts 5,000 characters where shown, and refuses more', async () => {
    const incident = await p0();
    await addNote(env.deps, incident.id, '<!channel> <@U999|boss> *ping* & <https://evil.example|click>', ONCALL);
    const shown = blockText(lastPost().blocks) + lastPost().text;
    expect(shown).not.toContain('<!channel>');
    expect(shown).not.toContain('<https://evil');
    expect(shown).toContain('&lt;!channel&gt; &lt;@U999|boss&gt; *ping* &amp; &lt;https://evil.example|click&gt;');

    const long = 'y'.repeat(5000);
    await addNote(env.deps, incident.id, long, ONCALL);
    expect(events(incident.id).at(-1)!.text).toHaveLength(5000);
    assertBlockKitLimits('message', lastPost().blocks!);
    expect(blockText(lastPost().blocks)).toContain('…');
    const tooLong = await rejection(addNote(env.deps, incident.id, `${long}y`, ONCALL));
    expect(tooLong.message).toBe('The note is 5,001 characters; at most 5,000.');
    expect((tooLong as IncidentInputError).field).toBe('note');

    await postStatusUpdate(env.deps, incident.id, { summary: long, completed: `${'a'.repeat(400)}\n`.repeat(12), nextSteps: long, eta: 'x'.repeat(200) }, ONCALL);
    assertBlockKitLimits('message', lastPost().blocks!);
    expect(blockText(lastPost().blocks)).toContain('*ETA*');
  });

  it('answers unknown ids and malformed references with a sentence', async () => {
    await expect(addNote(env.deps, 'INC-20261126-9', 'x', ONCALL)).rejects.toThrow('No incident INC-20261126-9.');
    await expect(addNote(env.deps, 'drop table', 'x', ONCALL)).rejects.toThrow('is not an incident id');
    await expect(addNote(env.deps, 'x'.repeat(500), 'x', ONCALL)).rejects.toThrow(IncidentInputError);
    await expect(addNote(env.deps, '', 'x', ONCALL)).rejects.toThrow('No incident is open.');
  });
});

describe('escalate', () => {
  it('posts the good escalation message to the configured tech lead, broadcast for a P0, and settles that reminder', async () => {
    insertAlert({ name: 'IpfsDown', firedAt: at(-3) });
    const { incident } = await acknowledgeAlert(env.deps, 'IpfsDown', ONCALL);
    await setAckDetails(env.deps, incident.id, { impact: 'No proofs for anyone' }, ONCALL);
    env.clock.advance(42 * MIN);
    await postStatusUpdate(env.deps, incident.id, { summary: 'Still down', completed: 'Emergency backup created', blocked: 'Gateway vendor unreachable' }, ONCALL);
    const r = await escalate(env.deps, incident.id, 'techlead', { need: 'Decision: rebuild from IPFS or wait?' }, ONCALL);
    expect(r.contactId).toBe(TECH_LEAD);
    expect(r.message).toBe('Escalated INC-20261126-1 to the tech lead, <@U0TECHLEAD>, in its thread.');
    const post = lastPost();
    expect(post.broadcast).toBe(true);
    expect(post.text).toBe('📣 INC-20261126-1 escalated to the tech lead (<@U0TECHLEAD>) by <@U0ONCALL1>');
    const body = blockText(post.blocks);
    for (const part of [
      '<@U0TECHLEAD> - Escalating P0 incident INC-20261126-1',
      '*Issue*: IpfsDown: All IPFS gateways failing.',
      '*Duration*: 45 min (started 11:57 UTC)',
      '*Impact*: No proofs for anyone',
      '• ✅ Emergency backup created',
      '• ❌ Gateway vendor unreachable',
      '*Escalating Because*: 30 min threshold for a P0 reached (open 45 min)',
      '*Immediate Need*: Decision: rebuild from IPFS or wait?',
    ]) {
      expect(body).toContain(part);
    }
    assertBlockKitLimits('message', post.blocks!);
    const techLead = env.deps.state.prepare("SELECT fired_at FROM timers WHERE incident_id = ? AND kind = 'escalate-tech-lead' AND cancelled_at IS NULL").all(incident.id);
    expect(techLead).toEqual([{ fired_at: at(42) }]);
    // A later update re-plans; the settled escalation stays settled.
    await postStatusUpdate(env.deps, incident.id, { summary: 'Rebuilding' }, ONCALL);
    expect(pendingTimers(incident.id).map((t) => t.kind)).not.toContain('escalate-tech-lead');
  });

  it('says so when the contact is not configured, and finds the secondary in the rotation', async () => {
    const { incident } = await declareIncident(env.deps, { title: 'slow queries', actorId: ONCALL });
    const cto = await escalate(env.deps, incident.id, 'cto', {}, ONCALL);
    expect(cto.contactId).toBeNull();
    expect(cto.message).toBe('Escalated INC-20261126-1 in its thread, but no CTO is configured (`escalation.cto`): page them by hand.');
    expect(lastPost().broadcast).toBeUndefined();
    expect(blockText(lastPost().blocks)).toContain('⚠️ No CTO is configured (`escalation.cto`): page them by hand - Escalating P2 incident');
    expect(blockText(lastPost().blocks)).toContain('*Escalating Because*: judgement call of the responder (no CTO deadline for a P2)');
    await expect(escalate(env.deps, incident.id, 'ceo' as 'cto', {}, ONCALL)).rejects.toThrow('Escalate to one of techlead, cto, secondary, db, security.');

    env.close();
    metrics.close();
    cleanup();
    setup({ rotation: { start: '2026-11-23', primary: [ONCALL], secondary: [OTHER] } });
    const second = await declareIncident(env.deps, { title: 'slow queries', actorId: ONCALL });
    const r = await escalate(env.deps, second.incident.id, 'secondary', { need: 'a second pair of eyes' }, ONCALL);
    expect(r.contactId).toBe(OTHER);
    expect(blockText(lastPost().blocks)).toContain('<@U0ONCALL2> - Escalating P2 incident');
  });
});

describe('resolveIncident, resolveFiringAlerts and the review', () => {
  async function resolvedP0() {
    insertAlert({ name: 'IpfsDown', firedAt: at(-3) });
    const { incident } = await acknowledgeAlert(env.deps, 'IpfsDown', ONCALL);
    env.clock.advance(60 * MIN);
    const r = await resolveIncident(env.deps, incident.id, { resolution: 'Switched to dweb.link | pinned again', impact: '1 h of failed retrievals' }, ONCALL);
    return r;
  }

  it('closes the incident: timers stopped, review reminder in 48 h, resolution, checklist and the channel told', async () => {
    const r = await resolvedP0();
    expect(r.message).toBe('INC-20261126-1 resolved after 1 h 3 min; review due by 2026-11-28 13:00 UTC. 1 alert is still firing: IpfsDown.');
    expect(r.firingAlerts).toEqual(['IpfsDown']);
    expect(r.incident).toMatchObject({ status: 'resolved', resolved_at: at(60), resolution: 'Switched to dweb.link | pinned again', impact: '1 h of failed retrievals', next_update_at: null });
    expect(pendingTimers(r.incident.id)).toEqual([{ kind: 'review-reminder', due_at: at(60 + 48 * 60) }]);

    const tail = outbox().slice(-4);
    expect(tail.map((q) => q.kind)).toEqual(['thread-post', 'thread-post', 'channel-post', 'incident-card']);
    expect(tail[0]!.payload!.text).toBe('✅ INC-20261126-1 resolved after 1 h 3 min by <@U0ONCALL1>');
    const resolution = blockText(tail[0]!.payload!.blocks);
    for (const part of ['✅ *RESOLVED*: IpfsDown', '*Duration*: 2026-11-26 11:57 UTC – 13:00 UTC (1 h 3 min)', '*Resolution*: Switched to dweb.link | pinned again', '*Impact*: 1 h of failed retrievals', 'review due by 2026-11-28 13:00 UTC']) {
      expect(resolution).toContain(part);
    }
    expect(tail[1]!.payload!.text).toBe('📋 INC-20261126-1 post-incident checklist');
    expect(blockText(tail[1]!.payload!.blocks)).toContain('☐ Clear any firing alerts: 1 still firing (IpfsDown)');
    expect(tail[2]!.payload!.text).toBe('✅ INC-20261126-1 (P0) resolved after 1 h 3 min: IpfsDown: All IPFS gateways failing.');

    for (const act of [
      () => postStatusUpdate(env.deps, r.incident.id, { summary: 'x' }, ONCALL),
      () => changeSeverity(env.deps, r.incident.id, 'P1', ONCALL),
      () => escalate(env.deps, r.incident.id, 'techlead', {}, ONCALL),
      () => resolveIncident(env.deps, r.incident.id, { resolution: 'again' }, ONCALL),
      () => changeOwner(env.deps, r.incident.id, OTHER, ONCALL),
    ]) {
      await expect(act()).rejects.toThrow('INC-20261126-1 is already resolved (2026-11-26 13:00 UTC).');
    }
    await expect(resolveIncident(env.deps, 'INC-20261126-1', { resolution: '' }, ONCALL)).rejects.toThrow('The resolution is empty');
  });

  it('resolves the alerts still firing in metrics.db and in the bot, once', async () => {
    const r = await resolvedP0();
    const done = await resolveFiringAlerts(env.deps, r.incident.id, ONCALL);
    expect(done.message).toBe('Resolved 1 alert of INC-20261126-1: IpfsDown.');
    expect(metrics.prepare('SELECT status, resolved_at FROM alerts').get()).toEqual({ status: 'resolved', resolved_at: '2026-11-26 13:00:00' });
    expect(getAlert(env.deps.state, 'ipfsdown')).toMatchObject({ status: 'resolved', resolved_at: at(60) });
    expect(outbox().slice(-2).map((q) => [q.kind, q.ref])).toEqual([
      ['alert-message', 'ipfsdown'],
      ['thread-post', 'INC-20261126-1'],
    ]);
    expect(lastPost().text).toBe('🔕 INC-20261126-1: resolved 1 firing alert');
    await expect(resolveFiringAlerts(env.deps, r.incident.id, ONCALL)).rejects.toThrow('No alert of INC-20261126-1 is firing any more.');
  });

  it('drafts the review from the record and stops the reminder when it is done', async () => {
    insertAlert({ name: 'IpfsDown', firedAt: at(-3) });
    const { incident } = await acknowledgeAlert(env.deps, 'IpfsDown', ONCALL);
    await expect(markReviewDone(env.deps, incident.id, ONCALL)).rejects.toThrow('INC-20261126-1 is still open; resolve it first');
    env.clock.advance(10 * MIN);
    await addNote(env.deps, incident.id, 'Add a second gateway | with health checks', OTHER);
    env.clock.advance(50 * MIN);
    await resolveIncident(env.deps, incident.id, { resolution: 'Switched gateway' }, ONCALL);
    await addNote(env.deps, incident.id, 'Alert on pin failures', ONCALL);

    const md = reviewDraft(env.deps, incident.id);
    expect(md.split('\n').slice(0, 5)).toEqual([
      '# Incident Report: INC-20261126-1 IpfsDown: All IPFS gateways failing.',
      '',
      '**Date**: 2026-11-26',
      '**Severity**: P0',
      '**Duration**: 11:57 UTC - 13:00 UTC (1 h 3 min)',
    ]);
    expect(md).toContain('**Time to acknowledge**: 3 min');
    expect(md).toContain('| 11:57 | bot | Alert IpfsDown fired: All IPFS gateways failing. Retrieval of the current snapshot times out. |');
    expect(md).toContain('| 12:10 | U0ONCALL2 | Add a second gateway \\| with health checks |');
    expect(md).toContain('- [ ] Add a second gateway \\| with health checks (noted by U0ONCALL2, 12:10 UTC)');
    expect(md).toContain('- [ ] Alert on pin failures (noted by U0ONCALL1, 13:00 UTC)');
    expect(md).toContain('**What Went Well**:');

    const done = await markReviewDone(env.deps, incident.id, ONCALL);
    expect(done.message).toBe('Review of INC-20261126-1 marked done; the reminder is off.');
    expect(pendingTimers(incident.id)).toEqual([]);
    await expect(markReviewDone(env.deps, incident.id, ONCALL)).rejects.toThrow('already marked done');
  });
});

describe('lists and deadlines', () => {
  it('lists open incidents worst first with the next deadline from the timers', async () => {
    await declareIncident(env.deps, { title: 'slow queries', actorId: ONCALL });
    insertAlert({ name: 'IpfsDown', firedAt: at(-3) });
    await acknowledgeAlert(env.deps, 'IpfsDown', OTHER);
    env.clock.advance(10 * MIN);
    const list = listIncidents(env.deps);
    expect(list.map((i) => [i.id, i.severity, i.ownerId, i.ageMs / MIN, i.nextDeadline])).toEqual([
      ['INC-20261126-2', 'P0', OTHER, 13, 'tech lead escalation 12:27 UTC (in 17 min)'],
      ['INC-20261126-1', 'P2', ONCALL, 10, 'status update due 16:00 UTC (in 3 h 50 min)'],
    ]);
    env.clock.advance(20 * MIN);
    expect(nextDeadlineText(env.deps.state, 'INC-20261126-2', env.clock())).toBe('tech lead escalation 12:27 UTC (overdue 3 min)');
    expect(nextDeadlineText(env.deps.state, 'INC-20261126-9', env.clock())).toBeUndefined();
  });
});

describe('delivery through the outbox', () => {
  const SLACK = 'https://slack.com';
  let calls: { method: string; body: Record<string, string> }[];

  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());

  function slackOk(method: 'chat.postMessage' | 'chat.update', times = 1) {
    return nock(SLACK)
      .post(`/api/${method}`)
      .times(times)
      .reply(200, (_uri, body) => {
        const parsed = Object.fromEntries(new URLSearchParams(body as string)) as Record<string, string>;
        calls.push({ method, body: parsed });
        return { ok: true, channel: parsed.channel, ts: parsed.ts ?? `1700000100.00010${calls.length}` };
      });
  }

  it('turns the alert message into the card and threads the initial response under it, through a Slack 500, once each', async () => {
    calls = [];
    env.deps.outbox.attach(slackPoster(new webApi.WebClient('xoxb-test', { retryConfig: { retries: 0 } })));
    insertAlert({ name: 'IpfsDown', messageTs: '1700000000.000100' });
    await acknowledgeAlert(env.deps, 'IpfsDown', ONCALL);

    nock(SLACK).post('/api/chat.update').reply(500, 'upstream trouble');
    expect(await env.deps.outbox.flush()).toMatchObject({ sent: 0, retrying: 1 });
    expect(env.deps.outbox.pending()).toBe(2);

    env.clock.advance(16_000);
    slackOk('chat.update');
    slackOk('chat.postMessage');
    expect(await env.deps.outbox.flush()).toMatchObject({ sent: 2, failed: 0 });
    expect(calls.map((c) => c.method)).toEqual(['chat.update', 'chat.postMessage']);
    expect(calls[0]!.body).toMatchObject({ channel: 'C0INCIDENT', ts: '1700000000.000100' });
    expect(calls[0]!.body.text).toContain('INC-20261126-1 P0 investigating');
    expect(calls[0]!.body.blocks).toContain('acknowledged by <@U0ONCALL1> after 3 min');
    expect(calls[0]!.body.blocks).not.toContain('atlas_alert_ack');
    expect(calls[1]!.body).toMatchObject({ channel: 'C0INCIDENT', thread_ts: '1700000000.000100' });
    expect(calls[1]!.body.text).toMatch(/^🔎 INC-20261126-1 acknowledged by <@U0ONCALL1> after 3 min/);

    expect(await env.deps.outbox.flush()).toMatchObject({ sent: 0 });
    expect(env.deps.outbox.pending()).toBe(0);
    expect(nock.isDone()).toBe(true);
  });
});
