import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { alertStore } from './alert-store.js';
import { alertSnoozeStore } from './alert-snooze-store.js';
import { auditStore } from './audit-store.js';
import { commandRunStore } from './command-run-store.js';
import { confirmationStore } from './confirmation-store.js';
import { gitHubIssueStore } from './github-issue-store.js';
import { handoffStore } from './handoff-store.js';
import { homeViewStore } from './home-view-store.js';
import { incidentStore } from './incident-store.js';
import { outboxStore } from './outbox-store.js';
import { overrideStore } from './override-store.js';
import { pageStore } from './page-store.js';
import { pagerdutyStore } from './pagerduty-store.js';
import { remediationRunStore } from './remediation-run-store.js';
import { peopleStore } from './people-store.js';
import { integrityCheckStore } from './integrity-check-store.js';
import { reportPostStore } from './report-post-store.js';
import { retentionStore } from './retention-store.js';
import { seenRequestStore } from './seen-request-store.js';
import { sharedResultStore } from './shared-result-store.js';
import { slackMessageStore } from './slack-message-store.js';
import { STATE_MIGRATIONS } from './state-migrations.js';
import { queueOf } from './sqlite-file-queue.js';
import type { StateStore, StateTransaction } from './state-store.js';
import { openTransaction, type OpenTransactionContext } from './transaction-context.js';
import type { Synchronous } from './synchronous.js';
import { timelineStore } from './timeline-store.js';
import { timerStore } from './timer-store.js';

/** The SQLite store; `db` is for migrations and tests, never for the bot's code. */
export type SqliteStateStore = StateStore & { db: Database.Database };

/**
 * The audit chain's head file, beside chatops.db and not in it (see audit-store.ts): a truncated
 * or extended audit_log no longer ends where the bot wrote it last. None for a state in memory.
 */
export function auditHeadFileOf(stateFile: string): string | null {
  return stateFile === ':memory:' ? null : path.join(path.dirname(stateFile), 'chatops-audit-head.json');
}

/** How long opening waits, at most, for other processes switching the same new file to WAL. */
const WAL_SWITCH_WAIT_MS = 5_000;

/**
 * Switches the file to WAL. Two processes doing so to a new file at once (a rolling deploy)
 * can each hold a shared lock and want an exclusive one; SQLite then answers SQLITE_BUSY at
 * once instead of waiting (the busy timeout does not apply to a deadlock), so this tries again.
 */
function useWal(db: Database.Database): void {
  const deadline = Date.now() + WAL_SWITCH_WAIT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
      // Only while the bot opens its state, before it serves anything: a blocking pause is fine.
      Atomics.wait(pause, 0, 0, 10 + Math.floor(Math.random() * 40));
    }
  }
}

/**
 * Opens (creating if needed) chatops.db and brings it to the newest schema. Each migration runs
 * in its own transaction with `user_version`, so a crash leaves the file at a whole version.
 */
export function openStateStore(file: string, migrations: readonly string[] = STATE_MIGRATIONS): SqliteStateStore {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  useWal(db);
  // WAL with NORMAL survives a crash of the bot intact; only an OS crash can lose the newest
  // commits. FULL would fsync on every audit row, stalling every request behind the disk.
  db.pragma('synchronous = NORMAL');
  // Two processes (a rolling deploy) wait this long for each other's short write transactions.
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    db.close();
    throw new Error(`${file} is at schema version ${current}, newer than this bot knows (${migrations.length}); run a newer bot or restore a backup.`);
  }
  for (let version = current + 1; version <= migrations.length; version++) {
    // Foreign keys are checked at the end of a migration that rebuilds a table, not mid-way.
    db.pragma('foreign_keys = OFF');
    db.transaction(() => {
      // Another process starting at the same moment may have run it while this one waited for the lock.
      if ((db.pragma('user_version', { simple: true }) as number) >= version) return;
      db.exec(migrations[version - 1]!);
      db.pragma(`user_version = ${version}`);
    }).immediate();
    db.pragma('foreign_keys = ON');
  }
  return sqliteState(db, file, migrations.length);
}

