import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chainHash, GENESIS_HASH, type AuditRow, type NewAuditEntry } from '../../src/db/state/audit-store.js';
import { openStateStore, type SqliteStateStore } from '../../src/db/state/kysely/sqlite-state-store.js';
import { tempDir, TEST_NOW } from '../helpers/test-deps.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STORE_MODULE = fileURLToPath(new URL('../../src/db/state/kysely/sqlite-state-store.ts', import.meta.url));
const NOW = new Date(TEST_NOW);
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

const entry = (n: number, over: Partial<NewAuditEntry> = {}): NewAuditEntry => ({
  source: 'slack',
  userId: 'U0ANN',
  channelId: 'C0INCIDENT',
  command: 'snapshot rollback',
  args: JSON.stringify({ snapshot: `snap-${n}` }),
  outcome: 'applied',
  plan: JSON.stringify({ summary: `roll back to snap-${n}` }),
  result: `Rolled back to snap-${n}`,
  undo: `/atlas snapshot rollback snap-${n + 1}`,
  ...over,
});

describe('state.audit', () => {
  let cleanup: () => void;
  let file: string;
  let state: SqliteStateStore;
  /** A second connection to the same file: someone editing chatops.db behind the bot's back. */
  let hand: Database.Database;

  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    file = path.join(t.dir, 'chatops.db');
    state = openStateStore(file);
    hand = new Database(file);
  });
  afterEach(async () => {
    hand.close();
    await state.close();
    cleanup();
  });

  const appendFive = async () => {
    const rows: AuditRow[] = [];
    for (const n of [1, 2, 3, 4, 5]) rows.push(await state.audit.append(entry(n), minutes(n)));
    return rows;
  };
  const rowAt = (id: number) => hand.prepare('SELECT * FROM audit_log WHERE id = ?').get(id) as AuditRow;

  it('chains each row to the one before from the genesis hash; the hash covers the id and the content in a fixed order', async () => {
    const rows = await appendFive();
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    expect(rows[0]!.prev_hash).toBe(GENESIS_HASH);
    expect(GENESIS_HASH).toBe('0'.repeat(64));
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
    // Pinned by hand, so an outside verifier can reproduce it: sha256(prev + "\n" + canonical JSON).
    const canonical =
      '{"id":1,"at":"2026-11-26T12:01:00.000Z","source":"slack","user_id":"U0ANN","channel_id":"C0INCIDENT","command":"snapshot rollback",' +
      '"args":"{\\"snapshot\\":\\"snap-1\\"}","outcome":"applied","plan":"{\\"summary\\":\\"roll back to snap-1\\"}","result":"Rolled back to snap-1",' +
      '"undo":"/atlas snapshot rollback snap-2"}';
    expect(rows[0]!.hash).toBe(createHash('sha256').update(`${GENESIS_HASH}\n${canonical}`).digest('hex'));
    expect(rowAt(1)).toEqual(rows[0]);
    expect(await state.audit.verify()).toMatchObject({ ok: true, rows: 5, last: { id: 5, at: minutes(5).toISOString(), hash: rows[4]!.hash }, anchors: ['the last row the bot wrote (its head file): row #5 holds and ends the log'] });
  });

  it('an empty log verifies, with no latest row', async () => {
    expect(await state.audit.verify()).toMatchObject({ ok: true, rows: 0, last: null });
  });

  it("an edited row's content is detected at that row", async () => {
    await appendFive();
    hand.prepare("UPDATE audit_log SET result = 'Nothing happened' WHERE id = 3").run();
    expect(await state.audit.verify()).toEqual({ ok: false, rowId: 3, reason: 'its content was changed or forged (its hash does not match what it holds)', verified: 2 });
  });

  it('an edited link (prev_hash) is detected at that row', async () => {
    await appendFive();
    hand.prepare('UPDATE audit_log SET prev_hash = ? WHERE id = 4').run(rowAt(2).hash);
    expect(await state.audit.verify()).toMatchObject({ ok: false, rowId: 4, reason: expect.stringMatching(/^its content was changed/) });
  });

  it('a deleted middle row is detected at the next one', async () => {
    await appendFive();
    hand.prepare('DELETE FROM audit_log WHERE id = 3').run();
    expect(await state.audit.verify()).toEqual({ ok: false, rowId: 4, reason: 'row #3 before it is missing', verified: 2 });
    hand.prepare('DELETE FROM audit_log WHERE id = 2').run();
    expect(await state.audit.verify()).toEqual({ ok: false, rowId: 4, reason: 'rows #2–#3 before it are missing', verified: 1 });
  });

  it('a forged row with a made-up hash is detected, at the end or before the first row', async () => {
    await appendFive();
    const forge = hand.prepare(
      `INSERT INTO audit_log (id, at, source, user_id, channel_id, command, args, outcome, plan, result, undo, prev_hash, hash)
       VALUES (?, ?, 'slack', 'U0MALLORY', 'C0INCIDENT', 'job cancel', '["job-9"]', 'applied', NULL, 'Cancelled job-9', NULL, ?, ?)`,
    );
    forge.run(6, minutes(6).toISOString(), rowAt(5).hash, 'f'.repeat(64));
    expect(await state.audit.verify()).toMatchObject({ ok: false, rowId: 6, reason: expect.stringMatching(/^its content was changed or forged/), verified: 5 });
    hand.prepare('DELETE FROM audit_log WHERE id = 6').run();
    forge.run(0, minutes(0).toISOString(), GENESIS_HASH, 'e'.repeat(64));
    expect(await state.audit.verify()).toEqual({ ok: false, rowId: 0, reason: 'it was inserted before the first row (ids start at #1)', verified: 0 });
  });

  it('a row changed and its own hash recomputed correctly breaks the chain at the row after it', async () => {
    const rows = await appendFive();
    const forged = { ...rowAt(3), user_id: 'U0MALLORY', result: 'Rolled back by someone else' };
    hand.prepare('UPDATE audit_log SET user_id = ?, result = ?, hash = ? WHERE id = 3').run(forged.user_id, forged.result, chainHash(forged.prev_hash, forged));
    expect(await state.audit.verify()).toEqual({
      ok: false,
      rowId: 4,
      reason: 'the row before it was changed or replaced, or this one was inserted (it does not chain from the hash before it)',
      verified: 3,
    });
    // Likewise a row deleted and a forged one put in its place with a correct hash.
    hand.prepare('UPDATE audit_log SET user_id = ?, result = ?, hash = ? WHERE id = 3').run(rows[2]!.user_id, rows[2]!.result, rows[2]!.hash);
    expect(await state.audit.verify()).toMatchObject({ ok: true, rows: 5 });
  });

  it('a deleted last row shows through sqlite_sequence; lowered there too, the head file beside chatops.db shows it', async () => {
    await appendFive();
    hand.prepare('DELETE FROM audit_log WHERE id = 5').run();
    expect(await state.audit.verify()).toEqual({ ok: false, rowId: 5, reason: 'it is missing from the end (ids were handed out up to #5)', verified: 4 });
    hand.prepare('DELETE FROM audit_log WHERE id = 4').run();
    expect(await state.audit.verify()).toEqual({ ok: false, rowId: 4, reason: 'it and the rows up to #5 are missing from the end', verified: 3 });
    // Someone who also lowers AUTOINCREMENT's counter leaves a shorter chain that holds by itself.
    hand.prepare("UPDATE sqlite_sequence SET seq = 3 WHERE name = 'audit_log'").run();
    expect(await state.audit.verify()).toEqual({
      ok: false,
      rowId: 4,
      reason: 'the last row the bot wrote (its head file) is row #5, and the log ends at #3: rows #4–#5 were removed',
      verified: 3,
    });
  });

  it('a row appended after the last one was deleted leaves the gap to see, not the id reused', async () => {
    await appendFive();
    hand.prepare('DELETE FROM audit_log WHERE id = 5').run();
    const next = await state.audit.append(entry(6), minutes(6));
    expect(next.id).toBe(6);
    expect(next.prev_hash).toBe(rowAt(4).hash);
    expect(await state.audit.verify()).toEqual({ ok: false, rowId: 6, reason: 'row #5 before it is missing', verified: 4 });
  });

  it('a log rewritten from a row to its end, every hash recomputed, fails against the head file', async () => {
    await appendFive();
    let prev = rowAt(2).hash;
    for (const id of [3, 4, 5]) {
      const row = { ...rowAt(id), prev_hash: prev, result: 'Nothing to see' };
      row.hash = chainHash(prev, row);
      hand.prepare('UPDATE audit_log SET result = ?, prev_hash = ?, hash = ? WHERE id = ?').run(row.result, row.prev_hash, row.hash, id);
      prev = row.hash;
    }
    expect(await state.audit.verify()).toEqual({
      ok: false,
      rowId: 5,
      reason: 'it differs from the last row the bot wrote (its head file): its hash is not the one recorded there, so the log was rewritten up to it',
      verified: 4,
    });
  });

  it('two connections appending in turn keep one chain (each reads the hash the other wrote)', async () => {
    const other = openStateStore(file);
    try {
      for (let i = 0; i < 50; i++) {
        await state.audit.append(entry(i, { userId: 'U0ANN' }), minutes(i));
        await other.audit.append(entry(i, { userId: 'U0BOB' }), minutes(i));
      }
    } finally {
      await other.close();
    }
    expect(await state.audit.verify()).toMatchObject({ ok: true, rows: 100 });
  });

  it('two processes appending at the same moment keep one valid chain', async () => {
    const perProcess = 150;
    // Each process waits, after each append, until the other is at most one append behind: the
    // two interleave however the machine schedules them (a late start or a slow core included).
    const script = `
      import Database from 'better-sqlite3';
      import { openStateStore } from ${JSON.stringify(STORE_MODULE)};
      const [file, user, count] = process.argv.slice(1);
      const state = openStateStore(file);
      const others = new Database(file, { readonly: true }).prepare('SELECT COUNT(*) AS n FROM audit_log WHERE user_id != ?');
      for (let i = 0; i < Number(count); i++) {
        await state.audit.append({ source: 'cli', userId: user, channelId: null, command: 'job cancel', args: JSON.stringify(['job-' + i]), outcome: 'applied', plan: null, result: null, undo: null }, new Date());
        const deadline = Date.now() + 120_000;
        while (others.get(user).n < i) {
          if (Date.now() > deadline) { console.error('the other process stopped appending'); process.exit(1); }
        }
      }
      await state.close();
    `;
    const run = (user: string) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, file, user, String(perProcess)], {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr.on('data', (c: Buffer) => (out += c.toString()));
        child.on('exit', (code) => resolve({ code, out }));
      });
    const results = await Promise.all([run('ann'), run('bob')]);
    expect(results).toEqual([
      { code: 0, out: '' },
      { code: 0, out: '' },
    ]);
    expect(await state.audit.verify()).toMatchObject({ ok: true, rows: 2 * perProcess });
    // They did run at once: each one's rows are not all before the other's.
    const users = (hand.prepare('SELECT user_id FROM audit_log ORDER BY id').all() as { user_id: string }[]).map((r) => r.user_id);
    const switches = users.filter((u, i) => i > 0 && u !== users[i - 1]).length;
    expect(switches).toBeGreaterThan(1);
  });

  it('joins the transaction it is appended in: rolled back with the change it records', async () => {
    await appendFive();
    await expect(
      state.transaction(async (tx) => {
        await tx.audit.append(entry(6), minutes(6));
        throw new Error('the remediation failed');
      }),
    ).rejects.toThrow('the remediation failed');
    expect(await state.audit.count()).toBe(5);
    expect((await state.audit.append(entry(6), minutes(6))).id).toBe(6);
    expect(await state.audit.verify()).toMatchObject({ ok: true, rows: 6 });
  });

  it('lists the newest entries first, of one person when asked, and counts them', async () => {
    await appendFive();
    await state.audit.append(entry(6, { userId: 'U0BOB', outcome: 'refused', plan: null, undo: null }), minutes(6));
    expect((await state.audit.latest({ limit: 3 })).map((r) => r.id)).toEqual([6, 5, 4]);
    expect((await state.audit.latest({ limit: 10, userId: 'U0BOB' })).map((r) => r.id)).toEqual([6]);
    expect(await state.audit.latest({ limit: 10, userId: 'U0NOBODY' })).toEqual([]);
    expect([await state.audit.count(), await state.audit.count('U0ANN'), await state.audit.count('U0NOBODY')]).toEqual([6, 5, 0]);
  });

  it('refuses arguments or a plan that are not JSON text, and writes nothing', async () => {
    await expect(state.audit.append(entry(1, { args: 'snap-1' }), NOW)).rejects.toThrow('audit args must be JSON text');
    await expect(state.audit.append(entry(1, { plan: '{' }), NOW)).rejects.toThrow('audit plan must be JSON text');
    expect(await state.audit.count()).toBe(0);
  });

  it('retention never deletes audit rows', async () => {
    await appendFive();
    const future = new Date('2100-01-01T00:00:00Z');
    await state.retention.prune({ outbox: future, commandRuns: future, timers: future, timeline: future });
    expect(await state.audit.verify()).toMatchObject({ ok: true, rows: 5 });
  });
});

