/**
 * The Kysely audit, handoff and PagerDuty stores, written once and run against both engines
 * (kysely-stores.test.ts: SQLite; kysely-stores.pg.test.ts: a real PostgreSQL database per test).
 * Every answer is checked for exact values. Where the engines differ on purpose (SQLite keeps the
 * audit head file and sqlite_sequence; PostgreSQL neither), each side's answer is pinned.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { sql } from 'kysely';
import { beforeEach, describe, expect, it } from 'vitest';
import { auditHeadFileOf } from '../../../src/db/state/kysely/sqlite-state-store.js';
import { chainHash, GENESIS_HASH, type AuditRow, type NewAuditEntry } from '../../../src/db/state/audit-store.js';
import type { HandoffPost } from '../../../src/db/state/handoff-store.js';
import { NO_HEAD_FILE_ON_POSTGRESQL } from '../../../src/db/state/kysely/kysely-audit-store.js';
import type { KyselyState } from '../../../src/db/state/kysely/kysely-state.js';
import { freshStates, type KyselyEngineUnderTest } from './kysely-store-cases.js';

const NOW = new Date('2026-12-07T12:00:00.000Z');
const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);

const NO_PUBLISHED_HEAD = 'No head has been published in Slack yet (the handoff and the daily line in the handoff channel publish it).';
const HEAD_FILE_HOLDS = (seq: number) => `the last row the bot wrote (its head file): row #${seq} holds and ends the log`;

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

export function auditHandoffsPagerDutyStoreCases(engine: KyselyEngineUnderTest): void {
  const sqlite = engine.engine === 'sqlite';

  describe(`the Kysely audit, handoff and PagerDuty stores on ${engine.engine}`, () => {
    const states = freshStates(engine);
    let state: KyselyState;
    beforeEach(() => {
      state = states.state();
    });
    const anotherState = states.another;

    describe('the audit chain', () => {
      const appendFive = async () => {
        const rows: AuditRow[] = [];
        for (const n of [1, 2, 3, 4, 5]) rows.push(await state.audit.append(entry(n), at(n)));
        return rows;
      };
      /** A row as stored, read behind the store's back. */
      const rowAt = async (id: number) => (await state.kysely.selectFrom('audit_log').selectAll().where('id', '=', id).executeTakeFirstOrThrow()) as AuditRow;
      /** Someone editing the state behind the bot's back. */
      const setRow = async (id: number, set: Partial<AuditRow>) => {
        await state.kysely.updateTable('audit_log').set(set).where('id', '=', id).execute();
      };
      const deleteRows = async (fromId: number) => {
        await state.kysely.deleteFrom('audit_log').where('id', '>=', fromId).execute();
      };
      const insertRow = async (row: AuditRow) => {
        await state.kysely.insertInto('audit_log').values(row).execute();
      };
      /** SQLite: the head file beside this chatops.db (where openStateStore keeps it). */
      const headFile = async () => {
        const { rows } = await sql<{ name: string; file: string }>`PRAGMA database_list`.execute(state.kysely);
        return auditHeadFileOf(rows.find((r) => r.name === 'main')!.file)!;
      };
      /** SQLite: AUTOINCREMENT's record of the highest id handed out, lowered by someone covering a cut. */
      const lowerSequence = async (seq: number) => {
        await sql`UPDATE sqlite_sequence SET seq = ${seq} WHERE name = 'audit_log'`.execute(state.kysely);
      };

      it('chains each row to the one before from the genesis hash; the hash covers the id and the content in a fixed order', async () => {
        const rows = await appendFive();
        expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
        expect(rows[0]!.prev_hash).toBe(GENESIS_HASH);
        for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
        // Pinned by hand, as an outside verifier computes it: sha256(prev + "\n" + canonical JSON).
        const canonical =
          '{"id":1,"at":"2026-12-07T12:01:00.000Z","source":"slack","user_id":"U0ANN","channel_id":"C0INCIDENT","command":"snapshot rollback",' +
          '"args":"{\\"snapshot\\":\\"snap-1\\"}","outcome":"applied","plan":"{\\"summary\\":\\"roll back to snap-1\\"}","result":"Rolled back to snap-1",' +
          '"undo":"/atlas snapshot rollback snap-2"}';
        expect(rows[0]).toStrictEqual({
          id: 1,
          at: '2026-12-07T12:01:00.000Z',
          source: 'slack',
          user_id: 'U0ANN',
          channel_id: 'C0INCIDENT',
          command: 'snapshot rollback',
          args: '{"snapshot":"snap-1"}',
          outcome: 'applied',
          plan: '{"summary":"roll back to snap-1"}',
          result: 'Rolled back to snap-1',
          undo: '/atlas snapshot rollback snap-2',
          prev_hash: GENESIS_HASH,
          hash: createHash('sha256').update(`${GENESIS_HASH}\n${canonical}`).digest('hex'),
        });
        expect(await rowAt(1)).toStrictEqual(rows[0]);
        expect(await rowAt(5)).toStrictEqual(rows[4]);
        expect(await state.audit.head()).toStrictEqual({ seq: 5, hash: rows[4]!.hash });
        expect(await state.audit.verify()).toStrictEqual({
          ok: true,
          rows: 5,
          last: { id: 5, at: at(5).toISOString(), hash: rows[4]!.hash },
          anchors: sqlite ? [HEAD_FILE_HOLDS(5)] : [],
          notes: sqlite ? [NO_PUBLISHED_HEAD] : [NO_PUBLISHED_HEAD, NO_HEAD_FILE_ON_POSTGRESQL],
        });
      });

      it('an empty log verifies, with no latest row, and its head is the genesis hash', async () => {
        expect(await state.audit.head()).toStrictEqual({ seq: 0, hash: GENESIS_HASH });
        expect(await state.audit.lastPublished()).toBeNull();
        expect(await state.audit.verify()).toStrictEqual({
          ok: true,
          rows: 0,
          last: null,
          anchors: [],
          notes: sqlite ? [NO_PUBLISHED_HEAD] : [NO_PUBLISHED_HEAD, NO_HEAD_FILE_ON_POSTGRESQL],
        });
      });

      it("detects an edited row's content, an edited link, and a forged row, each at its row", async () => {
        await appendFive();
        await setRow(3, { result: 'Nothing happened' });
        expect(await state.audit.verify()).toStrictEqual({ ok: false, rowId: 3, reason: 'its content was changed or forged (its hash does not match what it holds)', verified: 2 });
        await setRow(3, { result: 'Rolled back to snap-3' });
        expect(await state.audit.verify()).toMatchObject({ ok: true, rows: 5 });
        await setRow(4, { prev_hash: (await rowAt(2)).hash });
        expect(await state.audit.verify()).toMatchObject({ ok: false, rowId: 4, reason: expect.stringMatching(/^its content was changed/) });
        await setRow(4, { prev_hash: (await rowAt(3)).hash });
        const forged = { ...(await rowAt(5)), id: 6, user_id: 'U0MALLORY', prev_hash: (await rowAt(5)).hash, hash: 'f'.repeat(64) };
        await insertRow(forged);
        expect(await state.audit.verify()).toMatchObject({ ok: false, rowId: 6, reason: expect.stringMatching(/^its content was changed or forged/), verified: 5 });
        await deleteRows(6);
        await insertRow({ ...forged, id: 0, prev_hash: GENESIS_HASH, hash: 'e'.repeat(64) });
        expect(await state.audit.verify()).toStrictEqual({ ok: false, rowId: 0, reason: 'it was inserted before the first row (ids start at #1)', verified: 0 });
      });

      it('detects a deleted middle row at the next one, and a row changed with its own hash recomputed at the row after it', async () => {
        const rows = await appendFive();
        const forged = { ...(await rowAt(3)), user_id: 'U0MALLORY', result: 'Rolled back by someone else' };
        await setRow(3, { user_id: forged.user_id, result: forged.result, hash: chainHash(forged.prev_hash, forged) });
        expect(await state.audit.verify()).toStrictEqual({
          ok: false,
          rowId: 4,
          reason: 'the row before it was changed or replaced, or this one was inserted (it does not chain from the hash before it)',
          verified: 3,
        });
        await setRow(3, { user_id: rows[2]!.user_id, result: rows[2]!.result, hash: rows[2]!.hash });
        expect(await state.audit.verify()).toMatchObject({ ok: true, rows: 5 });
        await state.kysely.deleteFrom('audit_log').where('id', '=', 3).execute();
        expect(await state.audit.verify()).toStrictEqual({ ok: false, rowId: 4, reason: 'row #3 before it is missing', verified: 2 });
        await state.kysely.deleteFrom('audit_log').where('id', '=', 2).execute();
        expect(await state.audit.verify()).toStrictEqual({ ok: false, rowId: 4, reason: 'rows #2–#3 before it are missing', verified: 1 });
      });

      it('a deleted last row: SQLite sees it through sqlite_sequence (and, lowered too, the head file); PostgreSQL only through a published head', async () => {
        const rows = await appendFive();
        await deleteRows(5);
        if (sqlite) {
          expect(await state.audit.verify()).toStrictEqual({ ok: false, rowId: 5, reason: 'it is missing from the end (ids were handed out up to #5)', verified: 4 });
          await deleteRows(4);
          expect(await state.audit.verify()).toStrictEqual({ ok: false, rowId: 4, reason: 'it and the rows up to #5 are missing from the end', verified: 3 });
          await lowerSequence(3);
          expect(await state.audit.verify()).toStrictEqual({
            ok: false,
            rowId: 4,
            reason: 'the last row the bot wrote (its head file) is row #5, and the log ends at #3: rows #4–#5 were removed',
            verified: 3,
          });
        } else {
          // The documented limit: no head file, no sqlite_sequence; the chain left holds by itself.
          expect(await state.audit.verify()).toMatchObject({ ok: true, rows: 4, notes: [NO_PUBLISHED_HEAD, NO_HEAD_FILE_ON_POSTGRESQL] });
          expect(await state.audit.verify([{ seq: 5, hash: rows[4]!.hash, from: 'the head given (--head)' }])).toStrictEqual({
            ok: false,
            rowId: 5,
            reason: 'the head given (--head) is row #5, and the log ends at #4: row #5 was removed',
            verified: 4,
          });
        }
      });

      it('a row appended after the last one was deleted: SQLite leaves the gap to see; PostgreSQL chains on from the row left', async () => {
        await appendFive();
        await deleteRows(5);
        const next = await state.audit.append(entry(6), at(6));
        expect(next.prev_hash).toBe((await rowAt(4)).hash);
        if (sqlite) {
          expect(next.id).toBe(6);
          expect(await state.audit.verify()).toStrictEqual({ ok: false, rowId: 6, reason: 'row #5 before it is missing', verified: 4 });
        } else {
          expect(next.id).toBe(5);
          expect(await state.audit.verify()).toMatchObject({ ok: true, rows: 5 });
        }
      });

      it('a log rewritten from a row to its end, every hash recomputed, fails against the head file (SQLite) and a head given (both)', async () => {
        const rows = await appendFive();
        let prev = (await rowAt(2)).hash;
        for (const id of [3, 4, 5]) {
          const row = { ...(await rowAt(id)), prev_hash: prev, result: 'Nothing to see' };
          row.hash = chainHash(prev, row);
          await setRow(id, { result: row.result, prev_hash: row.prev_hash, hash: row.hash });
          prev = row.hash;
        }
        if (sqlite) {
          expect(await state.audit.verify()).toStrictEqual({
            ok: false,
            rowId: 5,
            reason: 'it differs from the last row the bot wrote (its head file): its hash is not the one recorded there, so the log was rewritten up to it',
            verified: 4,
          });
          rmSync(await headFile());
        }
        expect(await state.audit.verify()).toMatchObject({ ok: true, rows: 5 });
        expect(await state.audit.verify([{ seq: 4, hash: rows[3]!.hash.slice(0, 8), from: 'the head given (--head)' }])).toStrictEqual({
          ok: false,
          rowId: 4,
          reason: 'it differs from the head given (--head): its hash is not the one recorded there, so the log was rewritten up to it',
          verified: 3,
        });
      });

      it('publishes the head once per occasion and checks the chain against the last one published', async () => {
        const rows = await appendFive();
        expect(await state.audit.publishHead('daily:2026-12-07', at(6))).toStrictEqual({ seq: 5, hash: rows[4]!.hash });
        await state.audit.append(entry(6), at(7));
        expect(await state.audit.publishHead('daily:2026-12-07', at(8))).toBeNull();
        expect(await state.audit.publishHead('handoff:2026-12-07T08:00:00.000Z', at(8))).toStrictEqual({ seq: 6, hash: (await rowAt(6)).hash });
        expect(await state.audit.lastPublished()).toStrictEqual({ occasion: 'handoff:2026-12-07T08:00:00.000Z', seq: 6, hash: (await rowAt(6)).hash, published_at: at(8).toISOString() });
        const published = 'the head published in Slack at 2026-12-07T12:08:00.000Z (handoff:2026-12-07T08:00:00.000Z): row #6 holds';
        expect(await state.audit.verify()).toStrictEqual({
          ok: true,
          rows: 6,
          last: { id: 6, at: at(7).toISOString(), hash: (await rowAt(6)).hash },
          anchors: sqlite ? [published, HEAD_FILE_HOLDS(6)] : [published],
          notes: sqlite ? [] : [NO_HEAD_FILE_ON_POSTGRESQL],
        });
        if (sqlite) expect(JSON.parse(readFileSync(await headFile(), 'utf8'))).toStrictEqual({ seq: 6, hash: (await rowAt(6)).hash, at: at(7).toISOString() });
      });

      it('the last rows cut (and, on SQLite, sqlite_sequence lowered and the head file removed) fail against the published head', async () => {
        await appendFive();
        await state.audit.publishHead('daily:2026-12-07', at(6));
        await deleteRows(4);
        if (sqlite) {
          await lowerSequence(3);
          rmSync(await headFile());
        }
        expect(await state.audit.verify()).toStrictEqual({
          ok: false,
          rowId: 4,
          reason: 'the head published in Slack at 2026-12-07T12:06:00.000Z (daily:2026-12-07) is row #5, and the log ends at #3: rows #4–#5 were removed',
          verified: 3,
        });
      });

      it('an emptied table fails against the published head; with that gone too, against a head typed from Slack', async () => {
        const rows = await appendFive();
        await state.audit.publishHead('daily:2026-12-07', at(6));
        await deleteRows(0);
        if (sqlite) {
          await sql`DELETE FROM sqlite_sequence WHERE name = 'audit_log'`.execute(state.kysely);
          rmSync(await headFile());
        }
        expect(await state.audit.verify()).toMatchObject({ ok: false, rowId: 1, reason: expect.stringMatching(/^the head published in Slack .* is row #5, and the log ends at #0: rows #1–#5 were removed$/) });
        await state.kysely.deleteFrom('audit_heads_published').execute();
        expect(await state.audit.verify()).toMatchObject({ ok: true, rows: 0 });
        expect(await state.audit.verify([{ seq: 5, hash: rows[4]!.hash.slice(0, 16), from: 'the head given (--head)' }])).toStrictEqual({
          ok: false,
          rowId: 1,
          reason: 'the head given (--head) is row #5, and the log ends at #0: rows #1–#5 were removed',
          verified: 0,
        });
      });

      it('a row appended by hand with a correctly recomputed hash fails against the head file on SQLite; PostgreSQL says it keeps none', async () => {
        await appendFive();
        await state.audit.publishHead('daily:2026-12-07', at(6));
        const last = await rowAt(5);
        const forged: AuditRow = { ...last, id: 6, at: at(7).toISOString(), user_id: 'U0MALLORY', result: 'Rolled back by someone else', prev_hash: last.hash, hash: '' };
        forged.hash = chainHash(forged.prev_hash, forged);
        await insertRow(forged);
        if (sqlite) {
          expect(await state.audit.verify()).toStrictEqual({ ok: false, rowId: 6, reason: "the bot's last row is #5 (its head file), so row #6 was added by something else", verified: 5 });
        } else {
          expect(await state.audit.verify()).toMatchObject({ ok: true, rows: 6, notes: [NO_HEAD_FILE_ON_POSTGRESQL] });
        }
      });

      it('joins the transaction it is appended in: rolled back with the change it records, its id not used up', async () => {
        await appendFive();
        await expect(
          state.transaction(async (tx) => {
            await tx.audit.append(entry(6), at(6));
            throw new Error('the remediation failed');
          }),
        ).rejects.toThrow('the remediation failed');
        expect(await state.audit.count()).toBe(5);
        expect((await state.audit.append(entry(6), at(6))).id).toBe(6);
        expect(await state.audit.verify()).toMatchObject({ ok: true, rows: 6 });
      });

      it('lists the newest entries first, of one person when asked, and counts them', async () => {
        await appendFive();
        const bob = await state.audit.append(entry(6, { userId: 'U0BOB', outcome: 'refused', plan: null, undo: null }), at(6));
        expect((await state.audit.latest({ limit: 3 })).map((r) => r.id)).toEqual([6, 5, 4]);
        expect(await state.audit.latest({ limit: 10, userId: 'U0BOB' })).toStrictEqual([bob]);
        expect(await state.audit.latest({ limit: 10, userId: 'U0NOBODY' })).toEqual([]);
        expect([await state.audit.count(), await state.audit.count('U0ANN'), await state.audit.count('U0NOBODY')]).toEqual([6, 5, 0]);
      });

      it('refuses arguments or a plan that are not JSON text, and writes nothing', async () => {
        await expect(state.audit.append(entry(1, { args: 'snap-1' }), NOW)).rejects.toThrow('audit args must be JSON text');
        await expect(state.audit.append(entry(1, { plan: '{' }), NOW)).rejects.toThrow('audit plan must be JSON text');
        expect(await state.audit.count()).toBe(0);
      });

      it('a dropped audit_log table is damage, named, not an unexpected error', async () => {
        await appendFive();
        await sql`DROP TABLE audit_log`.execute(state.kysely);
        expect(await state.audit.verify()).toStrictEqual({
          ok: false,
          rowId: 0,
          reason: `the audit_log table is missing from ${sqlite ? 'chatops.db' : 'the PostgreSQL state'} (dropped)`,
          verified: 0,
          missingTable: true,
        });
      });

      it('stays one chain with two writers: appends from two states at once (on PostgreSQL: fails without serialize)', async () => {
        const other = await anotherState();
        const count = 24;
        const appended = await Promise.all(
          Array.from({ length: count }, (_, i) => (i % 2 === 0 ? state : other).audit.append(entry(i, { userId: i % 2 === 0 ? 'U0ANN' : 'U0BOB' }), at(i))),
        );
        expect(appended.map((r) => r.id).sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
        const rows = (await state.kysely.selectFrom('audit_log').selectAll().orderBy('id').execute()) as AuditRow[];
        expect(rows.map((r) => r.id)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
        expect(rows[0]!.prev_hash).toBe(GENESIS_HASH);
        for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
        expect(await other.audit.verify()).toMatchObject({ ok: true, rows: count, last: { id: count, hash: rows[count - 1]!.hash } });
        if (sqlite) expect(JSON.parse(readFileSync(await headFile(), 'utf8'))).toMatchObject({ seq: count, hash: rows[count - 1]!.hash });
      });

      it('verifies while another state appends and publishes heads: every verify holds (the published head read before the rows)', async () => {
        const other = await anotherState();
        let writing = true;
        const writer = (async () => {
          try {
            for (let i = 0; i < 30; i++) {
              await other.transaction(async (tx) => {
                await tx.audit.append(entry(i), at(i));
                await tx.audit.publishHead(`daily:${i}`, at(i));
              });
            }
          } finally {
            writing = false;
          }
        })();
        const verdicts: unknown[] = [];
        while (writing) verdicts.push(await state.audit.verify());
        await writer;
        verdicts.push(await state.audit.verify());
        expect(verdicts.filter((v) => !(v as { ok: boolean }).ok)).toEqual([]);
        expect(verdicts.at(-1)).toMatchObject({ ok: true, rows: 30, anchors: expect.arrayContaining([expect.stringContaining('(daily:29): row #30 holds')]) });
      });
    });

    describe('handoffs', () => {
      const MONDAY = new Date('2026-12-07T08:00:00.000Z');
      const TUESDAY = new Date('2026-12-08T08:00:00.000Z');
      const WEDNESDAY = new Date('2026-12-09T08:00:00.000Z');
      const post = (over: Partial<HandoffPost> = {}): HandoffPost => ({ outgoing: 'U0ANN', incoming: 'U0BOB', late: false, skipped: [], ...over });

      it('keep notes until the handoff is out, remind once, post once, and name the newest settled', async () => {
        expect(await state.handoffs.get(MONDAY)).toBeNull();
        expect(await state.handoffs.latestSettled()).toBeNull();
        expect(await state.handoffs.saveNotes(MONDAY, 'first draft', 'U0ANN', NOW)).toBe(true);
        expect(await state.handoffs.saveNotes(MONDAY, 'Watch the TIGER retries.', 'U0CAT', at(1))).toBe(true);
        expect(await state.handoffs.claimReminder(MONDAY, at(2))).toBe(true);
        expect(await state.handoffs.claimReminder(MONDAY, at(3))).toBe(false);
        expect(await state.handoffs.claimPost(MONDAY, post(), at(4))).toBe(true);
        expect(await state.handoffs.claimPost(MONDAY, post({ outgoing: 'U0DAN' }), at(5))).toBe(false);
        expect(await state.handoffs.saveNotes(MONDAY, 'too late', 'U0ANN', at(6))).toBe(false);
        const posted = {
          shift_start: MONDAY.toISOString(),
          notes: 'Watch the TIGER retries.',
          notes_by: 'U0CAT',
          notes_at: at(1).toISOString(),
          reminded_at: at(2).toISOString(),
          status: 'posted',
          settled_at: at(4).toISOString(),
          outgoing: 'U0ANN',
          incoming: 'U0BOB',
          late: 0,
          skipped: null,
        };
        expect(await state.handoffs.get(MONDAY)).toStrictEqual(posted);
        expect(await state.handoffs.latestSettled()).toStrictEqual(posted);
        // Notes for the next shift start a pending row, which is not settled.
        expect(await state.handoffs.saveNotes(TUESDAY, 'next', 'U0BOB', at(7))).toBe(true);
        expect(await state.handoffs.latestSettled()).toStrictEqual(posted);
        // A reminder after the post is not claimed.
        expect(await state.handoffs.claimReminder(MONDAY, at(8))).toBe(false);
      });

      it('a late post marks the shift changes missed before it skipped, in the same claim', async () => {
        await state.handoffs.saveNotes(MONDAY, 'from Monday', 'U0ANN', NOW);
        expect(await state.handoffs.claimPost(WEDNESDAY, post({ late: true, skipped: [MONDAY, TUESDAY] }), at(60))).toBe(true);
        expect(await state.handoffs.get(WEDNESDAY)).toMatchObject({ status: 'posted', late: 1, skipped: JSON.stringify([MONDAY.toISOString(), TUESDAY.toISOString()]), settled_at: at(60).toISOString() });
        expect(await state.handoffs.get(MONDAY)).toMatchObject({ status: 'skipped', settled_at: at(60).toISOString(), notes: 'from Monday', outgoing: null });
        expect(await state.handoffs.get(TUESDAY)).toStrictEqual({
          shift_start: TUESDAY.toISOString(),
          notes: null,
          notes_by: null,
          notes_at: null,
          reminded_at: null,
          status: 'skipped',
          settled_at: at(60).toISOString(),
          outgoing: null,
          incoming: null,
          late: 0,
          skipped: null,
        });
        expect(await state.handoffs.latestSettled()).toMatchObject({ shift_start: WEDNESDAY.toISOString() });
        expect(await state.handoffs.claimPost(TUESDAY, post(), at(61))).toBe(false);
      });

      it('record the baseline once, only where nothing settled the shift', async () => {
        expect(await state.handoffs.markBaseline(MONDAY, NOW)).toBe(true);
        expect(await state.handoffs.markBaseline(MONDAY, at(1))).toBe(false);
        expect(await state.handoffs.get(MONDAY)).toMatchObject({ status: 'baseline', settled_at: NOW.toISOString() });
        expect(await state.handoffs.claimPost(MONDAY, post(), at(2))).toBe(false);
        expect(await state.handoffs.claimPost(TUESDAY, post(), at(3))).toBe(true);
        expect(await state.handoffs.markBaseline(TUESDAY, at(4))).toBe(false);
        expect(await state.handoffs.latestSettled()).toMatchObject({ shift_start: TUESDAY.toISOString(), status: 'posted' });
      });

      it('a failed caller transaction takes its claim back with it', async () => {
        await expect(
          state.transaction(async (tx) => {
            expect(await tx.handoffs.claimPost(MONDAY, post({ skipped: [at(-24 * 60)] }), NOW)).toBe(true);
            throw new Error('the post could not be queued');
          }),
        ).rejects.toThrow('the post could not be queued');
        expect(await state.handoffs.get(MONDAY)).toBeNull();
        expect(await state.handoffs.claimPost(MONDAY, post(), at(1))).toBe(true);
      });

      it("post a shift's handoff and its reminder once of several claims from two states at once", async () => {
        const other = await anotherState();
        const replicas = [state, other, state, other, state, other];
        const reminders = await Promise.all(replicas.map((s, i) => s.handoffs.claimReminder(MONDAY, at(i))));
        expect(reminders.filter(Boolean)).toHaveLength(1);
        const posts = await Promise.all(replicas.map((s, i) => s.handoffs.claimPost(MONDAY, post({ outgoing: `U${i}` }), at(10 + i))));
        expect(posts.filter(Boolean)).toHaveLength(1);
        const winner = posts.indexOf(true);
        expect(await state.handoffs.get(MONDAY)).toMatchObject({ status: 'posted', outgoing: `U${winner}`, settled_at: at(10 + winner).toISOString() });
        // A late post and a baseline racing for the same shift: one settles it.
        const settled = await Promise.all([state.handoffs.claimPost(TUESDAY, post(), at(20)), other.handoffs.markBaseline(TUESDAY, at(20)), other.handoffs.claimPost(TUESDAY, post(), at(21))]);
        expect(settled.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('PagerDuty', () => {
      const alert = async (key: string) => {
        await state.kysely
          .insertInto('alerts')
          .values({ key, name: key, status: 'firing', severity: 'P2', severity_known: 1, fired_at: NOW.toISOString(), updated_at: NOW.toISOString() })
          .execute();
      };
      const link = (id: string, over: Partial<Parameters<KyselyState['pagerduty']['saveIncident']>[0]> = {}) => ({
        pdIncidentId: id,
        alertKey: 'disk',
        incidentId: null,
        status: 'triggered',
        htmlUrl: `https://acme.pagerduty.com/incidents/${id}`,
        lastEventAt: NOW,
        incidentKey: 'atlas:disk:1',
        ...over,
      });

      it('record a delivery once by its id', async () => {
        const event = { eventId: 'ev-1', eventType: 'incident.acknowledged', pdIncidentId: 'PD1', occurredAt: NOW };
        expect(await state.pagerduty.seen('ev-1')).toBe(false);
        expect(await state.pagerduty.recordEvent(event, at(1))).toBe(true);
        expect(await state.pagerduty.recordEvent({ ...event, eventType: 'incident.resolved' }, at(2))).toBe(false);
        expect(await state.pagerduty.seen('ev-1')).toBe(true);
        expect(await state.kysely.selectFrom('pagerduty_events').selectAll().execute()).toStrictEqual([
          { event_id: 'ev-1', event_type: 'incident.acknowledged', pd_incident_id: 'PD1', occurred_at: NOW.toISOString(), received_at: at(1).toISOString() },
        ]);
      });

      it('record a redelivery received by two replicas at once once', async () => {
        const other = await anotherState();
        const event = { eventId: 'ev-9', eventType: 'incident.triggered', pdIncidentId: 'PD9', occurredAt: NOW };
        const recorded = await Promise.all([state, other, state, other].map((s) => s.pagerduty.recordEvent(event, NOW)));
        expect(recorded.filter(Boolean)).toHaveLength(1);
      });

      it('link an incident, replace the link keeping its dedup key, set its status, and find the current one of an alert', async () => {
        await alert('disk');
        await state.kysely
          .insertInto('incidents')
          .values({ id: 'inc-1', day: '2026-12-07', seq: 1, title: 'Disk full', severity: 'P2', status: 'investigating', created_by: 'U1', opened_at: NOW.toISOString(), resolved_at: null })
          .execute();
        expect(await state.pagerduty.incident('PD1')).toBeNull();
        expect(await state.pagerduty.byAlert('disk')).toBeNull();
        await state.pagerduty.saveIncident(link('PD1'));
        await state.pagerduty.saveIncident(link('PD1', { incidentId: 'inc-1', status: 'acknowledged', lastEventAt: at(1), incidentKey: null }));
        const pd1 = {
          pd_incident_id: 'PD1',
          alert_key: 'disk',
          incident_id: 'inc-1',
          status: 'acknowledged',
          html_url: 'https://acme.pagerduty.com/incidents/PD1',
          last_event_at: at(1).toISOString(),
          incident_key: 'atlas:disk:1',
        };
        expect(await state.pagerduty.incident('PD1')).toStrictEqual(pd1);
        await state.pagerduty.saveIncident(link('PD1', { incidentId: 'inc-1', status: 'acknowledged', lastEventAt: at(1), incidentKey: 'atlas:disk:1b' }));
        expect(await state.pagerduty.incident('PD1')).toStrictEqual({ ...pd1, incident_key: 'atlas:disk:1b' });
        // A later incident of the same alert is the one it stands for now.
        await state.pagerduty.saveIncident(link('PD2', { lastEventAt: at(5), incidentKey: 'atlas:disk:2' }));
        expect((await state.pagerduty.byAlert('disk'))?.pd_incident_id).toBe('PD2');
        expect((await state.pagerduty.currentLink({ key: 'disk', status: 'firing' }))?.pd_incident_id).toBe('PD2');
        await state.pagerduty.setIncidentStatus('PD2', 'resolved');
        expect(await state.pagerduty.incident('PD2')).toMatchObject({ status: 'resolved', last_event_at: at(5).toISOString() });
        // Resolved in PagerDuty: it stands for the alert only while the alert is resolved too.
        expect(await state.pagerduty.currentLink({ key: 'disk', status: 'firing' })).toBeNull();
        expect((await state.pagerduty.currentLink({ key: 'disk', status: 'resolved' }))?.pd_incident_id).toBe('PD2');
        expect(await state.pagerduty.currentLink({ key: 'other', status: 'resolved' })).toBeNull();
      });

      it("keep a page per firing, what was last asked of it, and find a dedup key's latest firing", async () => {
        await alert('disk');
        expect(await state.pagerduty.page('disk', 1)).toBeNull();
        await state.pagerduty.savePage({ alert_key: 'disk', fire_count: 1, dedup_key: 'atlas:disk', status: 'triggered' });
        await state.pagerduty.savePage({ alert_key: 'disk', fire_count: 2, dedup_key: 'atlas:disk', status: 'triggered' });
        await state.pagerduty.savePage({ alert_key: 'disk', fire_count: 1, dedup_key: 'ignored: the key stays', status: 'resolved' });
        expect(await state.pagerduty.page('disk', 1)).toStrictEqual({ alert_key: 'disk', fire_count: 1, dedup_key: 'atlas:disk', status: 'resolved' });
        expect(await state.pagerduty.pageByDedupKey('atlas:disk')).toStrictEqual({ alert_key: 'disk', fire_count: 2, dedup_key: 'atlas:disk', status: 'triggered' });
        expect(await state.pagerduty.pageByDedupKey('atlas:nothing')).toBeNull();
      });

      it('show a problem on a message, replaced whole by a newer one, and forget it once', async () => {
        expect(await state.pagerduty.problem('alert:disk:1')).toBeNull();
        await state.pagerduty.setProblem({ anchor: 'alert:disk:1', action: 'acknowledge', problem: 'PagerDuty answered 403', html_url: 'https://acme.pagerduty.com/incidents/PD1' }, NOW);
        await state.pagerduty.setProblem({ anchor: 'alert:disk:1', action: 'resolve', problem: 'PagerDuty answered 500', html_url: null }, at(1));
        expect(await state.pagerduty.problem('alert:disk:1')).toStrictEqual({ anchor: 'alert:disk:1', action: 'resolve', problem: 'PagerDuty answered 500', html_url: null, at: at(1).toISOString() });
        expect(await state.pagerduty.clearProblem('alert:disk:1')).toBe(true);
        expect(await state.pagerduty.clearProblem('alert:disk:1')).toBe(false);
        expect(await state.pagerduty.problem('alert:disk:1')).toBeNull();
      });
    });
  });
}
