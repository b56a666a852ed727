import { fork } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BOT, SIGNING_SECRET, startCommander, startFakeServer, type LoadSample } from './ack-latency.js';
import { summarize, type SampleSummary } from './stats.js';

/**
 * The HTTP edge under a flood of unauthenticated bodies (issue 18, item 4): how much memory
 * 450 concurrent ~4 MB POSTs to /slack/events cost the bot, and how long `/atlas help` takes to
 * be acknowledged meanwhile, next to its acknowledgement at rest in the same run. Two floods:
 * unsigned (no Slack headers: refused before a byte of body is read) and forged (fresh-looking
 * headers and a chunked body of unknown length: read up to the cap by at most the gate's number
 * at once, the rest refused with 503). The flood is sent from a child process, so its own
 * buffers are not in the RSS measured. Also measures the biggest realistic Slack payloads that
 * SLACK_MAX_BODY_BYTES must take.
 */

const FLOOD_ROLE = 'edge-flood-client';

interface FloodJob {
  url: string;
  posts: number;
  bodyBytes: number;
  /** unsigned: no Slack headers; forged: fresh timestamp, a wrong signature, chunked body. */
  kind: 'unsigned' | 'forged';
}

interface FloodReport {
  statuses: Record<string, number>;
  wallMs: number;
}

/** The flood client: every POST at once, each writing its body until the server answers or ends it. */
async function sendFlood(job: FloodJob): Promise<FloodReport> {
  const started = performance.now();
  const agent = new http.Agent({ keepAlive: false, maxSockets: job.posts });
  const chunk = Buffer.alloc(64 * 1024, 'a');
  const statuses: Record<string, number> = {};
  const one = () =>
    new Promise<void>((resolve) => {
      const ts = Math.floor(Date.now() / 1000).toString();
      const headers: Record<string, string> =
        job.kind === 'unsigned'
          ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(job.bodyBytes) }
          : { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': `v0=${'0'.repeat(64)}` };
      const req = http.request(new URL('/slack/events', job.url), { method: 'POST', agent, headers });
      let done = false;
      const finish = (status: string) => {
        if (done) return;
        done = true;
        statuses[status] = (statuses[status] ?? 0) + 1;
        resolve();
      };
      req.on('response', (res) => {
        res.resume();
        finish(String(res.statusCode));
        req.destroy();
      });
      req.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? 'error'));
      let sent = 0;
      const write = () => {
        while (!done && sent < job.bodyBytes) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', write);
            return;
          }
        }
        if (!done && sent >= job.bodyBytes) req.end();
      };
      write();
    });
  await Promise.all(Array.from({ length: job.posts }, one));
  agent.destroy();
  return { statuses, wallMs: performance.now() - started };
}

// The flooding child is this module forked with its role as its only argument.
if (process.argv[2] === FLOOD_ROLE) {
  process.once('message', (job: FloodJob) => {
    sendFlood(job).then(
      (report) => process.send?.(report, () => process.exit(0)),
      (err: unknown) => process.send?.({ error: String(err) }, () => process.exit(1)),
    );
  });
}

function floodFromChild(job: FloodJob): Promise<FloodReport> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [FLOOD_ROLE], { stdio: 'inherit' });
    child.once('message', (m: FloodReport | { error: string }) => ('error' in m ? reject(new Error(m.error)) : resolve(m)));
    child.once('error', reject);
    child.send(job);
  });
}

// --- the payloads Slack sends ------------------------------------------------------------------

export interface PayloadSize {
  name: string;
  bytes: number;
}

/**
 * Form-encoded sizes (as Slack posts them: `payload=<JSON>`) of the biggest payloads the bot can
 * receive: a view_submission of each modal with every input at its max_length, and a
 * block_actions from a message at the renderer's limits; in ASCII and in 4-byte characters
 * (the worst case for URL encoding: 12 bytes a character).
 */
