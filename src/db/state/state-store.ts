import type { AlertStore } from './alert-store.js';
import type { AlertSnoozeStore } from './alert-snooze-store.js';
import type { AuditStore } from './audit-store.js';
import type { RemediationRunStore } from './remediation-run-store.js';
import type { CommandRunStore } from './command-run-store.js';
import type { ConfirmationStore } from './confirmation-store.js';
import type { GitHubIssueStore } from './github-issue-store.js';
import type { HandoffStore } from './handoff-store.js';
import type { HomeViewStore } from './home-view-store.js';
import type { IncidentStore } from './incident-store.js';
import type { LeaseStore } from './lease-store.js';
import type { OutboxStore } from './outbox-store.js';
import type { OverrideStore } from './override-store.js';
import type { PageStore } from './page-store.js';
import type { PeopleStore } from './people-store.js';
import type { ReplicaStore } from './replica-store.js';
import type { IntegrityCheckStore } from './integrity-check-store.js';
import type { PagerDutyStore } from './pagerduty-store.js';
import type { ReportPostStore } from './report-post-store.js';
import type { RetentionStore } from './retention-store.js';
import type { SeenRequestStore } from './seen-request-store.js';
import type { SharedResultStore } from './shared-result-store.js';
import type { SlackMessageStore } from './slack-message-store.js';
import type { TimelineStore } from './timeline-store.js';
import type { TimerStore } from './timer-store.js';

/**
 * The stores of the bot's own state, one narrow store per concept, every method asynchronous.
 * Inside a transaction they are the transaction's (`tx` below): bound to its connection.
 */
export interface StateTransaction {
  incidents: IncidentStore;
  timeline: TimelineStore;
  alerts: AlertStore;
  alertSnoozes: AlertSnoozeStore;
  timers: TimerStore;
  outbox: OutboxStore;
  slackMessages: SlackMessageStore;
  commandRuns: CommandRunStore;
  sharedResults: SharedResultStore;
  retention: RetentionStore;
  overrides: OverrideStore;
  handoffs: HandoffStore;
  homeViews: HomeViewStore;
  audit: AuditStore;
  remediationRuns: RemediationRunStore;
  confirmations: ConfirmationStore;
  pages: PageStore;
  githubIssues: GitHubIssueStore;
  pagerduty: PagerDutyStore;
  seenRequests: SeenRequestStore;
  people: PeopleStore;
  /** The weekly reliability report's posts, once per scheduled time. */
  reportPosts: ReportPostStore;
  /** The last quick_check of each Atlas database, shared between processes. */
  integrityChecks: IntegrityCheckStore;
  /** Who may run each scheduled job now, with fencing tokens. */
  leases: LeaseStore;
  /** The bot processes sharing this state, and what each reaches. */
  replicas: ReplicaStore;
}

/**
 * The bot's own state. Nothing outside src/db/state/ writes SQL against it; SQLite (chatops.db)
 * and PostgreSQL (replicas on two hosts) implement this interface. Every change runs inside
 * `transaction`, which takes the write lock at its start (SQLite: an immediate transaction), so
 * two processes never fail each other's commits mid-way.
 *
 * Inside `fn`, code uses `tx`'s stores, never this object's: with a pool of connections, a call
 * on the outer store runs outside the transaction (SQLite refuses it: it would wait for the
 * transaction to end). A `StateTransaction` has no `transaction`; `transaction` called again in
 * the same flow while one is open (a domain operation that is also a step of a bigger one) is a
 * savepoint of the open one: its failure undoes its own writes only.
 */
export interface StateStore extends StateTransaction {
  transaction<T>(fn: (tx: StateTransaction) => Promise<T>): Promise<T>;
  schemaVersion(): Promise<{ current: number; latest: number }>;
  close(): Promise<void>;
}

/** Dependencies as code inside a transaction sees them: `state` is the transaction's stores. */
export type InTransaction<D extends { state: StateStore }> = Omit<D, 'state'> & { state: StateTransaction };
