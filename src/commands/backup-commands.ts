/**
 * `backup [persistence|metrics|all] [--reason text]`, `backup restore <backup> [persistence|metrics]`
 * (remediations: previewed, confirmed, audited) and `backups` (a read).
 */
import path from 'node:path';
import { z } from 'zod';
import type { BackupProgress } from '../remediation/backup-runner.js';
import { readBackupCatalog } from '../remediation/backup-catalog.js';
import { backupFileName, backupStamp } from '../db/backup-names.js';
import { resolveRestore, restoreBackup, restoreSpace, writesProblem, type RestoreRequest } from '../remediation/backup-restore.js';
import { measureBackup, shortBytes, spaceProblem, statfsFreeSpace, takeBackup, type BackupWhich, type FreeSpaceReader } from '../remediation/backup-take.js';
import { DEFAULT_ORCHESTRATOR_PATTERN, procOrchestratorProbe, type OrchestratorProbe } from '../remediation/orchestrator-process.js';
import { fingerprintOf, RemediationRefusal, type PlanChange } from '../remediation/remediation-plan.js';
import { backupsReport, bytesText, takenLines } from '../templates/backup-report.js';
import { defineCommand, noPositionals, type CommandDeps, type CommandSpec } from './command-spec.js';
import { remediation, type RemediationEntry } from '../remediation/remediation-spec.js';

/** What the backup commands take from the machine; tests pass their own. */
export interface BackupTools {
  freeSpace: FreeSpaceReader;
  /** The orchestrator probe for the configured pattern (`commands.orchestratorProcess`). */
  orchestrator: (pattern: string) => OrchestratorProbe;
  /** How long a lock held by the service's writer is waited for. */
  busyTimeoutMs: number;
}

const DEFAULT_TOOLS: BackupTools = { freeSpace: statfsFreeSpace, orchestrator: (p) => procOrchestratorProbe(p), busyTimeoutMs: 5000 };

const orchestratorPattern = (deps: CommandDeps) =>
  (deps.config as { commands?: { orchestratorProcess?: string } }).commands?.orchestratorProcess ?? DEFAULT_ORCHESTRATOR_PATTERN;

const reasonArg = z.string().trim().min(1, { message: 'takes a short text' }).max(500, { message: 'takes at most 500 characters' });

interface BackupArgs {
  which: BackupWhich;
  reason: string | null;
}

const quoted = (s: string) => `"${s.replaceAll('"', "'")}"`;

/** How often the person waiting hears how far the backup got, at most. */
const PROGRESS_EVERY_MS = 3000;

/** "⏳ Backing up persistence: copying, 40 %", at most every few seconds and at each new phase. */
function progressLines(say: (line: string) => void): (database: string, p: BackupProgress) => void {
  let last = 0;
  let lastPhase = '';
  const words: Record<BackupProgress['phase'], string> = { copy: 'copying', verify: 'verifying (integrity_check, row counts)', hash: 'hashing (sha256)', restore: 'restoring' };
  return (database, p) => {
    const now = Date.now();
    const key = `${database}:${p.phase}`;
    if (key === lastPhase && now - last < PROGRESS_EVERY_MS) return;
    last = now;
    lastPhase = key;
    // Only copying and restoring count pages; verifying and hashing report their start alone (a "0 %" there would never move).
    const pct = (p.phase === 'copy' || p.phase === 'restore') && p.total > 0 ? `, ${Math.floor((p.done / p.total) * 100)} %` : '';
    say(`⏳ Backing up ${database}: ${words[p.phase]}${pct}`);
  };
}

