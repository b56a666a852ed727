import type { ControlledTransaction, Kysely } from 'kysely';
import type { StateStore, StateTransaction } from '../state-store.js';
import { currentFence, LeaseLostError } from '../fence-context.js';
import { openTransaction, type OpenTransactionContext } from '../transaction-context.js';
import { kyselyOutboxStore } from './kysely-outbox-store.js';
import { kyselyAuditStore } from './kysely-audit-store.js';
import { kyselyHandoffStore } from './kysely-handoff-store.js';
import { kyselyPagerDutyStore } from './kysely-pagerduty-store.js';
import { kyselyAlertSnoozeStore } from './kysely-alert-snooze-store.js';
import { kyselyAlertStore } from './kysely-alert-store.js';
import { kyselyCommandRunStore } from './kysely-command-run-store.js';
import { kyselyConfirmationStore } from './kysely-confirmation-store.js';
import { kyselyGitHubIssueStore } from './kysely-github-issue-store.js';
import { kyselyHomeViewStore } from './kysely-home-view-store.js';
import { kyselyIncidentStore } from './kysely-incident-store.js';
import { kyselyIntegrityCheckStore } from './kysely-integrity-check-store.js';
import { kyselyOverrideStore } from './kysely-override-store.js';
import { kyselyPageStore } from './kysely-page-store.js';
import { kyselyPeopleStore } from './kysely-people-store.js';
import { kyselyRemediationRunStore } from './kysely-remediation-run-store.js';
import { kyselyReportPostStore } from './kysely-report-post-store.js';
import { kyselyRetentionStore } from './kysely-retention-store.js';
import { kyselySeenRequestStore, type PruneMemory } from './kysely-seen-request-store.js';
import { kyselySharedResultStore } from './kysely-shared-result-store.js';
import { kyselySlackMessageStore } from './kysely-slack-message-store.js';
import { kyselyTimelineStore } from './kysely-timeline-store.js';
import { kyselyTimerStore } from './kysely-timer-store.js';
import { kyselyLeaseStore } from './kysely-lease-store.js';
import { kyselyReplicaStore } from './kysely-replica-store.js';
import type { StateDialect } from './state-dialect.js';
import type { StateDb } from './state-db.js';


/** The state over Kysely, with StateStore's transaction rules, on either engine. */
export interface KyselyState extends StateStore {
  dialect: StateDialect;
  /** For tests and migrations, never for the bot's code. */
  kysely: Kysely<StateDb>;
}

/** How an engine opens and runs its Kysely state. */
export interface KyselyStateEngine {
  dialect: StateDialect;
  /** Runs transactions and calls outside one: SQLite's per-file queue; PostgreSQL side by side. */
  serially: <T>(task: () => Promise<T>) => Promise<T>;
  schemaVersion: () => Promise<{ current: number; latest: number }>;
  close: () => Promise<void>;
  /** The audit chain's head file beside chatops.db; null on PostgreSQL (its replicas share no disk) and in memory. */
  auditHeadFile: string | null;
}

/** What the stores remember between calls: one per state, shared by its transactions' stores. */
interface StoreMemory {
  seenRequests: PruneMemory;
  auditHeadFile: string | null;
}

/** Every store, written once, over `db`: the state itself or an open transaction. */
function kyselyStores(db: Kysely<StateDb>, dialect: StateDialect, memory: StoreMemory): StateTransaction {
  return {
    leases: kyselyLeaseStore(db, dialect),
    replicas: kyselyReplicaStore(db),
    timers: kyselyTimerStore(db),
    outbox: kyselyOutboxStore(db, dialect),
    people: kyselyPeopleStore(db),
    slackMessages: kyselySlackMessageStore(db),
    seenRequests: kyselySeenRequestStore(db, memory.seenRequests),
    reportPosts: kyselyReportPostStore(db),
    homeViews: kyselyHomeViewStore(db, dialect),
    alertSnoozes: kyselyAlertSnoozeStore(db),
    sharedResults: kyselySharedResultStore(db),
    commandRuns: kyselyCommandRunStore(db),
    timeline: kyselyTimelineStore(db),
    pages: kyselyPageStore(db),
    githubIssues: kyselyGitHubIssueStore(db, dialect),
    confirmations: kyselyConfirmationStore(db, dialect),
    remediationRuns: kyselyRemediationRunStore(db, dialect),
    overrides: kyselyOverrideStore(db, dialect),
    incidents: kyselyIncidentStore(db, dialect),
    alerts: kyselyAlertStore(db, dialect),
    integrityChecks: kyselyIntegrityCheckStore(db),
    retention: kyselyRetentionStore(db, dialect),
    audit: kyselyAuditStore(db, dialect, { headFile: memory.auditHeadFile }),
    handoffs: kyselyHandoffStore(db),
    pagerduty: kyselyPagerDutyStore(db),
  };
}

