/**
 * The incident domain over real files: metrics.db and persistence.db with the service's schema,
 * chatops.db, a manual clock at TEST_NOW, and (on demand) delivery to the Slack stand-in, so a
 * test asserts on what people see in #incident-response.
 */
import path from 'node:path';
import type Database from 'better-sqlite3';
import { ingestAlert, type AlertReport } from '../../src/alerts/alert-ingest.js';
import type { Env } from '../../src/config.js';
import type { AlertRecord } from '../../src/db/state/state-records.js';
import type { StoredMessage } from '../../src/sandbox/message-store.js';
import { startDeliveryHarness, type DeliveryHarness, type HarnessOptions } from './delivery-harness.js';
import { createAtlasFiles, tempDir, TEST_NOW, testDeps, type TestEnv } from './test-deps.js';

export const CHANNEL = 'C0INCIDENT';
export const ONCALL = 'U0ONCALL1';
export const OTHER = 'U0ONCALL2';
export const TECH_LEAD = 'U0TECHLEAD';
export const MIN = 60_000;
export const NOW = new Date(TEST_NOW);
/** TEST_NOW + minutes, as the ISO text chatops.db keeps. */
export const at = (minutes: number) => new Date(NOW.getTime() + minutes * MIN).toISOString();

export interface IncidentEnv {
  /** Replace it (after closing it) to restart the bot on the same files. */
  env: TestEnv;
  /** metrics.db, as the service writes it. */
  metrics: Database.Database;
  dataDir: string;
  /** The stand-in and a delivery loop, once `deliver()` started them. */
  harness: DeliveryHarness | undefined;
  /** Starts delivery to the stand-in (once) and delivers everything due. */
  deliver(opts?: HarnessOptions): Promise<DeliveryHarness>;
  /** Top-level messages of #incident-response (broadcast replies included). */
  channel(): StoredMessage[];
  /** The message an anchor names (an alert's, an incident's status card), as it is now. */
  anchored(anchor: string): Promise<StoredMessage | undefined>;
  /** The replies in the thread of the message an anchor names. */
  thread(anchor: string): Promise<StoredMessage[]>;
  close(): Promise<void>;
}

/** Config for the incident domain: the incident channel, responders, a tech lead. */
export function incidentConfig(file: object = {}): object {
  return { channels: { incidents: CHANNEL }, escalation: { techLead: TECH_LEAD }, responders: { users: [ONCALL, OTHER] }, ...file };
}

export function openIncidentEnv(file: object = incidentConfig(), envVars: Partial<Env> = {}): IncidentEnv {
  const t = tempDir();
  const dataDir = path.join(t.dir, '.shadow-atlas');
  const files = createAtlasFiles(dataDir);
  files.persistence.close();
  const env = testDeps(dataDir, { file, env: envVars });
  const ie: IncidentEnv = {
    env,
    metrics: files.metrics,
    dataDir,
    harness: undefined,
    async deliver(opts) {
      ie.harness ??= await startDeliveryHarness(ie.env, opts);
      await ie.harness.delivery.drain();
      return ie.harness;
    },
    channel: () => ie.harness!.slack.workspace.messages(CHANNEL),
    async anchored(anchor) {
      const posted = await ie.env.deps.state.slackMessages.get(anchor);
      return posted ? ie.harness!.slack.workspace.messages(posted.channel).find((m) => m.ts === posted.ts) : undefined;
    },
    async thread(anchor) {
      const posted = await ie.env.deps.state.slackMessages.get(anchor);
      return posted ? ie.harness!.slack.workspace.replies(posted.channel, posted.ts) : [];
    },
    async close() {
      await ie.harness?.close();
      await ie.env.close();
      if (files.metrics.open) files.metrics.close();
      t.cleanup();
    },
  };
  return ie;
}

export interface AlertFixture {
  name: string;
  message?: string;
  /** Default: 3 minutes before TEST_NOW. */
  firedAt?: string;
  /** Resolved at this time (after firing) when given. */
  resolvedAt?: string;
}

/**
 * An alert as the service raises it: a firing row in metrics.db, ingested as the watcher does
 * (its message posted, its acknowledge reminders planned). IpfsDown is a P0 in the matrix.
 */
export async function raiseAlert(ie: IncidentEnv, a: AlertFixture): Promise<AlertRecord> {
  const firedAt = a.firedAt ?? at(-3);
  const message = a.message ?? 'All IPFS gateways failing. Retrieval of the current snapshot times out.';
  const sqlTime = firedAt.slice(0, 19).replace('T', ' ');
  ie.metrics.prepare('INSERT INTO alerts (name, status, message, fired_at) VALUES (?, ?, ?, ?)').run(a.name, 'firing', message, sqlTime);
  const report: AlertReport = { name: a.name, status: 'firing', message, firedAt: new Date(firedAt), source: 'metrics-db', sourceFiredAt: sqlTime };
  let alert = (await ingestAlert(ie.env.deps, report)).alert!;
  if (a.resolvedAt) {
    ie.metrics.prepare("UPDATE alerts SET status = 'resolved', resolved_at = ? WHERE name = ?").run(a.resolvedAt.slice(0, 19).replace('T', ' '), a.name);
    alert = (await ingestAlert(ie.env.deps, { ...report, status: 'resolved', resolvedAt: new Date(a.resolvedAt) })).alert!;
  }
  return alert;
}

/** An incident's pending timers by due time, then kind. */
export async function pendingTimers(ie: IncidentEnv, incidentId: string): Promise<{ kind: string; due_at: string }[]> {
  return (await ie.env.deps.state.timers.pending({ incidentId }))
    .map((t) => ({ kind: t.kind, due_at: t.due_at }))
    .sort((a, b) => a.due_at.localeCompare(b.due_at) || a.kind.localeCompare(b.kind));
}

/** The text of a message's blocks, for `toContain`. */
export const blockText = (m: { blocks?: unknown[] } | null | undefined) => JSON.stringify(m?.blocks ?? []);
