/**
 * The guide's metrics-snapshot.sh as one text file: every diagnostic the registry has, each run
 * by its own command function within a time bound, rendered as the terminal shows it. A section
 * that fails or runs late says so; the others are there.
 */
import { readFileSync } from 'node:fs';
import type { AtlasDatabase } from '../db/atlas-database.js';
import { DbProblemError } from '../db/sqlite-problem.js';
import { renderPlainText } from '../templates/plain-text.js';
import type { Report } from '../templates/report.js';
import { healthCommands } from './bot-commands.js';
import type { Actor, CommandDeps, CommandSpec } from './command-spec.js';
import { dataCommands } from './data-commands.js';
import { metricCommands } from './metric-commands.js';
import { systemCommands } from './system-commands.js';

/** One section: which command, with which arguments (as typed), and how long it may take. */
interface SectionPlan {
  title: string;
  command: string;
  positionals: string[];
  flags: Record<string, string | true>;
  boundMs: number;
}

/**
 * In the order of the guide's script. The bounds leave each check its own: providers probe for
 * 10 s each in parallel, a quick_check of a 785 MB file took 1 s, the metrics readers 20 s.
 */
export const BUNDLE_SECTIONS: readonly SectionPlan[] = [
  { title: 'HEALTH', command: 'health', positionals: [], flags: { window: '1h' }, boundMs: 25_000 },
  { title: 'ERRORS', command: 'errors', positionals: [], flags: { window: '1h' }, boundMs: 25_000 },
  { title: 'METRICS', command: 'metrics', positionals: [], flags: { window: '1h' }, boundMs: 25_000 },
  { title: 'ALERTS', command: 'alerts', positionals: [], flags: { all: true }, boundMs: 10_000 },
  { title: 'JOBS', command: 'jobs', positionals: [], flags: { limit: '20' }, boundMs: 10_000 },
  { title: 'STUCK JOBS', command: 'jobs', positionals: ['stuck'], flags: {}, boundMs: 10_000 },
  { title: 'SNAPSHOTS', command: 'snapshots', positionals: [], flags: { limit: '10' }, boundMs: 10_000 },
  { title: 'DISK', command: 'disk', positionals: [], flags: {}, boundMs: 15_000 },
  { title: 'PROVIDERS', command: 'providers', positionals: [], flags: {}, boundMs: 15_000 },
  { title: 'INTEGRITY (quick_check)', command: 'integrity', positionals: ['all'], flags: { quick: true }, boundMs: 60_000 },
];

/** The header every section starts with: `==== HEALTH: atlas health --window 1h ====`. */
export function sectionHeader(title: string, typed?: string): string {
  return `==== ${title}${typed ? `: ${typed}` : ''} ====`;
}

const SPECS: readonly CommandSpec[] = [...healthCommands, ...metricCommands, ...dataCommands, ...systemCommands];

export interface BundleSection {
  title: string;
  ok: boolean;
  durationMs: number;
  /** Why the section is missing, when it is. */
  failure?: string;
}

export interface DiagnosticsBundle {
  filename: string;
  text: string;
  bytes: number;
  sections: BundleSection[];
}

/** `atlas-bundle-YYYYMMDD-HHMMSS.txt`, in UTC. */
export function bundleFilename(now: Date): string {
  const iso = now.toISOString();
  return `atlas-bundle-${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}.txt`;
}

let packageVersion: string | null = null;

/** The bot's version from package.json (the same relative place in src/ and dist/). */
export function botVersion(): string {
  if (packageVersion !== null) return packageVersion;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name?: string; version?: string };
    packageVersion = `${pkg.name ?? 'shadow-atlas-chatops'} ${pkg.version ?? '(no version)'}`;
  } catch {
    packageVersion = 'unknown (package.json not readable)';
  }
  return packageVersion;
}

function userVersion(db: AtlasDatabase): string {
  try {
    return `${db.label} ${String(db.read((d) => d.pragma('user_version', { simple: true })))}`;
  } catch (err) {
    return `${db.label} unreadable (${err instanceof DbProblemError ? err.problem.kind : 'error'})`;
  }
}