export async function measureSlackPayloads(): Promise<PayloadSize[]> {
  const [{ modalFor, FIELD_MAX }, { handoffNotesModal, HANDOFF_NOTES_MAX }, { renderBlocks, BLOCK_KIT_LIMITS }] = await Promise.all([
    import('../templates/incident-modals.js'),
    import('../templates/handoff-notes-modal.js'),
    import('../templates/block-kit.js'),
  ]);
  const fill = (n: number, wide: boolean) => (wide ? '😀'.repeat(n) : 'x'.repeat(n));
  const incident = {
    id: 'INC-20261207-12', day: '20261207', seq: 12, title: fill(150, false), severity: 'P1', status: 'investigating', owner_id: 'U0ONCALL1',
    created_by: 'U0ONCALL1', alert_key: null, anchor: 'incident:INC-20261207-12', opened_at: new Date().toISOString(), acknowledged_at: null,
    ack_seconds: null, impact: null,
  } as unknown as Parameters<typeof modalFor>[1];
  const form = (payload: unknown) => Buffer.byteLength(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
  const envelope = (extra: Record<string, unknown>) => ({
    token: 'x'.repeat(24), api_app_id: 'A0ATLAS0000', team: { id: 'T0ATLAS0000', domain: 'shadow-atlas' }, is_enterprise_install: false, enterprise: null,
    user: { id: 'U0ONCALL1', username: 'oncall.engineer', name: 'oncall.engineer', team_id: 'T0ATLAS0000' }, trigger_id: '1234567890123.1234567890.abcdef0123456789abcdef0123456789', ...extra,
  });
  const sizes: PayloadSize[] = [];
  const views: [string, ReturnType<typeof modalFor>, Record<string, number>][] = [
    ...(['ack-details', 'update', 'escalate', 'resolve'] as const).map((kind): [string, ReturnType<typeof modalFor>, Record<string, number>] => [
      `${kind} modal`, modalFor({ kind } as Parameters<typeof modalFor>[0], incident, 'C0INCIDENT'), FIELD_MAX,
    ]),
    ['handoff notes modal', handoffNotesModal({ shiftChange: new Date(), timezone: 'America/New_York', incoming: 'U0ONCALL2', notes: fill(HANDOFF_NOTES_MAX, false), channel: 'C0HANDOFF' }), { notes: HANDOFF_NOTES_MAX }],
  ];
  for (const wide of [false, true]) {
    for (const [name, view, max] of views) {
      // Every input answered at its longest; a select with its first option.
      const values: Record<string, Record<string, unknown>> = {};
      for (const block of view.blocks as { type: string; block_id?: string; element?: { type: string; action_id: string; max_length?: number; options?: unknown[] } }[]) {
        if (block.type !== 'input' || !block.block_id || !block.element) continue;
        const el = block.element;
        values[block.block_id] = {
          [el.action_id]:
            el.type === 'plain_text_input'
              ? { type: el.type, value: fill(el.max_length ?? max[block.block_id] ?? 3000, wide) }
              : { type: el.type, selected_option: el.options?.[0] ?? null },
        };
      }
      const echoed = { ...view, id: 'V0123456789', team_id: 'T0ATLAS0000', state: { values }, hash: '1764158400.abcdefgh', previous_view_id: null, root_view_id: 'V0123456789', app_id: 'A0ATLAS0000', external_id: '', app_installed_team_id: 'T0ATLAS0000', bot_id: BOT.botId, notify_on_close: false, clear_on_close: false };
      sizes.push({ name: `view_submission, ${name}, ${wide ? '4-byte' : 'ASCII'} text`, bytes: form(envelope({ type: 'view_submission', view: echoed, response_urls: [] })) });
    }
    // A message at the renderer's limits: lines and a table as long as it lets them be.
    const rows = Array.from({ length: 120 }, (_, i) => [`job-${i}-${fill(20, wide)}`, fill(30, wide), fill(40, wide), fill(20, wide), fill(20, wide), fill(10, wide)]);
    const message = renderBlocks(
      {
        command: 'jobs', level: 'warn', headline: fill(BLOCK_KIT_LIMITS.headerText * 4, wide),
        sections: [
          { table: { columns: ['job', 'status', 'progress', 'age', 'updated', 'source'], rows } },
          ...Array.from({ length: 60 }, (_, i) => ({ title: `section ${i}`, lines: Array.from({ length: 10 }, () => fill(300, wide)) })),
        ],
        footer: fill(1000, wide),
      },
      { shareId: 'sr-0123456789abcdef' },
    );
    const blockActions: Record<string, unknown> = envelope({
      type: 'block_actions',
      container: { type: 'message', message_ts: '1764158400.000100', channel_id: 'C0INCIDENT', is_ephemeral: false },
      channel: { id: 'C0INCIDENT', name: 'incident-response' },
      message: { type: 'message', subtype: 'bot_message', text: message.text, ts: '1764158400.000100', bot_id: BOT.botId, app_id: 'A0ATLAS0000', blocks: message.blocks, team: 'T0ATLAS0000', user: BOT.botUserId },
      state: { values: {} },
      response_url: 'https://hooks.slack.com/actions/T0ATLAS0000/1234567890123/abcdefghijklmnopqrstuvwx',
      actions: [{ type: 'button', action_id: 'atlas_share_result', block_id: 'atlas_share', value: 'sr-0123456789abcdef', text: { type: 'plain_text', text: 'Post to channel', emoji: true }, action_ts: '1764158460.000200' }],
    });
    sizes.push({ name: `block_actions from the bot's fullest message (${message.blocks.length} blocks), ${wide ? '4-byte' : 'ASCII'} text`, bytes: form(blockActions) });
    // Beyond what the renderer sends: 50 blocks holding the most block text Slack takes in one
    // message (msg_blocks_too_long near 12-13k characters), should a message come from elsewhere.
    const slackMax = Array.from({ length: 50 }, (_, i) => ({ type: 'section', block_id: `b${i}`, text: { type: 'mrkdwn', text: fill(260, wide), verbatim: false } }));
    sizes.push({ name: `block_actions from a message at Slack's limit (50 blocks, 13,000 characters), ${wide ? '4-byte' : 'ASCII'} text`, bytes: form({ ...blockActions, message: { ...(blockActions.message as object), blocks: slackMax } }) });
  }
  return sizes;
}

// --- the flood ---------------------------------------------------------------------------------

export interface FloodPhase {
  kind: FloodJob['kind'];
  posts: number;
  bodyBytes: number;
  statuses: Record<string, number>;
  wallMs: number;
  rssBeforeMb: number;
  rssPeakMb: number;
  rssGrowthMb: number;
  /** `/atlas help` sent every 100 ms while the flood lasted. */
  ack: SampleSummary;
  ackFailures: number;
}

export interface EdgeFloodResult {
  capBytes: number;
  payloads: PayloadSize[];
  /** `/atlas help` at rest, same run, same app. */
  baseline: SampleSummary;
  phases: FloodPhase[];
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

export async function benchEdgeFlood(benchDir: string, opts: { posts: number; bodyBytes: number }, log: (s: string) => void): Promise<EdgeFloodResult> {
  const [{ buildSlackApp }, { createRegistry }, { createAuthorizer }, { buildConfig }, { closeDeps, createDeps }, { SLACK_MAX_BODY_BYTES }, pinoModule] = await Promise.all([
    import('../app.js'),
    import('../commands/index.js'),
    import('../commands/authorize.js'),
    import('../config.js'),
    import('../runtime.js'),
    import('../http/slack-request-guard.js'),
    import('pino'),
  ]);
  const payloads = await measureSlackPayloads();
  for (const p of payloads) log(`payload ${p.name}: ${p.bytes.toLocaleString('en-US')} bytes`);

  const dataDir = path.join(benchDir, 'edge', '.shadow-atlas');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const fake = await startFakeServer();
  const logger = pinoModule.default({ level: 'silent' });
  const config = buildConfig(dataDir, {});
  const deps = createDeps(config, logger, {});
  const slack = buildSlackApp({
    deps,
    registry: createRegistry(createAuthorizer(config)),
    logger,
    slack: { botToken: 'xoxb-bench-token', signingSecret: SIGNING_SECRET, apiUrl: `${fake.url}/api/` },
    botIdentity: BOT,
  });
  const port = await slack.start(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  const commander = startCommander(url, fake.url);
  let sent = 0;
  const ackSeries = async (until: () => boolean, minimum: number): Promise<LoadSample[]> => {
    const samples: LoadSample[] = [];
    while (!until() || samples.length < minimum) {
      const tick = new Promise((r) => setTimeout(r, 100));
      samples.push(await commander.send('help', 'edge', sent++));
      await tick;
    }
    return samples;
  };
  const latencies = (s: LoadSample[]) => summarize(s.map((x) => x.end - x.start));
  try {
    for (let i = 0; i < 20; i++) await commander.send('help', 'edge', sent++);
    log('ack latency at rest: /atlas help, 30 requests, one every 100 ms');
    const baseline = latencies(await ackSeries(() => true, 30));
    const phases: FloodPhase[] = [];
    for (const kind of ['unsigned', 'forged'] as const) {
      globalThis.gc?.();
      await new Promise((r) => setTimeout(r, 500));
      const rssBefore = process.memoryUsage.rss();
      let peak = rssBefore;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage.rss());
      }, 20);
      log(`flood: ${opts.posts} concurrent ${kind} POSTs of ${mb(opts.bodyBytes)} MB to /slack/events`);
      let floodDone = false;
      const flood = floodFromChild({ url, posts: opts.posts, bodyBytes: opts.bodyBytes, kind }).finally(() => {
        floodDone = true;
      });
      const samples = await ackSeries(() => floodDone, 5);
      const report = await flood;
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage.rss());
      phases.push({
        kind, posts: opts.posts, bodyBytes: opts.bodyBytes, statuses: report.statuses, wallMs: report.wallMs,
        rssBeforeMb: mb(rssBefore), rssPeakMb: mb(peak), rssGrowthMb: mb(peak - rssBefore),
        ack: latencies(samples), ackFailures: samples.filter((s) => s.status !== 200).length,
      });
    }
    return { capBytes: SLACK_MAX_BODY_BYTES, payloads, baseline, phases };
  } finally {
    await commander.close();
    await slack.stop();
    await closeDeps(deps);
    await fake.close();
  }
}