function backupEntry(tools: BackupTools): RemediationEntry {
  return remediation<BackupArgs>(
    {
      name: 'backup',
      ifInterrupted: '`backups` (a backup is listed only once verified; leftover temporary files in backups/ can be deleted) and `disk`',
      summary: 'Take a verified online backup of the databases (and jobs/*.json) into backups/',
      usage: '[persistence|metrics|all] [--reason text]',
      options: { reason: { type: 'string' } },
      args: z
        .object({ _: z.array(z.enum(['persistence', 'metrics', 'all'], { message: 'takes persistence, metrics or all' })).max(1, { message: 'takes one of persistence, metrics or all' }), reason: reasonArg.optional() })
        .transform((a) => ({ which: a._[0] ?? 'all', reason: a.reason ?? null })),
      async plan(args, deps) {
        const needs = await measureBackup(args.which, deps.atlas, tools.freeSpace);
        const present = needs.sources.filter((s) => s.bytes !== null);
        if (present.length === 0) throw new RemediationRefusal(`There is nothing to back up: ${needs.sources.map((s) => s.label).join(' and ')} not found in ${deps.atlas.dataDir}; check ATLAS_DATA_DIR.`);
        const short = spaceProblem(needs);
        if (short) throw new RemediationRefusal(short);
        const stamp = backupStamp(deps.clock());
        const changes: PlanChange[] = [
          ...present.map((s): PlanChange => ({
            kind: 'file',
            path: path.join(deps.atlas.backupsDir, backupFileName(s.database, '<UTC time of Confirm>')),
            note: `online backup of ${s.label} (${bytesText(s.bytes!.db)}${s.bytes!.wal ? ` + WAL ${bytesText(s.bytes!.wal)}` : ''}), then integrity_check, row counts against the source and sha256 before it takes its name`,
          })),
          needs.jobs
            ? { kind: 'file', path: path.join(deps.atlas.backupsDir, 'jobs-<UTC time>/'), note: `copies of ${needs.jobs.files} jobs/*.json (${bytesText(needs.jobs.bytes)})` }
            : { kind: 'file', path: deps.atlas.jobsDir, note: 'no jobs/ folder: no job files to copy' },
          { kind: 'file', path: path.join(deps.atlas.backupsDir, 'manifest-<UTC time>.json'), note: `reason ${quoted(args.reason ?? 'manual backup')}, who, when, sizes, sha256` },
          { kind: 'space', what: `free space in ${needs.where}`, needBytes: needs.needBytes, freeBytes: needs.freeBytes },
        ];
        const warnings = needs.sources.filter((s) => s.bytes === null).map((s) => `${s.label} not found in ${deps.atlas.dataDir}: it is not backed up.`);
        return {
          summary: `a verified backup of ${present.map((s) => s.label).join(' and ')} into backups/ (named like ${backupFileName(present[0]!.database, stamp)})`,
          changes,
          undo: 'Nothing in the databases changes; delete the backup files from backups/ to take the space back.',
          warnings,
          // What would make this plan wrong: which files exist, and whether the space suffices (sizes move with every write).
          fingerprint: fingerprintOf(args, present.map((s) => s.file), needs.jobs !== null),
        };
      },
      async apply(args, _plan, deps, actor) {
        const taken = await takeBackup(args.which, deps.atlas, {
          reason: args.reason ?? 'manual backup',
          who: { source: actor.source, userId: actor.userId },
          at: deps.clock(),
          freeSpace: tools.freeSpace,
          logger: deps.logger,
          busyTimeoutMs: tools.busyTimeoutMs,
          ...(actor.progress ? { onProgress: progressLines(actor.progress) } : {}),
        });
        const bytes = taken.files.reduce((n, f) => n + f.bytes, 0);
        const ms = taken.files.reduce((n, f) => n + f.copyMs + f.verifyMs, 0);
        return {
          // The progress message ends on this line: "verified, 1.2 GB, 14 s".
          headline: `Backed up ${taken.files.map((f) => f.file).join(' and ')}: verified, ${shortBytes(bytes)}, ${Math.max(1, Math.round(ms / 1000))} s`,
          lines: takenLines(taken),
          undo: null,
        };
      },
    },
    (a) => `${a.which}${a.reason ? ` --reason ${quoted(a.reason)}` : ''}`,
  );
}

