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
import type { StateStore } from './state-store.js';
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
  return {
    db,
    transaction: (fn) => db.transaction(fn).immediate(),
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
    schemaVersion: () => ({ current: db.pragma('user_version', { simple: true }) as number, latest: migrations.length }),
    close: () => db.close(),
  };
}
