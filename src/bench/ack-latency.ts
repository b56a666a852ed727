import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { StateStore } from '../db/state/state-store.js';
import { summarize, type SampleSummary } from './stats.js';

/**
 * Acknowledgement latency of `/atlas` through the real HTTP receiver: signed slash-command
 * requests over loopback, N at a time, timed from a worker thread (so the client does not share
 * the server's event loop). All traffic stays on 127.0.0.1: Slack's Web API, response_url,
 * provider and IPFS probes go to one local fake server that answers 200.
 * One file: the load generator is this same module, run again in a worker thread.
 */

export const SIGNING_SECRET = 'bench-signing-secret-0123456789abcdef';
export const BOT = { botId: 'B0BENCH000', botUserId: 'U0BENCHBOT' };

// --- the load generator (runs in a worker thread) -----------------------------------------------

interface LoadJob {
  role: 'ack-load';
  url: string;
  text: string;
  /** Names this run in the response_url, so its answers can be told apart from earlier ones. */
  runTag: string;
  requests: number;
  concurrency: number;
  responseUrlBase: string;
  signingSecret: string;
  /** A steady load: lanes keep sending (up to `requests`) until the parent posts 'stop'. */
  untilStopped?: boolean;
}

/** One request: its index, absolute start/end times (epoch ms, sub-ms precision), the HTTP status. */
export interface LoadSample {
  i: number;
  start: number;
  end: number;
  status: number;
}

export interface LoadResult {
  samples: LoadSample[];
  wallMs: number;
}

function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

function signedCommand(job: LoadJob, i: number): { body: string; headers: Record<string, string> } {
  const body = new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T0BENCH000',
    team_domain: 'bench',
    channel_id: 'C0BENCH000',
    channel_name: 'incident-response',
    user_id: 'U0BENCH001',
    user_name: 'oncall',
    command: '/atlas',
    text: job.text,
    api_app_id: 'A0BENCH000',
    is_enterprise_install: 'false',
    response_url: `${job.responseUrlBase}/commands/T0BENCH000/${job.runTag}/${i}`,
    trigger_id: `${i}.bench.${i.toString(16)}`,
  }).toString();
  const ts = Math.floor(Date.now() / 1000).toString();
  const signature = `v0=${createHmac('sha256', job.signingSecret).update(`v0:${ts}:${body}`).digest('hex')}`;
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': Buffer.byteLength(body).toString(),
      'x-slack-request-timestamp': ts,
      'x-slack-signature': signature,
    },
  };
}

function post(url: URL, agent: http.Agent, payload: { body: string; headers: Record<string, string> }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: payload.headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload.body);
  });
}

