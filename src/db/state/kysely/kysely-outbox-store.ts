import type { Kysely } from 'kysely';
import type { ClaimOptions, OutboxRow, OutboxStore } from '../outbox-store.js';
import { iso } from '../state-records.js';
import { atomically } from './atomically.js';
import type { StateDialect } from './state-dialect.js';
import type { StateDb } from './state-db.js';

/**
 * outbox-store.ts, written once for SQLite and PostgreSQL. Claims differ by one clause
 * (`dialect.claimLock`): on PostgreSQL two replicas claiming at once skip each other's rows
 * instead of taking the same lane head twice; on SQLite the immediate transaction serializes them.
 */
export function kyselyOutboxStore(db: Kysely<StateDb>, dialect: StateDialect): OutboxStore {
  const unsent = () => db.selectFrom('outbox').where('sent_at', 'is', null).where('failed_at', 'is', null);
  const claim = (o: ClaimOptions) =>
    atomically(db, async (tx) => {
      const wall = iso(o.wallNow);
      const heads = tx
        .selectFrom('outbox as o')
        .innerJoin(
          (eb) =>
            eb
              .selectFrom('outbox')
              .select(['lane', (e) => e.fn.min('id').as('id')])
              .where('sent_at', 'is', null)
              .where('failed_at', 'is', null)
              .groupBy('lane')
              .as('h'),
          (join) => join.onRef('h.id', '=', 'o.id'),
        )
        .selectAll('o')
        .where('o.next_attempt_at', '<=', iso(o.now))
        .where((eb) => eb.or([eb('o.lease_until', 'is', null), eb('o.lease_until', '<=', wall)]))
        .$if(o.calls === true, (q) => q.where('o.op', '=', 'call'))
        .$if(o.calls === false, (q) => q.where('o.op', '<>', 'call'))
        .orderBy('o.id')
        .limit(o.limit);
      const rows = (await dialect.claimLock(heads, 'o').execute()) as OutboxRow[];
      const until = iso(new Date(o.wallNow.getTime() + o.leaseMs));
      for (const row of rows) {
        await tx.updateTable('outbox').set({ claimed_by: o.owner, lease_until: until }).where('id', '=', row.id).execute();
        row.claimed_by = o.owner;
        row.lease_until = until;
      }
      return rows;
    });
  const enqueue = async (m: Parameters<OutboxStore['enqueue']>[0], now: Date, on: Kysely<StateDb> = db): Promise<number> => {
    const row = await on
      .insertInto('outbox')
      .values({
        created_at: iso(now),
        lane: m.lane,
        op: m.op,
        anchor: m.anchor ?? null,
        channel: m.channel ?? null,
        payload: m.payload ? JSON.stringify(m.payload) : null,
        next_attempt_at: iso(now),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  };
  return {
    enqueue: (m, now) => enqueue(m, now),
    enqueueUpload: (m, bytes, now) =>
      atomically(db, async (tx) => {
        const id = await enqueue(m, now, tx);
        await tx.insertInto('outbox_files').values({ outbox_id: id, filename: m.payload?.upload?.filename ?? 'file', bytes }).execute();
        return id;
      }),
    async uploadOf(id) {
      const r = await db
        .selectFrom('outbox_files')
        .select(['filename', 'bytes', 'slack_file_id', 'upload_url', 'bytes_sent', 'completing'])
        .where('outbox_id', '=', id)
        .executeTakeFirst();
      if (!r) return null;
      return { filename: r.filename, bytes: r.bytes, fileId: r.slack_file_id, uploadUrl: r.upload_url, bytesSent: r.bytes_sent === 1, completing: r.completing === 1 };
    },
    async uploadReserved(id, fileId, uploadUrl) {
      await db.updateTable('outbox_files').set({ slack_file_id: fileId, upload_url: uploadUrl, bytes_sent: 0, completing: 0 }).where('outbox_id', '=', id).execute();
    },
    async uploadBytesSent(id) {
      await db.updateTable('outbox_files').set({ bytes_sent: 1 }).where('outbox_id', '=', id).execute();
    },
    async uploadCompleting(id, completing) {
      await db.updateTable('outbox_files').set({ completing: completing ? 1 : 0 }).where('outbox_id', '=', id).execute();
    },
    async uploadRestart(id) {
      await db.updateTable('outbox_files').set({ slack_file_id: null, upload_url: null, bytes_sent: 0, completing: 0 }).where('outbox_id', '=', id).execute();
    },
    claimHeads: claim,
    async lastRefreshOf(row) {
      const r = await unsent()
        .select((eb) => eb.fn.max('id').as('id'))
        .where('lane', '=', row.lane)
        .where('op', '=', 'refresh')
        .where('anchor', '=', row.anchor)
        .executeTakeFirst();
      return r?.id ?? row.id;
    },
    async setInDoubt(id, inDoubt) {
      await db.updateTable('outbox').set({ in_doubt: inDoubt ? 1 : 0 }).where('id', '=', id).execute();
    },
    markSent: (row, ts, now, coversUpTo) =>
      atomically(db, async (tx) => {
        await tx
          .updateTable('outbox')
          .set((eb) => ({ sent_at: iso(now), attempts: eb('attempts', '+', 1), last_error: null, in_doubt: 0, claimed_by: null, lease_until: null, slack_ts: ts }))
          .where('id', '=', row.id)
          .execute();
        // A shared file's bytes are not needed any more.
        if (row.op === 'upload') await tx.updateTable('outbox_files').set({ bytes: null, completing: 0, completed_at: iso(now) }).where('outbox_id', '=', row.id).execute();
        if (row.op === 'refresh' && coversUpTo !== undefined && coversUpTo > row.id) {
          await tx
            .updateTable('outbox')
            .set({ sent_at: iso(now), slack_ts: ts })
            .where('lane', '=', row.lane)
            .where('op', '=', 'refresh')
            .where('anchor', '=', row.anchor)
            .where('id', '>', row.id)
            .where('id', '<=', coversUpTo)
            .where('sent_at', 'is', null)
            .where('failed_at', 'is', null)
            .execute();
        }
      }),
    async retryLater(id, o) {
      const row = await db
        .updateTable('outbox')
        .set((eb) => ({
          attempts: eb('attempts', '+', o.countAttempt ? 1 : 0),
          last_error: o.error.slice(0, 500),
          next_attempt_at: iso(o.at),
          claimed_by: null,
          lease_until: null,
        }))
        .where('id', '=', id)
        .where('claimed_by', '=', o.owner)
        .returning('attempts')
        .executeTakeFirst();
      return row?.attempts ?? 0;
    },
    fail: (id, error, now) =>
      atomically(db, async (tx) => {
        await tx.updateTable('outbox').set({ failed_at: iso(now), last_error: error.slice(0, 500), claimed_by: null, lease_until: null, in_doubt: 0 }).where('id', '=', id).execute();
        await tx.updateTable('outbox_files').set({ bytes: null }).where('outbox_id', '=', id).execute();
      }),
    async renew(owner, ids, until) {
      for (const id of ids) {
        await db.updateTable('outbox').set({ lease_until: iso(until) }).where('id', '=', id).where('claimed_by', '=', owner).where('sent_at', 'is', null).execute();
      }
    },
    async release(owner) {
      const r = await db
        .updateTable('outbox')
        .set({ claimed_by: null, lease_until: null })
        .where('claimed_by', '=', owner)
        .where('sent_at', 'is', null)
        .where('failed_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
    async stats(now) {
      const r = await db
        .selectNoFrom((eb) => [
          unsent()
            .select(eb.fn.countAll<number>().as('n'))
            .as('pending'),
          eb.selectFrom('outbox').select(eb.fn.countAll<number>().as('n')).where('failed_at', 'is not', null).as('failed'),
          unsent()
            .select((e) => e.fn.min('created_at').as('m'))
            .as('oldest'),
        ])
        .executeTakeFirstOrThrow();
      const oldest = r.oldest as string | null;
      const oldestPendingSec = oldest ? Math.max(0, Math.floor((now.getTime() - new Date(oldest).getTime()) / 1000)) : 0;
      return { pending: Number(r.pending), failed: Number(r.failed), oldestPendingSec };
    },
    recentFailures: async (limit) =>
      (await db.selectFrom('outbox').selectAll().where('failed_at', 'is not', null).orderBy('failed_at', 'desc').orderBy('id', 'desc').limit(limit).execute()) as OutboxRow[],
    pendingCall: async (lane) =>
      (await unsent().select(['attempts', 'last_error']).where('lane', '=', lane).where('op', '=', 'call').orderBy('id').limit(1).executeTakeFirst()) ?? null,
    async pendingCount() {
      const r = await unsent().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async failureTo(channel, since) {
      const r = await db
        .selectFrom('outbox')
        .select((eb) => eb.fn.coalesce('last_error', eb.val('failed')).as('last_error'))
        .where('channel', '=', channel)
        .where('created_at', '>=', iso(since))
        .where('failed_at', 'is not', null)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return r?.last_error ?? null;
    },
  };
}
