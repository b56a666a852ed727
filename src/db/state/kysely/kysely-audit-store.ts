import type { Kysely } from 'kysely';
import {
  assertAuditEntry,
  auditContent,
  chainHash,
  GENESIS_HASH,
  isMissingAuditTable,
  missingAuditTable,
  verifyAuditChain,
  writeAuditHeadFile,
  type AuditHead,
  type AuditRow,
  type AuditStore,
  type AuditStoreOptions,
  type PublishedHead,
} from '../audit-store.js';
import { atomically } from './atomically.js';
import type { StateDialect } from './state-dialect.js';
import type { StateDb } from './state-db.js';

/** SQLite's own table of the highest id each AUTOINCREMENT table has handed out. */
// A type, not an interface: withTables wants a record type.
type SqliteSequence = { sqlite_sequence: { name: string; seq: number } };

/** What verify says of a PostgreSQL state, where no head file is kept. */
export const NO_HEAD_FILE_ON_POSTGRESQL =
  'No head file is kept for a PostgreSQL state (its replicas share no disk): the chain is checked against the heads published in Slack and a head given with --head only, so rows appended or removed after the last published head are not caught.';

/**
 * audit-store.ts, written once for SQLite and PostgreSQL, with the same hash (`chainHash`) and the
 * same verification (`verifyAuditChain`), imported from it.
 *
 * One chain, several writers: an append reads the newest row and chains to it, so two appends
 * must not read the same newest row. On SQLite the immediate transaction runs one writer at a
 * time; on PostgreSQL (READ COMMITTED) both would read row N and both insert N+1, so the append
 * first takes `dialect.serialize(tx, 'audit-append')`, held to the end of its transaction (the
 * caller's, when it is appended inside one: the row commits with the change it records).
 *
 * The id is chosen here, because the hash covers it: one past the newest row, and on SQLite one
 * past the highest ever handed out (sqlite_sequence), so a removed last row leaves a gap rather
 * than being reused, and verify sees rows cut off the end. PostgreSQL has no such record that a
 * rolled-back append would not advance (a sequence is not transactional), so there a removed
 * last row is caught only by a published or given head.
 *
 * The head file (`headFile`, beside chatops.db) is SQLite's alone: on PostgreSQL the bot passes
 * null (two hosts share no disk), and verify says so in its notes.
 */
export function kyselyAuditStore(db: Kysely<StateDb>, dialect: StateDialect, opts: AuditStoreOptions = { headFile: null }): AuditStore {
  const { headFile } = opts;
  const postgresql = dialect.engine === 'postgresql';
  const newest = async (on: Kysely<StateDb>): Promise<AuditHead | null> =>
    (await on.selectFrom('audit_log').select(['id as seq', 'hash']).orderBy('id', 'desc').limit(1).executeTakeFirst()) ?? null;
  const handedOut = async (on: Kysely<StateDb>): Promise<number | null> =>
    postgresql ? null : ((await on.withTables<SqliteSequence>().selectFrom('sqlite_sequence').select('seq').where('name', '=', 'audit_log').executeTakeFirst())?.seq ?? 0);
  const lastPublished = async (on: Kysely<StateDb>): Promise<PublishedHead | null> =>
    (await on.selectFrom('audit_heads_published').selectAll().orderBy('seq', 'desc').orderBy('published_at', 'desc').limit(1).executeTakeFirst()) ?? null;
  return {
    async append(entry, now) {
      assertAuditEntry(entry);
      return await atomically(db, async (tx) => {
        await dialect.serialize(tx, 'audit-append');
        const head = await newest(tx);
        const content = auditContent(Math.max((await handedOut(tx)) ?? 0, head?.seq ?? 0) + 1, entry, now);
        const prev_hash = head?.hash ?? GENESIS_HASH;
        const row: AuditRow = { ...content, prev_hash, hash: chainHash(prev_hash, content) };
        await tx.insertInto('audit_log').values(row).execute();
        // Last in the transaction: a failure here rolls the row back. A crash after this and before
        // the commit leaves the file one row ahead; verify then names that row as missing.
        writeAuditHeadFile(headFile, row);
        return row;
      });
    },
    latest: async ({ limit, userId }) =>
      (await db
        .selectFrom('audit_log')
        .selectAll()
        .$if(userId !== undefined, (q) => q.where('user_id', '=', userId!))
        .orderBy('id', 'desc')
        .limit(limit)
        .execute()) as AuditRow[],
    count: async (userId) =>
      (
        await db
          .selectFrom('audit_log')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .$if(userId !== undefined, (q) => q.where('user_id', '=', userId!))
          .executeTakeFirstOrThrow()
      ).n,
    async verify(given = []) {
      try {
        // One transaction, so the rows, sqlite_sequence and the published head are seen at the same
        // moment while others append. The published head is read first: on PostgreSQL each
        // statement sees what was committed when it began, and a head is published only of rows
        // already committed, so the rows read after it include them.
        return await atomically(db, async (tx) => {
          const published = await lastPublished(tx);
          const rows = (await tx.selectFrom('audit_log').selectAll().orderBy('id').execute()) as AuditRow[];
          const handed = await handedOut(tx);
          return verifyAuditChain({ rows, handedOut: () => handed, published, given, headFile, noHeadFileNote: postgresql ? NO_HEAD_FILE_ON_POSTGRESQL : null });
        });
      } catch (err) {
        if (isMissingAuditTable(err)) return missingAuditTable(postgresql ? 'the PostgreSQL state' : 'chatops.db');
        throw err;
      }
    },
    head: async () => (await newest(db)) ?? { seq: 0, hash: GENESIS_HASH },
    async publishHead(occasion, now) {
      const head = (await newest(db)) ?? { seq: 0, hash: GENESIS_HASH };
      const r = await db
        .insertInto('audit_heads_published')
        .values({ occasion, seq: head.seq, hash: head.hash, published_at: now.toISOString() })
        .onConflict((oc) => oc.column('occasion').doNothing())
        .executeTakeFirst();
      return r.numInsertedOrUpdatedRows === 1n ? head : null;
    },
    lastPublished: () => lastPublished(db),
  };
}
