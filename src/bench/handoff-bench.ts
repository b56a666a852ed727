import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { ingestAlert } from '../alerts/alert-ingest.js';
import { pollMetricsAlerts } from '../alerts/metrics-alert-watcher.js';
import { HEALTH_SHARE_MS } from '../checks/health.js';
import { QUICK_CHECK_REUSE_MS, quickCheckItems } from '../checks/integrity.js';
import { stopMetricsReaders } from '../checks/metrics-reader.js';
import type { CommandDeps } from '../commands/command-spec.js';
import { buildConfig } from '../config.js';
import { generateAtlasData } from '../demo/generate-atlas-data.js';
import { runIntegrityCheck } from '../db/integrity-check.js';
import { declareIncident } from '../incidents/declare.js';
import { type HandoffContent, type HandoffInput } from '../oncall/handoff-content.js';
import { gatherHandoff } from '../handoff/gather-handoff.js';
import { closeDeps, createDeps } from '../runtime.js';
import { handoffMessage } from '../templates/handoff-message.js';
import { ensureBigMetrics } from './big-metrics.js';
import { summarize, type SampleSummary } from './stats.js';

/**
 * g. Time to build the shift handoff (gatherHandoff + handoffMessage: incidents, alert history,
 * jobs, the health checks, the calendar, then the blocks) on the demo directory beside the 5,000,000-
 * row metrics.db, against the same on the demo's own small metrics.db, interleaved in one run.
 * Twice: as in the running bot, where the watchdog's quick_check of the last minute is reused, and
 * cold, where every build waits for a fresh quick_check of both files (the first minute after a
 * start, or a shift change on the very second the watchdog's minute begins). The quick_check
 * alone is timed too: it is the one part whose cost grows with the file.
 */

export interface HandoffBenchResult {
  iterations: number;
  rows: number;
  cache: string;
  /** The watchdog's quick_check of this minute reused. */
  warm: { big: SampleSummary; demo: SampleSummary };
  /** A fresh quick_check of both files in every build. */
  cold: { big: SampleSummary; demo: SampleSummary };
  /** quick_check of the metrics.db alone. */
  quickCheck: { big: SampleSummary; demo: SampleSummary };
  /** What the handoffs said, to show both did the same work. */
  bigStatus: string;
  demoStatus: string;
  bigWatchItems: number;
  demoWatchItems: number;
}

const OUT = 'U0BENCHOUT';
const IN = 'U0BENCHIN';

/** Outbound HTTP (the IPFS probe) answered at once: the figure is the bot's work, not a gateway's. */
const localFetch: typeof fetch = async () => new Response('snapshot bytes');

interface Side {
  deps: CommandDeps;
  /** Moves the bot's clock on by `ms`. */
  advance(ms: number): void;
}

type Mode = 'warm' | 'cold';

async function openSide(dataDir: string, calendar: string): Promise<Side> {
  let offsetMs = 0;
  const config = buildConfig(dataDir, {
    rotation: { timezone: 'Europe/Berlin', start: '2026-01-05', handoff: '0 9 * * 1', primary: [OUT, IN] },
    handoff: { maintenanceCalendar: calendar },
  });
  const deps = createDeps(config, pino({ level: 'silent' }), { fetch: localFetch, clock: () => new Date(Date.now() + offsetMs) });
  // The shift's history as the bot would have it: the data's alerts ingested, incidents open.
  await pollMetricsAlerts(deps);
  for (const [title, severity, by] of [
    ['Census TIGER outage: extraction failing for 3 states', 'P1', OUT],
    ['Slow district lookups', 'P2', IN],
    ['Snapshot without its IPFS CID', 'P2', OUT],
  ] as const) {
    await declareIncident(deps, { title, severity, actorId: by });
  }
  await ingestAlert(deps, { name: 'gateway_slow', status: 'firing', message: 'IPFS gateway slow', source: 'atlas-webhook', severityHint: 'warning' });
  return { deps, advance: (ms) => (offsetMs += ms) };
}

