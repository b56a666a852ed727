/**
 * `emergency corruption`: the guide's first five minutes of a P0 data corruption as one guided
 * flow. Declare (or join) the P0 incident, stop the writers, take a verified emergency backup of
 * both databases, check both with a full integrity_check, and put the results, the runbook's
 * next steps and who to escalate to in the incident's thread. Each step that cannot run says so
 * and the flow goes on to the next one that is still safe: the backup is never skipped silently,
 * and nothing is restored or repaired here.
 */
import path from 'node:path';
import { z } from 'zod';
import { integrity, integrityDetail } from '../checks/integrity.js';
import { noArguments } from './remediation-spec.js';
import { remediation, type RemediationEntry } from './remediation-spec.js';
import type { Incident } from '../db/state/state-records.js';
import { declareIncident } from '../incidents/declare.js';
import { RUNBOOKS } from '../incidents/runbook-selector.js';
import { backupFileName } from '../db/backup-names.js';
import { measureBackup, spaceProblem, statfsFreeSpace, takeBackup, type FreeSpaceReader } from './backup-take.js';
import { describeRun, runCommand } from './external-command.js';
import { orchestratorNow, pidList } from './job-remediations.js';
import { fingerprintOf, RemediationRefusal, type PlanChange } from './remediation-plan.js';

export const EMERGENCY_TITLE = 'Data corruption suspected';

/** The open P0 the flow joins: the newest one, else it declares its own. */
function openP0(incidents: readonly Incident[]): Incident | null {
  return [...incidents].reverse().find((i) => i.severity === 'P0') ?? null;
}

const contact = (id: string | undefined, what: string) => (id ? `<@${id}> (${what})` : `the ${what} (escalation.${what === 'database expert' ? 'dbExpert' : what === 'CTO' ? 'cto' : 'techLead'} is not configured)`);