function sqliteVersion(deps: CommandDeps): string {
  for (const db of [deps.atlas.persistence, deps.atlas.metrics]) {
    try {
      return String(db.read((d) => (d.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v));
    } catch {
      // the next file, or unknown
    }
  }
  return 'unknown (no database readable)';
}

async function schemaVersions(deps: CommandDeps): Promise<string> {
  let chatops: string;
  try {
    const v = await deps.state.schemaVersion();
    chatops = `chatops.db ${v.current} (latest ${v.latest})`;
  } catch {
    chatops = 'chatops.db unreadable';
  }
  return [userVersion(deps.atlas.persistence), userVersion(deps.atlas.metrics), chatops].join(', ');
}

function who(actor: Actor): string {
  if (actor.source === 'cli') return `${actor.userId} (terminal)`;
  return `${actor.userId} (Slack${actor.channelId ? `, in ${actor.channelId}` : ''})`;
}

/** Runs one section's command within its bound; never throws. */
async function runSection(plan: SectionPlan, deps: CommandDeps, actor: Actor, prefix: string): Promise<{ section: BundleSection; text: string }> {
  const started = performance.now();
  const words = [...plan.positionals, ...Object.entries(plan.flags).flatMap(([k, v]) => (v === true ? [`--${k}`] : [`--${k}`, v]))];
  const typed = [prefix, plan.command, ...words].join(' ');
  const done = (ok: boolean, body: string, failure?: string) => ({
    section: { title: plan.title, ok, durationMs: Math.round(performance.now() - started), ...(failure ? { failure } : {}) },
    text: `${sectionHeader(plan.title, typed)}\n${body.endsWith('\n') ? body : `${body}\n`}`,
  });
  const spec = SPECS.find((s) => s.name === plan.command);
  if (!spec) return done(false, `[FAILED] the bot has no \`${plan.command}\` command.`, 'no such command');
  const parsed = spec.args.safeParse({ _: plan.positionals, ...plan.flags });
  if (!parsed.success) return done(false, `[FAILED] its arguments were refused: ${parsed.error.issues[0]?.message ?? 'invalid'}.`, 'arguments refused');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), plan.boundMs);
    timer.unref();
  });
  try {
    const report = await Promise.race([spec.run(parsed.data, deps, actor), late]);
    if (report === 'late') {
      const sentence = `did not finish within ${Math.round(plan.boundMs / 1000)} s; run \`${typed}\` on its own.`;
      return done(false, `[FAILED] ${sentence}`, `timed out after ${Math.round(plan.boundMs / 1000)} s`);
    }
    return done(true, renderPlainText(report as Report));
  } catch (err) {
    const message = err instanceof DbProblemError ? err.problem.message : err instanceof Error ? err.message : String(err);
    deps.logger.warn({ err, section: plan.title }, 'a bundle section failed');
    return done(false, `[FAILED] ${message.replace(/\s+/g, ' ').slice(0, 300)}`, message.slice(0, 120));
  } finally {
    clearTimeout(timer);
  }
}

/** Every section, run side by side (each within its bound), behind a header with when, who and versions. */
export async function buildDiagnosticsBundle(deps: CommandDeps, actor: Actor): Promise<DiagnosticsBundle> {
  const now = deps.clock();
  const prefix = actor.source === 'slack' ? '/atlas' : 'atlas';
  const results = await Promise.all(BUNDLE_SECTIONS.map((plan) => runSection(plan, deps, actor, prefix)));
  const sections = results.map((r) => r.section);
  const failed = sections.filter((s) => !s.ok);
  const versions = [
    sectionHeader('VERSIONS'),
    `  Bot:      ${botVersion()}`,
    `  Node:     ${process.version} (${process.platform} ${process.arch})`,
    `  SQLite:   ${sqliteVersion(deps)}`,
    `  Schema:   ${await schemaVersions(deps)} (PRAGMA user_version)`,
    '',
  ].join('\n');
  const header = [
    'Shadow Atlas diagnostics bundle',
    `When:     ${now.toISOString().replace('T', ' ').slice(0, 19)} UTC`,
    `Who:      ${who(actor)}`,
    `Bot:      ${botVersion()}`,
    `Node:     ${process.version}`,
    `Data dir: ${deps.config.dataDir}`,
    `Schema:   ${await schemaVersions(deps)}`,
    `Sections: ${sections.length + 1}${failed.length ? `; missing: ${failed.map((s) => `${s.title} (${s.failure ?? 'failed'})`).join(', ')}` : ', all complete'}`,
    '',
  ].join('\n');
  const text = `${header}\n${results.map((r) => r.text).join('\n')}\n${versions}`;
  return { filename: bundleFilename(now), text, bytes: Buffer.byteLength(text, 'utf8'), sections: [...sections, { title: 'VERSIONS', ok: true, durationMs: 0 }] };
}