/** Each store of the SQLite state, synchronous over the one connection. */
function synchronousStores(db: Database.Database, file: string): { [K in keyof StateTransaction]: Synchronous<StateTransaction[K]> } {
  return {
    incidents: incidentStore(db),
    timeline: timelineStore(db),
    alerts: alertStore(db),
    alertSnoozes: alertSnoozeStore(db),
    timers: timerStore(db),
    outbox: outboxStore(db),
    slackMessages: slackMessageStore(db),
    commandRuns: commandRunStore(db),
    sharedResults: sharedResultStore(db),
    retention: retentionStore(db),
    overrides: overrideStore(db),
    handoffs: handoffStore(db),
    homeViews: homeViewStore(db),
    audit: auditStore(db, { headFile: auditHeadFileOf(file) }),
    remediationRuns: remediationRunStore(db),
    confirmations: confirmationStore(db),
    pages: pageStore(db),
    githubIssues: gitHubIssueStore(db),
    pagerduty: pagerdutyStore(db),
    seenRequests: seenRequestStore(db),
    people: peopleStore(db),
    reportPosts: reportPostStore(db),
    integrityChecks: integrityCheckStore(db),
  };
}

/** The stores with every method asynchronous, each call made through `call`. */
function asynchronous(stores: ReturnType<typeof synchronousStores>, call: <T>(method: () => T) => Promise<T>): StateTransaction {
  const wrapped: Record<string, Record<string, unknown>> = {};
  for (const [name, store] of Object.entries(stores)) {
    const methods: Record<string, unknown> = {};
    for (const [method, fn] of Object.entries(store as Record<string, (...args: unknown[]) => unknown>)) {
      // Called on its store: a method may call another of the same store through `this`.
      methods[method] = async (...args: unknown[]) => await call(() => fn.apply(store, args));
    }
    wrapped[name] = methods;
  }
  return wrapped as unknown as StateTransaction;
}

/** A transaction open in the current asynchronous flow: its stores, and whether it still is. */
interface OpenTransaction extends OpenTransactionContext {
  db: Database.Database;
  stores: StateTransaction;
  savepoints: number;
}


/**
 * The asynchronous state over one better-sqlite3 connection. Transactions are BEGIN IMMEDIATE ...
 * COMMIT around the awaited function (better-sqlite3's db.transaction cannot span an await), one
 * at a time in this process (a promise queue); a call outside a transaction waits its turn too,
 * so it never joins (and is never rolled back with) another request's open transaction. Between
 * processes, the busy timeout and the immediate transactions hold as before.
 *
 * A transaction begun inside another, in the same flow (acknowledging an alert while a PagerDuty
 * event is applied), is a savepoint of it, as better-sqlite3 made it: its failure undoes only its
 * own writes, and its `tx` is the outer one's.
 */
function sqliteState(db: Database.Database, file: string, latest: number): SqliteStateStore {
  const { queue, release } = queueOf(file);
  const stores = synchronousStores(db, file);
  const outside = async <T>(method: () => T): Promise<T> => {
    if (openTransaction.getStore()?.open) {
      throw new Error("a state store was called outside the transaction it runs in: inside transaction(fn), use the stores of fn's tx");
    }
    return await queue.run(method);
  };
  const savepoint = async <T>(current: OpenTransaction, fn: (tx: StateTransaction) => Promise<T>): Promise<T> => {
    const name = `nested_${++current.savepoints}`;
    db.exec(`SAVEPOINT ${name}`);
    try {
      const result = await fn(current.stores);
      db.exec(`RELEASE ${name}`);
      return result;
    } catch (err) {
      if (db.inTransaction) db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
      throw err;
    }
  };
  return {
    db,
    ...asynchronous(stores, outside),
    async transaction<T>(fn: (tx: StateTransaction) => Promise<T>): Promise<T> {
      const enclosing = openTransaction.getStore() as OpenTransaction | undefined;
      if (enclosing?.open) {
        if (enclosing.db !== db) throw new Error('a transaction on another connection was begun inside a transaction: it would wait for the open one');
        return await savepoint(enclosing, fn);
      }
      return await queue.run(async () => {
        const current: OpenTransaction = { db, open: true, stores: null as unknown as StateTransaction, savepoints: 0 };
        current.stores = asynchronous(stores, async (method) => {
          if (!current.open) throw new Error('a store of a transaction was called after the transaction ended');
          return method();
        });
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await openTransaction.run(current, async () => await fn(current.stores));
          db.exec('COMMIT');
          return result;
        } catch (err) {
          // A failed COMMIT (or a statement error SQLite rolled back itself) may have ended it already.
          if (db.inTransaction) db.exec('ROLLBACK');
          throw err;
        } finally {
          current.open = false;
        }
      });
    },
    schemaVersion: async () => await outside(() => ({ current: db.pragma('user_version', { simple: true }) as number, latest })),
    close: async () =>
      await queue.run(() => {
        db.close();
        release();
      }),
  };
}