export function emergencyCorruption(tools: { freeSpace: FreeSpaceReader } = { freeSpace: statfsFreeSpace }): RemediationEntry {
  return remediation<{ reason: string | null }>(
    {
      name: 'emergency corruption',
      ifInterrupted: '`incidents` (was the P0 declared?), `jobs` and the orchestrator (were the writers stopped?), `backups` (is there a verified emergency backup?); then run `integrity` by hand',
      summary: 'P0 data corruption, first five minutes: incident, stop writes, verified backup, integrity of both databases',
      usage: '[--reason text]',
      options: { reason: { type: 'string' } },
      args: z
        .object({ _: noArguments, reason: z.string().trim().min(1).max(300).optional() })
        .transform((a) => ({ reason: a.reason ?? null })),
      async plan(_args, deps) {
        const joined = openP0(await deps.state.incidents.open());
        const stop = deps.config.commands.stopJobs;
        const needs = await measureBackup('all', deps.atlas, tools.freeSpace);
        const present = needs.sources.filter((s) => s.bytes !== null);
        if (present.length === 0) throw new RemediationRefusal(`Neither persistence.db nor metrics.db is in ${deps.atlas.dataDir}: there is nothing to back up or check; check ATLAS_DATA_DIR.`);
        const short = spaceProblem(needs);
        const orchestrator = await orchestratorNow(deps);
        const warnings: string[] = [];
        const changes: PlanChange[] = [
          joined
            ? { kind: 'row', what: `incident ${joined.id}`, before: { severity: joined.severity, status: joined.status }, after: { joined: 'the flow reports into its thread' } }
            : { kind: 'row', what: 'a new incident', before: null, after: { title: EMERGENCY_TITLE, severity: 'P0', owner: 'you' } },
        ];
        if (stop) changes.push({ kind: 'command', argv: [...stop], note: `commands.stopJobs: stop the writers (bound ${deps.config.commands.timeoutSeconds} s), then check no orchestrator is left` });
        else warnings.push('commands.stopJobs is not set: stop the orchestrator by hand now, before the backup (the flow goes on without stopping it).');
        if (orchestrator.processes.length > 0) warnings.push(`Writing now: ${pidList(orchestrator.processes)}.`);
        if (short) warnings.push(`No emergency backup: ${short}`);
        else {
          for (const s of present) changes.push({ kind: 'file', path: path.join(deps.atlas.backupsDir, backupFileName(s.database, '<UTC time>')), note: `emergency backup of ${s.label}, verified (integrity_check, row counts, sha256)` });
          changes.push({ kind: 'space', what: `free space in ${needs.where}`, needBytes: needs.needBytes, freeBytes: needs.freeBytes });
        }
        warnings.push('Then a full integrity_check of both databases (minutes on big files); nothing is repaired or restored by this flow.');
        return {
          summary: `${joined ? `reports into ${joined.id}` : 'declares a P0 incident'}, ${stop ? 'stops the writers, ' : ''}${short ? '' : 'takes a verified backup, '}checks both databases`,
          changes,
          undo: 'Nothing in the data changes; afterwards start the orchestrator again, resolve the incident, and delete the backup files if they are not needed.',
          warnings,
          fingerprint: fingerprintOf(joined?.id ?? null, stop ?? null, present.map((s) => s.file), short === null),
        };
      },
      async apply(args, _plan, deps, actor) {
        const lines: string[] = [];
        let incident = openP0(await deps.state.incidents.open());
        if (!incident) {
          incident = (await declareIncident(deps, { title: EMERGENCY_TITLE, severity: 'P0', actorId: actor.userId })).incident;
          lines.push(`1. Declared ${incident.id} (P0), owned by ${actor.source === 'slack' ? `<@${actor.userId}>` : actor.userId}.`);
        } else lines.push(`1. Joined ${incident.id} (P0).`);

        const stop = deps.config.commands.stopJobs;
        if (stop) {
          const run = await runCommand(stop, { timeoutMs: deps.config.commands.timeoutSeconds * 1000 });
          const left = await orchestratorNow(deps);
          const after = left.unknown ? `whether an orchestrator is left cannot be told (${left.unknown})` : left.processes.length === 0 ? 'no orchestrator process is left' : `STILL RUNNING: ${pidList(left.processes)}`;
          lines.push(`2. Writers: commands.stopJobs ${describeRun(run, deps.config.commands.timeoutSeconds * 1000)}; ${after}.`);
        } else lines.push('2. Writers: commands.stopJobs is not set; stop the orchestrator by hand.');

        try {
          const taken = await takeBackup('all', deps.atlas, {
            reason: args.reason ?? `emergency corruption (${incident.id})`,
            who: { source: actor.source, userId: actor.userId },
            at: deps.clock(),
            freeSpace: tools.freeSpace,
            logger: deps.logger,
          });
          lines.push(`3. Emergency backup, verified: ${taken.files.map((f) => f.file).join(', ')} (\`backups\` lists them).`);
        } catch (err) {
          if (!(err instanceof RemediationRefusal)) throw err;
          lines.push(`3. NO BACKUP: ${err.message}`);
        }

        const verdicts = await integrity(deps.atlas, 'all', 'full');
        const bad = verdicts.filter((v) => v.level === 'crit');
        for (const v of verdicts) lines.push(`4. ${v.label}: ${v.level === 'ok' ? 'ok' : v.level === 'crit' ? 'CORRUPT' : v.level}: ${integrityDetail(v)}`);

        const runbook = RUNBOOKS['data-corruption'];
        lines.push(
          bad.length === 0
            ? 'Next: both checks pass; likely a false alarm. Find what raised it before starting the writers again.'
            : `Next (${runbook.title} runbook): one table bad → sqlite3 .recover into a new file; several → \`backup restore\` the newest backup that passes integrity_check (\`backups\`); every backup bad → rebuild from the snapshot on IPFS.`,
        );
        const e = deps.config.escalation;
        lines.push(`Escalate to ${contact(e.dbExpert, 'database expert')} now, and to ${contact(e.cto, 'CTO')} when ${runbook.escalateWhen}`);
        const verdict = bad.length === 0 ? 'both databases pass integrity_check' : `${bad.map((v) => v.label).join(' and ')} CORRUPT`;
        return { headline: `Emergency corruption flow for ${incident.id}: ${verdict}`, lines, undo: null, incidentId: incident.id };
      },
    },
    (a) => (a.reason ? `--reason ${JSON.stringify(a.reason)}` : ''),
  );
}
