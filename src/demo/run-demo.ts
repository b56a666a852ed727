import { rmSync } from 'node:fs';
import path from 'node:path';
import { processIo, runCli, type CliIo } from '../cli.js';
import { generateAtlasData } from './generate-atlas-data.js';
import { exitWith, isMainModule } from '../is-main-module.js';

/** Where `npm run demo` writes its data directory, relative to the working directory. */
export const DEMO_DATA_DIR = path.join('demo-data', '.shadow-atlas');

const DEMO_DAYS = 4;

/** The 3 a.m. questions, in the order an on-call engineer would ask them. */
export const DEMO_COMMANDS: readonly (readonly string[])[] = [
  ['health'],
  ['errors', '--window', '1h'],
  ['alerts'],
  ['jobs', 'stuck'],
  ['snapshots'],
];

/**
 * Rebuilds the demo directory (scenario 'demo', now = the real current time), then runs a few
 * subcommands through the terminal front end and prints them. Returns 1 when a subcommand could
 * not answer at all (usage or internal error), 0 otherwise: warn and crit verdicts are the point
 * of the demo, not failures.
 */
export async function runDemo(io: CliIo, now: Date = new Date()): Promise<number> {
  const dataDir = path.resolve(io.cwd, DEMO_DATA_DIR);
  // Only the demo's own directory is replaced; nothing else under demo-data/ is touched.
  rmSync(dataDir, { recursive: true, force: true });
  const started = performance.now();
  const summary = generateAtlasData(dataDir, { now, days: DEMO_DAYS, scenario: 'demo', seed: 20_261_126 });
  const ms = Math.round(performance.now() - started);
  io.stdout(
    `Demo data written to ${DEMO_DATA_DIR} in ${ms} ms: ${summary.metrics.rows.toLocaleString('en-US')} metric rows over ${DEMO_DAYS} days ` +
      `(${summary.metrics.byFormat.sql} sql-format, ${summary.metrics.byFormat.isoMs} ISO with ms, ${summary.metrics.byFormat.iso} ISO without), ` +
      `${summary.persistence.jobs} jobs, ${summary.persistence.snapshots} snapshots, ${summary.alerts.rows} alerts, ${summary.backups.length} backups.\n` +
      `Planted: ${summary.scenarioFacts.outage?.provider} outage (${summary.scenarioFacts.outage?.error}) for the last 50 min, ` +
      `stuck job ${summary.scenarioFacts.stuckJobId}, current snapshot without a CID, ` +
      `extraction failures for ${summary.scenarioFacts.failingState}, a firing provider_down alert.\n\n`,
  );

  const env = { ...io.env, ATLAS_DATA_DIR: dataDir };
  let failed = 0;
  for (const argv of DEMO_COMMANDS) {
    io.stdout(`$ atlas ${argv.join(' ')}\n`);
    let code: number;
    try {
      code = await runCli([...argv], { ...io, env });
    } catch (err) {
      io.stderr(`atlas ${argv.join(' ')} threw: ${err instanceof Error ? err.message : String(err)}\n`);
      code = 3;
    }
    // 3 = could not answer, 64 = usage, 78 = config: the demo itself is broken.
    if (code >= 3) failed++;
    io.stdout(`(exit ${code})\n\n`);
  }
  io.stdout(`Run any subcommand against this directory:\n  ATLAS_DATA_DIR=${DEMO_DATA_DIR} npm run -s atlas -- <subcommand>\n`);
  return failed > 0 ? 1 : 0;
}

if (isMainModule(import.meta.url)) exitWith(runDemo(processIo()), 'demo', 1);