/**
 * The chain anchored outside audit_log (issue 18, item 8): the head file beside chatops.db, the
 * heads published in Slack (recorded in audit_heads_published) and a head typed from Slack.
 * Cutting the last rows (sqlite_sequence lowered too), emptying the table and appending a row
 * with a recomputed hash each fail; a dropped table is named as damage.
 */
describe('state.audit anchored outside the table', () => {
  let cleanup: () => void;
  let dir: string;
  let file: string;
  let state: SqliteStateStore;
  let hand: Database.Database;

  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    dir = t.dir;
    file = path.join(t.dir, 'chatops.db');
    state = openStateStore(file);
    hand = new Database(file);
  });
  afterEach(async () => {
    hand.close();
    await state.close();
    cleanup();
  });

  const appendFive = async () => {
    const rows: AuditRow[] = [];
    for (const n of [1, 2, 3, 4, 5]) rows.push(await state.audit.append(entry(n), minutes(n)));
    return rows;
  };
  const rowAt = (id: number) => hand.prepare('SELECT * FROM audit_log WHERE id = ?').get(id) as AuditRow;
  const headFile = () => path.join(dir, 'chatops-audit-head.json');
  /** The attacker also removes the head file: only the published head (state, Slack) is left to tell. */
  const dropHeadFile = () => rmSync(headFile());

  it('writes the head file at every append, and publishes the head once per occasion', async () => {
    const rows = await appendFive();
    expect(JSON.parse(readFileSync(headFile(), 'utf8'))).toEqual({ seq: 5, hash: rows[4]!.hash, at: minutes(5).toISOString() });
    expect(await state.audit.head()).toEqual({ seq: 5, hash: rows[4]!.hash });
    expect(await state.audit.publishHead('daily:2026-11-26', minutes(6))).toEqual({ seq: 5, hash: rows[4]!.hash });
    await state.audit.append(entry(6), minutes(7));
    expect(await state.audit.publishHead('daily:2026-11-26', minutes(8))).toBeNull();
    expect(await state.audit.lastPublished()).toMatchObject({ occasion: 'daily:2026-11-26', seq: 5, hash: rows[4]!.hash });
    expect(await state.audit.verify()).toMatchObject({ ok: true, rows: 6, anchors: [expect.stringContaining('the head published in Slack at 2026-11-26T12:06:00.000Z (daily:2026-11-26): row #5 holds'), expect.stringContaining('head file')] });
  });

  it('truncating the last rows and lowering sqlite_sequence fails against the published head, the head file gone too', async () => {
    await appendFive();
    await state.audit.publishHead('daily:2026-11-26', minutes(6));
    hand.prepare('DELETE FROM audit_log WHERE id >= 4').run();
    hand.prepare("UPDATE sqlite_sequence SET seq = 3 WHERE name = 'audit_log'").run();
    dropHeadFile();
    expect(await state.audit.verify()).toEqual({
      ok: false,
      rowId: 4,
      reason: 'the head published in Slack at 2026-11-26T12:06:00.000Z (daily:2026-11-26) is row #5, and the log ends at #3: rows #4–#5 were removed',
      verified: 3,
    });
  });

  it('emptying the table (and sqlite_sequence) fails against the head file, the published head, and a head typed from Slack', async () => {
    const rows = await appendFive();
    await state.audit.publishHead('handoff:2026-11-26T12:00:00.000Z', minutes(6));
    hand.prepare('DELETE FROM audit_log').run();
    hand.prepare("DELETE FROM sqlite_sequence WHERE name = 'audit_log'").run();
    expect(await state.audit.verify()).toMatchObject({ ok: false, rowId: 1, reason: expect.stringMatching(/is row #5, and the log ends at #0: rows #1–#5 were removed$/) });
    dropHeadFile();
    expect(await state.audit.verify()).toMatchObject({ ok: false, rowId: 1, reason: expect.stringMatching(/^the head published in Slack .* is row #5, and the log ends at #0/) });
    hand.prepare('DELETE FROM audit_heads_published').run();
    // Everything on the machine erased: a head as seen in Slack still tells.
    expect(await state.audit.verify()).toMatchObject({ ok: true, rows: 0 });
    expect(await state.audit.verify([{ seq: 5, hash: rows[4]!.hash.slice(0, 16), from: 'the head given (--head)' }])).toEqual({
      ok: false,
      rowId: 1,
      reason: 'the head given (--head) is row #5, and the log ends at #0: rows #1–#5 were removed',
      verified: 0,
    });
  });

  it('a row appended by hand with a correctly recomputed hash fails against the head file', async () => {
    await appendFive();
    await state.audit.publishHead('daily:2026-11-26', minutes(6));
    const forged: AuditRow = { ...rowAt(5), id: 6, at: minutes(7).toISOString(), user_id: 'U0MALLORY', result: 'Rolled back by someone else', prev_hash: rowAt(5).hash, hash: '' };
    forged.hash = chainHash(forged.prev_hash, forged);
    hand
      .prepare('INSERT INTO audit_log (id, at, source, user_id, channel_id, command, args, outcome, plan, result, undo, prev_hash, hash) VALUES (@id, @at, @source, @user_id, @channel_id, @command, @args, @outcome, @plan, @result, @undo, @prev_hash, @hash)')
      .run(forged);
    expect(await state.audit.verify()).toEqual({ ok: false, rowId: 6, reason: "the bot's last row is #5 (its head file), so row #6 was added by something else", verified: 5 });
  });

  it('a row of a published head rewritten (and the rest after it) fails against a head typed from Slack', async () => {
    const rows = await appendFive();
    dropHeadFile();
    let prev = rowAt(2).hash;
    for (const id of [3, 4, 5]) {
      const row = { ...rowAt(id), prev_hash: prev, result: 'Nothing to see' };
      row.hash = chainHash(prev, row);
      hand.prepare('UPDATE audit_log SET result = ?, prev_hash = ?, hash = ? WHERE id = ?').run(row.result, row.prev_hash, row.hash, id);
      prev = row.hash;
    }
    expect(await state.audit.verify([{ seq: 4, hash: rows[3]!.hash, from: 'the head given (--head)' }])).toMatchObject({ ok: false, rowId: 4, reason: expect.stringMatching(/^it differs from the head given \(--head\)/) });
  });

  it('a dropped audit_log table is damage, named, not an unexpected error', async () => {
    await appendFive();
    expect(await state.audit.verify()).toMatchObject({ ok: true });
    hand.exec('DROP TABLE audit_log');
    expect(await state.audit.verify()).toEqual({ ok: false, rowId: 0, reason: 'the audit_log table is missing from chatops.db (dropped)', verified: 0, missingTable: true });
  });
});