async function generateLoad(job: LoadJob): Promise<LoadResult> {
  const url = new URL('/slack/events', job.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
  const samples: LoadSample[] = [];
  let next = 0;
  let stopped = false;
  if (job.untilStopped) parentPort?.on('message', (m: unknown) => void (m === 'stop' && (stopped = true)));
  const started = epochMs();
  const lane = async () => {
    while (next < job.requests && !stopped) {
      const i = next++;
      const payload = signedCommand(job, i);
      const start = epochMs();
      let status: number;
      try {
        status = await post(url, agent, payload);
      } catch {
        status = 0;
      }
      samples.push({ i, start, end: epochMs(), status });
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, lane));
  agent.destroy();
  parentPort?.removeAllListeners('message');
  return { samples, wallMs: epochMs() - started };
}

if (!isMainThread && (workerData as Partial<LoadJob> | null)?.role === 'ack-load') {
  generateLoad(workerData as LoadJob).then(
    (result) => parentPort?.postMessage(result),
    (err: unknown) => parentPort?.postMessage({ error: String(err) }),
  );
}

/** Runs one load in a fresh worker thread (this same module) and returns its samples. */
export function runLoad(job: Omit<LoadJob, 'role' | 'signingSecret'>): Promise<LoadResult> {
  return startLoad(job).result;
}

/** A load in a fresh worker thread; `stop()` ends a steady load (`untilStopped`) early. */
export function startLoad(job: Omit<LoadJob, 'role' | 'signingSecret'>): { result: Promise<LoadResult>; stop: () => void } {
  const worker = new Worker(new URL(import.meta.url), { workerData: { ...job, role: 'ack-load', signingSecret: SIGNING_SECRET } });
  const result = new Promise<LoadResult>((resolve, reject) => {
    worker.once('message', (message: LoadResult | { error: string }) => {
      void worker.terminate();
      if ('error' in message) reject(new Error(message.error));
      else resolve(message);
    });
    worker.once('error', reject);
  });
  return { result, stop: () => worker.postMessage('stop') };
}

/**
 * A client that sends one command at a time on request, from a thread started beforehand: a
 * command sent in the middle of a measurement must not cost the measured event loop a thread
 * start (as a fresh runLoad would).
 */
export interface Commander {
  /** Sends `text` as request `i` of `runTag`; resolves with its timing once acknowledged. */
  send: (text: string, runTag: string, i: number) => Promise<LoadSample>;
  close: () => Promise<void>;
}

interface CommanderJob {
  role: 'commander';
  url: string;
  responseUrlBase: string;
  signingSecret: string;
}

function serveCommands(job: CommanderJob): void {
  const url = new URL('/slack/events', job.url);
  const agent = new http.Agent({ keepAlive: true });
  parentPort?.on('message', (m: { id: number; text: string; runTag: string; i: number }) => {
    const payload = signedCommand({ ...job, role: 'ack-load', text: m.text, runTag: m.runTag, requests: 1, concurrency: 1 }, m.i);
    const start = epochMs();
    post(url, agent, payload).then(
      (status) => parentPort?.postMessage({ id: m.id, sample: { i: m.i, start, end: epochMs(), status } }),
      () => parentPort?.postMessage({ id: m.id, sample: { i: m.i, start, end: epochMs(), status: 0 } }),
    );
  });
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'commander') serveCommands(workerData as CommanderJob);

export function startCommander(url: string, responseUrlBase: string): Commander {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'commander', url, responseUrlBase, signingSecret: SIGNING_SECRET } });
  let next = 0;
  const waiting = new Map<number, (sample: LoadSample) => void>();
  worker.on('message', (m: { id: number; sample: LoadSample }) => {
    waiting.get(m.id)?.(m.sample);
    waiting.delete(m.id);
  });
  return {
    send: (text, runTag, i) =>
      new Promise((resolve) => {
        const id = next++;
        waiting.set(id, resolve);
        worker.postMessage({ id, text, runTag, i });
      }),
    close: async () => {
      await worker.terminate();
    },
  };
}

// --- the fake Slack / response_url / provider / IPFS server (its own worker thread) ------------------

export interface FakeServer {
  url: string;
  /** When each answer of a run arrived at its response_url: request index -> epoch ms. */
  answers: (runTag: string) => Promise<Map<number, number>>;
  close: () => Promise<void>;
}

const ANSWER_PATH = /^\/commands\/[^/]+\/([^/]+)\/(\d+)$/;

/** Answers 200 `{"ok":true}` to anything and notes when each response_url post arrived. In its worker. */
function serveFake(): void {
  const answers = new Map<string, [number, number][]>();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const match = req.method === 'POST' ? ANSWER_PATH.exec(req.url ?? '') : null;
      if (match) {
        const list = answers.get(match[1]!) ?? [];
        list.push([Number(match[2]), epochMs()]);
        answers.set(match[1]!, list);
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  parentPort?.on('message', (message: { runTag: string }) => {
    parentPort?.postMessage({ runTag: message.runTag, entries: answers.get(message.runTag) ?? [] });
  });
  server.listen(0, '127.0.0.1', () => parentPort?.postMessage({ port: (server.address() as AddressInfo).port }));
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'fake-server') serveFake();

/**
 * The fake runs in a worker thread so that answering 2,000 response_url posts does not load the
 * event loop being measured (Slack's servers are not in our process either).
 */
export function startFakeServer(): Promise<FakeServer> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'fake-server' } });
    worker.once('message', (message: { port: number }) => {
      resolve({
        url: `http://127.0.0.1:${message.port}`,
        answers: (runTag) =>
          new Promise((done) => {
            const onMessage = (reply: { runTag?: string; entries?: [number, number][] }) => {
              if (reply.runTag !== runTag) return;
              worker.off('message', onMessage);
              done(new Map(reply.entries));
            };
            worker.on('message', onMessage);
            worker.postMessage({ runTag });
          }),
        close: async () => {
          await worker.terminate();
        },
      });
    });
    worker.once('error', reject);
  });
}

