import type { Kysely } from 'kysely';
import { toSqlTime } from '../../../time/atlas-time.js';
import type { RetentionStore } from '../retention-store.js';
import { iso } from '../state-records.js';
import { atomically } from './atomically.js';
import type { StateDialect } from './state-dialect.js';
import type { StateDb } from './state-db.js';

/**
 * retention-store.ts, written once for SQLite and PostgreSQL: the same deletes, in the same order,
 * in one transaction. Two replicas pruning at once (PostgreSQL) take turns under
 * `dialect.serialize`: the second runs once the first has committed and finds nothing left, so the
 * rows are counted once, and the two never lock rows of several tables in crossing orders.
 */
export function kyselyRetentionStore(db: Kysely<StateDb>, dialect: StateDialect): RetentionStore {
  const count = (r: { numDeletedRows: bigint }) => Number(r.numDeletedRows);
  return {
    prune: (c) =>
      atomically(db, async (tx) => {
        await dialect.serialize(tx, 'retention');
        const resolvedBefore = (cutoff: Date) => tx.selectFrom('incidents').select('id').where('status', '=', 'resolved').where('resolved_at', '<', iso(cutoff));
        const outbox = count(
          await tx
            .deleteFrom('outbox')
            .where((eb) =>
              eb.or([
                eb.and([eb('sent_at', 'is not', null), eb('sent_at', '<', iso(c.outbox))]),
                eb.and([eb('failed_at', 'is not', null), eb('failed_at', '<', iso(c.outbox))]),
              ]),
            )
            .executeTakeFirst(),
        );
        // An upload's progress goes with its message.
        await tx.deleteFrom('outbox_files').where('outbox_id', 'not in', tx.selectFrom('outbox').select('id')).execute();
        const commandRuns = count(await tx.deleteFrom('command_runs').where('at', '<', toSqlTime(c.commandRuns)).executeTakeFirst());
        const timers = count(
          await tx
            .deleteFrom('timers')
            .where((eb) => eb(eb.fn.coalesce('fired_at', 'cancelled_at'), '<', iso(c.timers)))
            .where((eb) => eb.or([eb('incident_id', 'is', null), eb('incident_id', 'in', resolvedBefore(c.timers))]))
            .executeTakeFirst(),
        );
        // A snooze long over is shown nowhere (the channel message shows one only while its timer is pending).
        await tx.deleteFrom('alert_snoozes').where('until', '<', iso(c.timers)).execute();
        const timeline = count(await tx.deleteFrom('incident_events').where('incident_id', 'in', resolvedBefore(c.timeline)).executeTakeFirst());
        return { outbox, commandRuns, timers, timeline };
      }),
  };
}