/** A call of a store's method: which store, which method, and the call itself. */
type StoreCall = <T>(method: () => Promise<T>, store: keyof StateTransaction, name: string, args: unknown[]) => Promise<T>;

/** The stores with each call made through `call`. */
function through(stores: StateTransaction, call: StoreCall): StateTransaction {
  const wrapped: Record<string, Record<string, unknown>> = {};
  for (const [name, store] of Object.entries(stores)) {
    const methods: Record<string, unknown> = {};
    for (const [method, fn] of Object.entries(store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)) {
      methods[method] = async (...args: unknown[]) => await call(() => fn.apply(store, args), name as keyof StateTransaction, method, args);
    }
    wrapped[name] = methods;
  }
  return wrapped as unknown as StateTransaction;
}

interface OpenKyselyTransaction extends OpenTransactionContext {
  db: Kysely<StateDb>;
  trx: ControlledTransaction<StateDb>;
  stores: StateTransaction;
  savepoints: number;
}

/**
 * StateStore's transaction rules (state-store.ts, sqlite-state-store.ts) over Kysely, the same on
 * both engines: `transaction(fn)` is one database transaction around the awaited `fn` (SQLite:
 * BEGIN IMMEDIATE, sqlite-kysely.ts; PostgreSQL: BEGIN on a connection of the pool); one begun
 * inside another in the same flow is a savepoint of it; the outer stores called inside an open
 * transaction are refused with a sentence. `serially` is SQLite's per-file queue (its one
 * connection must not interleave transactions across awaits); PostgreSQL runs them side by side
 * on the pool's connections.
 */
export function kyselyState(db: Kysely<StateDb>, engine: KyselyStateEngine): KyselyState {
  const { dialect, serially } = engine;
  const memory: StoreMemory = { seenRequests: { lastPruneMs: -Infinity }, auditHeadFile: engine.auditHeadFile };
  const notInTransaction = () => {
    if (openTransaction.getStore()?.open) {
      throw new Error("a state store was called outside the transaction it runs in: inside transaction(fn), use the stores of fn's tx");
    }
  };
  const savepoint = async <T>(current: OpenKyselyTransaction, fn: (tx: StateTransaction) => Promise<T>): Promise<T> => {
    const name = `nested_${++current.savepoints}`;
    const inner = await current.trx.savepoint(name).execute();
    try {
      const result = await fn(current.stores);
      await inner.releaseSavepoint(name).execute();
      return result;
    } catch (err) {
      await inner.rollbackToSavepoint(name).execute();
      await inner.releaseSavepoint(name).execute();
      throw err;
    }
  };
  const transaction = async <T>(fn: (tx: StateTransaction) => Promise<T>): Promise<T> => {
    const enclosing = openTransaction.getStore() as OpenKyselyTransaction | undefined;
    if (enclosing?.open) {
      if (enclosing.db !== db) throw new Error('a transaction on another connection was begun inside a transaction: it would wait for the open one');
      return await savepoint(enclosing, fn);
    }
    return await serially(async () => {
      const trx = await db.startTransaction().execute();
      const current: OpenKyselyTransaction = { db, trx, open: true, stores: null as unknown as StateTransaction, savepoints: 0 };
      current.stores = through(kyselyStores(trx, dialect, memory), async (method) => {
        if (!current.open) throw new Error('a store of a transaction was called after the transaction ended');
        return await method();
      });
      try {
        const result = await openTransaction.run(current, async () => {
          // Under a lease: its row is read (PostgreSQL: locked) first, so that no one takes the
          // lease over before this transaction ends, and a lost lease changes nothing.
          const fence = currentFence.getStore();
          if (fence && !(await current.stores.leases.holds(fence, fence.now()))) throw new LeaseLostError(fence);
          return await fn(current.stores);
        });
        await trx.commit().execute();
        return result;
      } catch (err) {
        // A failed COMMIT may have ended it already; a failed ROLLBACK changes nothing more.
        if (!trx.isCommitted && !trx.isRolledBack) await trx.rollback().execute().catch(() => undefined);
        throw err;
      } finally {
        current.open = false;
      }
    });
  };
  const outer = kyselyStores(db, dialect, memory);
  const outside: StoreCall = async (method) => {
    notInTransaction();
    const fence = currentFence.getStore();
    // Under a lease, a call outside a transaction is checked against the lease just before it
    // runs, in the same turn of the queue: not atomically (that takes a transaction, and its
    // write lock, for every read a job makes), but a replica that paused past its lease stops here.
    return await serially(async () => {
      if (fence && !(await outer.leases.holds(fence, fence.now()))) throw new LeaseLostError(fence);
      return await method();
    });
  };
  return {
    dialect,
    kysely: db,
    ...through(outer, outside),
    transaction,
    schemaVersion: async () => {
      notInTransaction();
      return await serially(engine.schemaVersion);
    },
    close: engine.close,
  };
}