/** Outbound HTTP for the bench: loopback only, so a probe can never leave the machine. */
export const loopbackFetch: typeof fetch = (input, init) => {
  const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const host = new URL(href).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost') return Promise.reject(new Error(`bench: refusing non-loopback fetch to ${host}`));
  return globalThis.fetch(input, init);
};

// --- scenarios --------------------------------------------------------------------------------

export interface AckScenario {
  name: string;
  text: string;
  requests: number;
  concurrency: number;
  latency: SampleSummary;
  throughputPerSec: number;
  /** Requests that did not get HTTP 200. */
  failures: number;
  /**
   * Request to answer (the post to response_url), for the app that answers; and how many answers
   * arrived before the drain gave up. The next scenario starts only when all arrived.
   */
  answer?: { answered: number; latency: SampleSummary; drainMs: number };
  /** The server's event loop during the run: how long it was blocked at worst, and at p99 (ms). */
  eventLoopDelay: { maxMs: number; p99Ms: number };
  /** Only for runs under an integrity check (or other background work): how many acks were timed while it ran. */
  duringCheck?: { samples: number; checkMs: number; checkOk: boolean | null; latency: SampleSummary };
}

function toScenario(
  name: string,
  text: string,
  requests: number,
  concurrency: number,
  result: LoadResult,
  eventLoopDelay: AckScenario['eventLoopDelay'],
): AckScenario {
  const latencies = result.samples.map((s) => s.end - s.start);
  return {
    name,
    text,
    requests,
    concurrency,
    eventLoopDelay,
    latency: summarize(latencies),
    throughputPerSec: (result.samples.length / result.wallMs) * 1000,
    failures: result.samples.filter((s) => s.status !== 200).length,
  };
}

export interface AckBenchOptions {
  /** A data directory from the demo generator (its chatops.db is created there). */
  dataDir: string;
  requests: number;
  concurrency: number;
  /** When set, the "under integrity_check" scenarios run against this file. */
  integrityFile?: string;
  /**
   * Other background work in place of integrity_check (a backup): started once per command, with
   * that command's load sent until the work ends, so every phase of it is timed.
   */
  background?: BackgroundWork;
  /** The commands timed (at rest, then under the background work); `help` and `health` by default. */
  texts?: string[];
  log: (line: string) => void;
}

/** Work run beside the acknowledgements: resolves when done, `ok` saying whether it succeeded. */
export interface BackgroundWork {
  /** For the log and the scenario's name: "integrity_check", "backup". */
  name: string;
  start: () => Promise<{ ok: boolean }>;
}

export interface AckBenchResult {
  bare: AckScenario;
  ours: AckScenario[];
  underIntegrity: AckScenario[];
  /** Subcommands that were not registered (their figures would time a usage error). */
  unregistered: string[];
}

const WARMUP = 200;
/** How long to wait for the answers of a run before moving on (they would spill into the next run). */
const DRAIN_TIMEOUT_MS = 180_000;

/**
 * Waits until every request of a run has been answered through response_url, so the work queued
 * behind the acknowledgements does not spill into the next measurement.
 */
