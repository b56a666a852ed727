import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { processIo, runCli, type CliIo } from '../cli.js';
import { demoMaintenanceCalendar } from './demo-maintenance-calendar.js';
import { demoRotation } from './demo-rotation.js';
import { generateAtlasData } from './generate-atlas-data.js';
import { exitWith, isMainModule } from '../is-main-module.js';

/** Where `npm run demo` writes its data directory, relative to the working directory. */
export const DEMO_DATA_DIR = path.join('demo-data', '.shadow-atlas');
/** The demo's config file (its rotation, as the sandbox has it), rewritten on every run. */
export const DEMO_CONFIG = path.join('demo-data', 'atlas.config.yml');
const MAINTENANCE_CALENDAR = 'maintenance-calendar.md';

const DEMO_DAYS = 4;

/** The 3 a.m. questions, in the order an on-call engineer would ask them. */
export const DEMO_COMMANDS: readonly (readonly string[])[] = [
  ['health'],
  ['errors', '--window', '1h'],
  ['alerts'],
  ['jobs', 'stuck'],
  ['snapshots'],
  ['oncall'],
  ['oncall', 'load', '--weeks', '1'],
  ['handoff'],
];

/** The demo's config: the sandbox's rotation, and the maintenance calendar beside the data. */
export function demoConfigYaml(now: Date): string {
  const config = {
    rotation: demoRotation(now),
    handoff: { maintenanceCalendar: path.join('.shadow-atlas', MAINTENANCE_CALENDAR) },
  };
  return `# Written by npm run demo (rewritten on every run): the rotation the sandbox has too.\n${YAML.stringify(config)}`;
}

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

  // A rotation, so that `oncall`, `oncall load` and `handoff` answer as they do in the sandbox.
  const configFile = path.resolve(io.cwd, DEMO_CONFIG);
  mkdirSync(path.dirname(configFile), { recursive: true });
  writeFileSync(path.join(dataDir, MAINTENANCE_CALENDAR), demoMaintenanceCalendar(now));
  writeFileSync(configFile, demoConfigYaml(now), 'utf8');
  const env = { ...io.env, ATLAS_DATA_DIR: dataDir, ATLAS_CONFIG: configFile };
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
  io.stdout(`Run any subcommand against this directory:\n  ATLAS_DATA_DIR=${DEMO_DATA_DIR} ATLAS_CONFIG=${DEMO_CONFIG} npm run -s atlas -- <subcommand>\n`);
  return failed > 0 ? 1 : 0;
}

if (isMainModule(import.meta.url)) exitWith(runDemo(processIo()), 'demo', 1);