async function buildOnce(side: Side, mode: Mode): Promise<{ ms: number; content: HandoffContent }> {
  if (mode === 'warm') {
    // Past the moment in which one health run answers everyone; the watchdog's minute just ran (untimed).
    side.advance(HEALTH_SHARE_MS + 1_000);
    await quickCheckItems(side.deps.atlas, side.deps.clock());
  } else {
    // Past both the shared health run and the reused quick_check.
    side.advance(Math.max(HEALTH_SHARE_MS, QUICK_CHECK_REUSE_MS) + 1_000);
  }
  const now = side.deps.clock();
  const input: HandoffInput = {
    shiftChange: now,
    outgoing: { primary: OUT, secondary: null },
    incoming: { primary: IN, secondary: null },
    notes: { text: 'TIGER flaky since Saturday.', by: OUT, at: now },
    late: null,
    skipped: [],
    now,
  };
  const t = performance.now();
  const content = await gatherHandoff(side.deps, input);
  handoffMessage(content);
  return { ms: performance.now() - t, content };
}

export async function benchHandoff(benchDir: string, iterations: number, log: (line: string) => void): Promise<HandoffBenchResult> {
  const now = new Date();
  const big = ensureBigMetrics(benchDir, { now, log });
  const root = path.join(benchDir, 'handoff');
  rmSync(root, { recursive: true, force: true });
  const calendar = path.join(root, 'maintenance-calendar.md');
  const day = (d: number) => new Date(now.getTime() + d * 86_400_000).toISOString().slice(0, 10);
  mkdirSync(root, { recursive: true });
  writeFileSync(calendar, `# Maintenance\n- ${day(1)} 14:00 Quarterly update\n- ${day(3)} Provider window\n- ${day(12)} Too far ahead\n`);
  const dirs = { demo: path.join(root, 'demo', '.shadow-atlas'), big: path.join(root, 'big', '.shadow-atlas') };
  for (const dir of Object.values(dirs)) generateAtlasData(dir, { now, scenario: 'demo', seed: 7 });
  rmSync(path.join(dirs.big, 'metrics.db'), { force: true });
  symlinkSync(path.resolve(big.file), path.join(dirs.big, 'metrics.db'));

  const sides = { demo: await openSide(dirs.demo, calendar), big: await openSide(dirs.big, calendar) };
  try {
    log('handoff: warming up (worker threads, page cache) on both directories');
    for (let i = 0; i < 2; i++) for (const mode of ['warm', 'cold'] as const) for (const side of [sides.demo, sides.big]) await buildOnce(side, mode);
    const last: Record<'demo' | 'big', HandoffContent | null> = { demo: null, big: null };
    /** `iterations` builds on each side in one mode, interleaved, the side going first alternating. */
    const phase = async (mode: Mode) => {
      const times = { demo: [] as number[], big: [] as number[] };
      for (let i = 0; i < iterations; i++) {
        for (const name of i % 2 === 0 ? (['big', 'demo'] as const) : (['demo', 'big'] as const)) {
          const run = await buildOnce(sides[name], mode);
          times[name].push(run.ms);
          last[name] = run.content;
        }
      }
      return { big: summarize(times.big), demo: summarize(times.demo) };
    };
    log(`handoff: ${iterations} builds on each side with the watchdog's quick_check reused, interleaved`);
    const warm = await phase('warm');
    log(`handoff: ${iterations} builds on each side, each with a fresh quick_check, interleaved`);
    const cold = await phase('cold');
    log('handoff: quick_check of each metrics.db alone');
    const quick = { demo: [] as number[], big: [] as number[] };
    for (let i = 0; i < Math.min(iterations, 5); i++) {
      for (const name of ['big', 'demo'] as const) {
        const t = performance.now();
        await runIntegrityCheck(path.join(dirs[name], 'metrics.db'), 'quick');
        quick[name].push(performance.now() - t);
      }
    }
    const watchCount = (c: HandoffContent | null) => (c && 'items' in c.watch ? c.watch.items.length : -1);
    return {
      iterations,
      rows: big.rows,
      cache: big.action,
      warm,
      cold,
      quickCheck: { big: summarize(quick.big), demo: summarize(quick.demo) },
      bigStatus: last.big?.status.level ?? 'none',
      demoStatus: last.demo?.status.level ?? 'none',
      bigWatchItems: watchCount(last.big),
      demoWatchItems: watchCount(last.demo),
    };
  } finally {
    await closeDeps(sides.demo.deps);
    await closeDeps(sides.big.deps);
    await stopMetricsReaders();
  }
}