export async function drainAnswers(fake: FakeServer, runTag: string, expected: number): Promise<{ answers: Map<number, number>; drainMs: number }> {
  const started = performance.now();
  for (;;) {
    const answers = await fake.answers(runTag);
    if (answers.size >= expected || performance.now() - started > DRAIN_TIMEOUT_MS) return { answers, drainMs: performance.now() - started };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function withAnswers(scenario: AckScenario, result: LoadResult, drained: { answers: Map<number, number>; drainMs: number }): AckScenario {
  const latencies: number[] = [];
  for (const s of result.samples) {
    const at = drained.answers.get(s.i);
    if (at !== undefined) latencies.push(at - s.start);
  }
  return { ...scenario, answer: { answered: drained.answers.size, latency: summarize(latencies), drainMs: drained.drainMs } };
}

/**
 * One timed run of `n` requests split between the bots listening on `ports` (request i to port
 * i mod n, the concurrency shared out), with the server loop's delay and, when `answersExpected`,
 * every answer drained. Sample indexes are made unique across the ports.
 */
async function splitLoad(
  fake: FakeServer,
  ports: number[],
  job: { text: string; runTag: string; requests: number; concurrency: number },
  answersExpected: boolean,
): Promise<{ result: LoadResult; drained: { answers: Map<number, number>; drainMs: number } | null; loop: AckScenario['eventLoopDelay'] }> {
  // The servers run on this thread: its worst stall explains the worst acknowledgements.
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const parts = ports.map((port, k) => ({
    port,
    runTag: ports.length === 1 ? job.runTag : `${job.runTag}r${k}`,
    requests: Math.floor(job.requests / ports.length) + (k < job.requests % ports.length ? 1 : 0),
    concurrency: Math.max(1, Math.floor(job.concurrency / ports.length) + (k < job.concurrency % ports.length ? 1 : 0)),
  }));
  const results = await Promise.all(
    parts.map((p) => runLoad({ url: `http://127.0.0.1:${p.port}`, text: job.text, runTag: p.runTag, requests: p.requests, concurrency: p.concurrency, responseUrlBase: fake.url })),
  );
  histogram.disable();
  const loop = { maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6 };
  // Part k's request i becomes k * SPLIT + i, in the samples and in the answers alike.
  const SPLIT = 10_000_000;
  const result: LoadResult = {
    samples: results.flatMap((r, k) => r.samples.map((s) => ({ ...s, i: k * SPLIT + s.i }))),
    wallMs: Math.max(...results.map((r) => r.wallMs)),
  };
  if (!answersExpected) return { result, drained: null, loop };
  const answers = new Map<number, number>();
  let drainMs = 0;
  for (const [k, p] of parts.entries()) {
    const d = await drainAnswers(fake, p.runTag, results[k]!.samples.length);
    for (const [i, at] of d.answers) answers.set(k * SPLIT + i, at);
    drainMs = Math.max(drainMs, d.drainMs);
  }
  return { result, drained: { answers, drainMs }, loop };
}

/** Our bot's Slack app on 127.0.0.1 around `state` (chatops.db in `dataDir` by default), network on the fake. */
async function startOurBot(opts: { dataDir: string; fakeUrl: string; state?: StateStore }): Promise<{ port: number; unregistered: string[]; stop: () => Promise<void> }> {
  // Loaded here, not at the top: the load-generator worker imports this module and needs none of it.
  const [{ buildSlackApp }, { createRegistry }, { createAuthorizer }, { buildConfig }, { closeDeps, createDeps }, pinoModule] = await Promise.all([
    import('../app.js'),
    import('../commands/index.js'),
    import('../commands/authorize.js'),
    import('../config.js'),
    import('../runtime.js'),
    import('pino'),
  ]);
  const { fakeUrl } = opts;
  const logger = pinoModule.default({ level: 'silent' });
  const config = buildConfig(opts.dataDir, {
    providers: ['Census TIGER', 'ArcGIS Hub', 'UK ONS', 'Statistics Canada', 'Australia ABS'].map((name, i) => ({
      name,
      url: `${fakeUrl}/provider/${i}`,
    })),
    ipfs: { gateways: [`${fakeUrl}/ipfs/`] },
  });
  // The same dependencies main.ts builds (chatops.db in the data directory), network aside.
  const deps = createDeps(config, logger, { fetch: loopbackFetch, ...(opts.state ? { state: opts.state } : {}) });
  const registry = createRegistry(createAuthorizer(config));
  const unregistered = registry.parse(['health']).kind === 'unknown' ? ['health'] : [];
  const slack = buildSlackApp({
    deps,
    registry,
    logger,
    slack: { botToken: 'xoxb-bench-token', signingSecret: SIGNING_SECRET, apiUrl: `${fakeUrl}/api/` },
    botIdentity: BOT,
  });
  const port = await slack.start(0, '127.0.0.1');
  return {
    port,
    unregistered,
    stop: async () => {
      await slack.stop();
      await closeDeps(deps);
    },
  };
}

export interface AckReplicasOptions {
  /** A data directory from the demo generator (the commands read it; the state is `states`). */
  dataDir: string;
  /** One state per bot, all on one store: one Slack app each, the requests split between them. The bench closes them. */
  states: StateStore[];
  text: string;
  requests: number;
  concurrency: number;
  log: (line: string) => void;
}

/** The acknowledgements of `/atlas <text>` through one Slack app per state (warmed up first), answers drained. */
export async function benchAckReplicas(opts: AckReplicasOptions): Promise<AckScenario> {
  const fake = await startFakeServer();
  const bots: { port: number; stop: () => Promise<void> }[] = [];
  try {
    for (const state of opts.states) bots.push(await startOurBot({ dataDir: opts.dataDir, fakeUrl: fake.url, state }));
    const ports = bots.map((b) => b.port);
    const job = { text: opts.text, requests: opts.requests, concurrency: opts.concurrency };
    await splitLoad(fake, ports, { ...job, runTag: 'warmup', requests: WARMUP }, true);
    opts.log(`ack latency: /atlas ${opts.text}, ${opts.requests} requests, ${opts.concurrency} concurrent, split between ${ports.length} bot(s)`);
    const { result, drained, loop } = await splitLoad(fake, ports, { ...job, runTag: 'timed' }, true);
    const name = `/atlas ${opts.text} through ${ports.length} bot(s)`;
    return withAnswers(toScenario(name, opts.text, opts.requests, opts.concurrency, result, loop), result, drained!);
  } finally {
    for (const b of bots) await b.stop();
    for (const s of opts.states.slice(bots.length)) await s.close();
    await fake.close();
  }
}

/**
 * The bare Bolt app, then ours at rest (`help`, `health`), then ours while `PRAGMA
 * integrity_check` runs on `integrityFile` through runIntegrityCheck (a worker thread).
 */
export async function benchAckLatency(opts: AckBenchOptions): Promise<AckBenchResult> {
  // Loaded here, not at the top: the load-generator worker imports this module and needs none of it.
  const [{ App, LogLevel }, { runIntegrityCheck }] = await Promise.all([import('@slack/bolt'), import('../db/integrity-check.js')]);
  const { requests, concurrency, log } = opts;
  const fake = await startFakeServer();
  let runs = 0;
  /** `until`: a steady load (up to `n` requests) stopped when that promise settles. */
  const load = async (port: number, text: string, n: number, answersExpected: boolean, until?: Promise<unknown>) => {
    const runTag = `run${++runs}`;
    if (!until) return await splitLoad(fake, [port], { text, runTag, requests: n, concurrency }, answersExpected);
    // The server runs on this thread: its worst stall explains the worst acknowledgements.
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    histogram.enable();
    const job = { url: `http://127.0.0.1:${port}`, text, runTag, requests: n, concurrency, responseUrlBase: fake.url };
    const steady = startLoad({ ...job, untilStopped: true });
    until.finally(steady.stop).catch(() => undefined);
    const result = await steady.result;
    histogram.disable();
    const loop = { maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6 };
    const drained = answersExpected ? await drainAnswers(fake, runTag, result.samples.length) : null;
    return { result, drained, loop };
  };

  try {
    // 1. The bare Bolt app: the floor for this machine, receiver and signature check.
    log(`ack latency: bare Bolt app, ${requests} requests, ${concurrency} concurrent`);
    const bareApp = new App({
      token: 'xoxb-bench-token',
      signingSecret: SIGNING_SECRET,
      ...BOT,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: `${fake.url}/api/` },
    });
    bareApp.command('/atlas', async ({ ack }) => {
      await ack('ok');
    });
    const bareServer = (await bareApp.start({ port: 0, host: '127.0.0.1' })) as http.Server;
    const barePort = (bareServer.address() as AddressInfo).port;
    await load(barePort, 'help', WARMUP, false);
    const bareRun = await load(barePort, 'help', requests, false);
    const bare = toScenario('bare Bolt app', 'help', requests, concurrency, bareRun.result, bareRun.loop);
    await bareApp.stop();
    globalThis.gc?.();

    // 2. Ours, with every dependency real except the network (loopback fake).
    const ourBot = await startOurBot({ dataDir: opts.dataDir, fakeUrl: fake.url });
    const { port, unregistered } = ourBot;
    const ours: AckScenario[] = [];
    const underIntegrity: AckScenario[] = [];
    try {
      const texts = opts.texts ?? ['help', 'health'];
      for (const text of texts) {
        log(`ack latency: /atlas ${text}, ${requests} requests, ${concurrency} concurrent`);
        await load(port, text, WARMUP, true);
        const { result, drained, loop } = await load(port, text, requests, true);
        ours.push(withAnswers(toScenario(`ours: /atlas ${text}`, text, requests, concurrency, result, loop), result, drained!));
        globalThis.gc?.();
      }

      // 3. The same while integrity_check reads a big file. runIntegrityCheck joins a check that is
      // still running, so each scenario is timed against whichever check is in flight.
      // A backup (opts.background) is timed whole: its load is sent until it ends.
      const integrityFile = opts.integrityFile;
      const background: BackgroundWork | null = opts.background ?? (integrityFile ? { name: 'integrity_check', start: () => runIntegrityCheck(integrityFile, 'full') } : null);
      if (background) {
        for (const text of texts) {
          log(`ack latency under ${opts.background ? background.name : `PRAGMA integrity_check of ${path.basename(integrityFile!)}`}: /atlas ${text}`);
          const checkStart = performance.timeOrigin + performance.now();
          let checkEnd = Number.POSITIVE_INFINITY;
          let checkOk: boolean | null = null;
          const check = background.start().then((r) => {
            checkEnd = performance.timeOrigin + performance.now();
            checkOk = r.ok;
            return r;
          });
          const { result, drained, loop } = opts.background
            ? await load(port, text, 1_000_000, true, check)
            : await load(port, text, requests, true);
          const during = result.samples.filter((s) => s.start >= checkStart && s.end <= checkEnd);
          const scenario = withAnswers(
            toScenario(`ours under ${background.name}: /atlas ${text}`, text, result.samples.length, concurrency, result, loop),
            result,
            drained!,
          );
          scenario.duringCheck = {
            samples: during.length,
            checkMs: Number.isFinite(checkEnd) ? checkEnd - checkStart : Number.NaN,
            checkOk,
            latency: summarize(during.map((s) => s.end - s.start)),
          };
          // Wait for the check so the next scenario (or the end) does not overlap an old one.
          const finished = await check;
          scenario.duringCheck.checkMs = checkEnd - checkStart;
          scenario.duringCheck.checkOk = finished.ok;
          underIntegrity.push(scenario);
          globalThis.gc?.();
        }
      }
    } finally {
      await ourBot.stop();
    }
    return { bare, ours, underIntegrity, unregistered };
  } finally {
    await fake.close();
  }
}