function restoreEntry(tools: BackupTools): RemediationEntry {
  return remediation<RestoreRequest>(
    {
      name: 'backup restore',
      ifInterrupted: '`integrity` of the restored database, and `backups` (the backup of the file as it was, taken first)',
      summary: 'Restore a database from a backup (writes stopped; the current file is backed up first)',
      usage: '<backup> [persistence|metrics] [--force --reason text]',
      options: { force: { type: 'boolean' }, reason: { type: 'string' } },
      args: z
        .object({
          _: z.array(z.string()).min(1, { message: 'takes the name of a backup from `backups`' }).max(2, { message: 'takes a backup name and persistence or metrics' }),
          force: z.boolean().optional(),
          reason: reasonArg.optional(),
        })
        .transform((a) => ({ backup: a._[0]!, database: a._[1] ?? null, force: a.force === true, reason: a.reason ?? null })),
      async plan(req, deps) {
        const target = await resolveRestore(req, deps.atlas, deps.clock());
        const status = await tools.orchestrator(orchestratorPattern(deps)).status();
        const writes = writesProblem(status, req);
        if (writes) throw new RemediationRefusal(writes);
        const exists = deps.atlas[target.database].exists();
        const space = exists ? await restoreSpace(target, deps.atlas, tools.freeSpace) : null;
        if (space?.problem) throw new RemediationRefusal(space.problem);
        const e = target.entry;
        const changes: PlanChange[] = [];
        if (space) {
          changes.push({ kind: 'file', path: path.join(deps.atlas.backupsDir, backupFileName(target.database, '<UTC time of Confirm>')), note: `a verified backup of ${target.label} as it is now, taken first` });
          changes.push({ kind: 'space', what: `free space in ${space.needs.where}`, needBytes: space.needs.needBytes, freeBytes: space.needs.freeBytes });
        }
        changes.push({
          kind: 'file',
          path: target.file,
          note: `its contents replaced by ${e.name} (${bytesText(e.bytes)}, ${e.manifest ? `taken ${e.manifest.createdAt} for ${quoted(e.manifest.reason)}` : 'not taken by the bot'}) through SQLite's backup API, after integrity_check${e.manifest ? ' and sha256' : ''} of the backup`,
        });
        const warnings = [
          ...(status.kind !== 'not-running' ? [`Forced while ${status.kind === 'alive' ? `the batch orchestrator runs (pid ${status.processes.map((p) => p.pid).join(', ')})` : `the orchestrator's state is unknown (${status.reason})`}: its writes after the restore land on the restored data. Reason: ${req.reason}`] : []),
          ...(e.manifest ? [] : [`${e.name} has no manifest from the bot: it is checked with integrity_check only.`]),
          ...(exists ? [] : [`${target.label} does not exist: it is created from the backup, with no backup of it first.`]),
          `Everything written to ${target.label} after ${e.manifest?.createdAt ?? e.modifiedAt} is replaced; jobs/*.json files are not restored (the backup's copies are in backups/jobs-<time>/).`,
        ];
        return {
          summary: `${target.label} restored from ${e.name}`,
          changes,
          undo: exists ? `Restore the backup of the current file this takes first: \`backup restore ${target.database}-<UTC time of Confirm>.db ${target.database}\` (named in the result).` : null,
          warnings,
          fingerprint: fingerprintOf(req, e.name, e.bytes, e.modifiedAt, e.manifest?.file.sha256 ?? null, exists, status.kind),
        };
      },
      async apply(req, _plan, deps, actor) {
        const target = await resolveRestore(req, deps.atlas, deps.clock());
        // Writes may have started since the preview.
        const writes = writesProblem(await tools.orchestrator(orchestratorPattern(deps)).status(), req);
        if (writes) throw new RemediationRefusal(writes);
        const r = await restoreBackup(target, deps.atlas, {
          who: { source: actor.source, userId: actor.userId },
          at: deps.clock(),
          reason: `before restoring ${target.entry.name}${req.reason ? `: ${req.reason}` : ''}`,
          freeSpace: tools.freeSpace,
          logger: deps.logger,
          busyTimeoutMs: tools.busyTimeoutMs,
        });
        const lines = [
          `${target.entry.name} verified first: integrity ok${target.entry.manifest ? ', sha256 as in its manifest' : ''} (${(r.verifiedMs / 1000).toFixed(1)} s)`,
          r.before.kind === 'backup'
            ? `the file as it was: ${r.before.taken.files.map((f) => f.file).join(', ')} (verified)`
            : r.before.kind === 'raw-copy'
              ? `the file as it was was too damaged for the backup API; its bytes are kept as ${r.before.files.join(', ')}`
              : `${target.label} did not exist before`,
          `${r.restoredPages.toLocaleString('en-US')} pages written through the backup API in ${(r.restoreMs / 1000).toFixed(1)} s; quick_check of ${target.label} ${r.quickCheckOk ? 'ok' : 'NOT ok: run `integrity`'}`,
        ];
        const undoName = r.before.kind === 'backup' ? r.before.taken.files[0]?.file : null;
        return {
          headline: `Restored ${target.label} from ${target.entry.name}`,
          lines,
          undo: undoName ? `/atlas backup restore ${undoName} ${target.database}` : null,
        };
      },
    },
    (a) => [a.backup, a.database ?? '', a.force ? '--force' : '', a.reason ? `--reason ${quoted(a.reason)}` : ''].filter(Boolean).join(' '),
  );
}

/** The two backup remediations, with the machine's tools (tests pass their own). */
export function backupRemediations(tools: Partial<BackupTools> = {}): RemediationEntry[] {
  const t = { ...DEFAULT_TOOLS, ...tools };
  return [backupEntry(t), restoreEntry(t)];
}

export const backupReadCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'backups',
    summary: 'The backups present, newest first: age, size, reason, verification',
    usage: '',
    tier: 'read',
    group: 'Remediation',
    args: z.object({ _: noPositionals }),
    async run(_args, deps) {
      return backupsReport(await readBackupCatalog(deps.atlas.backupsDir, deps.clock()));
    },
  }),
];

