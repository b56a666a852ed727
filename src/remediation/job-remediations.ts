/**
 * `job cancel`, `job mark-partial`, `job resume`: the orchestrator's lifecycle rules (cancel only
 * from running or pending, resume only from partial or failed, a cancelled job is never resumed)
 * applied to both places a job lives, `jobs/<id>.json` and the persistence.db row. Each plan
 * reads both whole; each apply re-reads them and refuses unless they are still what was shown.
 */
import type { JobStatus } from '../db/job-file.js';
import type { RemediationDeps } from './remediation-spec.js';
import { remediation, type RemediationEntry } from './remediation-spec.js';
import { JobChangedError, rewriteJobFileStatus, updateJobRowStatus } from '../db/job-writes.js';
import { DbProblemError } from '../db/sqlite-problem.js';
import { formatDuration } from '../time/atlas-time.js';
import { argumentValueProblem, describeRun, fillPlaceholders, outputTail, runCommand } from './external-command.js';
import { quoteInput } from '../text/quote-input.js';
import { jobArgs, jobFingerprintParts, jobStatusOf, lastUpdateOf, readJob, scopeOf, shownJob, type JobArgs, type JobRead } from './job-source.js';
import { findOrchestratorProcesses, type OrchestratorProcess } from './orchestrator-process.js';
import { fingerprintOf, RemediationRefusal, type AppliedRemediation, type PlanChange, type RemediationPlan } from './remediation-plan.js';

/** What the orchestrator check found, for the plan, its fingerprint and its refusals. */
export async function orchestratorNow(deps: RemediationDeps): Promise<{ processes: OrchestratorProcess[]; unknown: string | null }> {
  const status = await findOrchestratorProcesses(deps.config.commands.orchestratorProcess);
  if (status.kind === 'unknown') return { processes: [], unknown: status.reason };
  return { processes: status.kind === 'alive' ? status.processes : [], unknown: null };
}

/** A command line as people read it: the program by its name (its install path says nothing), then its arguments, cut at 80. */
const shortCommandLine = (commandLine: string) => commandLine.replace(/^\S*\//, '').slice(0, 80);

export const pidList = (ps: readonly OrchestratorProcess[]) =>
  ps
    .slice(0, 3)
    .map((p) => `pid ${p.pid}: ${shortCommandLine(p.commandLine)}`)
    .join('; ') + (ps.length > 3 ? `; and ${ps.length - 3} more` : '');

/** The sources a status change touches: those whose status allows it. */
interface Targets {
  file: boolean;
  row: boolean;
}

function targetsFor(r: JobRead, from: readonly JobStatus[]): Targets {
  return { file: r.job !== null && from.includes(r.job.status), row: r.row !== null && from.includes(r.row.status as JobStatus) };
}

function statusChanges(r: JobRead, t: Targets, to: JobStatus, now: Date): PlanChange[] {
  const changes: PlanChange[] = [];
  if (t.file && r.job) {
    changes.push({ kind: 'file', path: `jobs/${r.id}.json`, note: `status ${r.job.status} → ${to}, updatedAt ${r.job.updatedAt} → ${now.toISOString()}; every other field kept; temp file, fsync, rename` });
  }
  if (t.row && r.row) {
    const before: Record<string, unknown> = { status: r.row.status };
    const after: Record<string, unknown> = { status: to };
    if ('updated_at' in r.row) {
      before.updated_at = r.row.updated_at;
      after.updated_at = now.toISOString();
    }
    changes.push({ kind: 'row', what: `persistence.db jobs ${r.id}`, before, after });
  }
  return changes;
}

/** Sources left as they are because their status does not allow the change. */
function untouched(r: JobRead, t: Targets): string[] {
  const out: string[] = [];
  if (r.job && !t.file) out.push(`jobs/${r.id}.json says ${r.job.status}; it is left as it is.`);
  if (r.row && !t.row) out.push(`The jobs table says ${r.row.status}; that row is left as it is.`);
  if (r.tableProblem) out.push(`The jobs table was not read (${r.tableProblem}); only the file changes.`);
  return out;
}

/** Apply-time: the sources read again must be what the plan read (its fingerprint), else nothing is written. */
async function rereadUnchanged(deps: RemediationDeps, id: string, plan: RemediationPlan, extra: (r: JobRead) => Promise<unknown>): Promise<JobRead> {
  const r = await readJob(deps, id);
  if (fingerprintOf(jobFingerprintParts(r), await extra(r)) !== plan.fingerprint) {
    throw new RemediationRefusal(`Job ${id} changed since the preview, so nothing was changed; run the subcommand again for a new preview.`);
  }
  return r;
}

/** Writes the status to the targeted sources: the file first (what the orchestrator reads), then the row. */
async function writeStatus(deps: RemediationDeps, r: JobRead, t: Targets, to: JobStatus, now: Date): Promise<string[]> {
  const done: string[] = [];
  const updatedAt = now.toISOString();
  try {
    if (t.file && r.file.kind === 'file') {
      await rewriteJobFileStatus(deps.atlas.jobsDir, r.id, r.file.text, to, updatedAt);
      done.push(`jobs/${r.id}.json: ${r.job?.status} → ${to}`);
    }
    if (t.row && r.row) {
      await updateJobRowStatus(deps.atlas.persistence, r.row, to, updatedAt);
      done.push(`persistence.db jobs: ${r.row.status} → ${to}`);
    }
  } catch (err) {
    const why = err instanceof JobChangedError ? `${err.message} (the orchestrator wrote meanwhile?)` : err instanceof DbProblemError ? err.problem.message : null;
    if (why === null) throw err;
    const already = done.length > 0 ? ` Already changed: ${done.join('; ')}.` : ' Nothing was changed.';
    throw new RemediationRefusal(`Job ${r.id} was not ${to === 'cancelled' ? 'cancelled' : `marked ${to}`}: ${why}.${already}`);
  }
  return done;
}

const CANCEL_FROM: readonly JobStatus[] = ['running', 'pending'];
const PARTIAL_FROM: readonly JobStatus[] = ['running'];
const RESUME_FROM: readonly JobStatus[] = ['partial', 'failed'];

const jobCancel = remediation<JobArgs>(
  {
    name: 'job cancel',
    ifInterrupted: '`jobs` (the job\'s status in jobs/<id>.json and in persistence.db; the file is written first)',
    summary: 'Cancel a running or pending job (its jobs/ file and jobs row)',
    usage: '<job-id>',
    args: jobArgs(false),
    async plan({ id }, deps) {
      const r = await readJob(deps, id);
      const t = targetsFor(r, CANCEL_FROM);
      if (!t.file && !t.row) {
        const status = jobStatusOf(r);
        throw new RemediationRefusal(`Job ${id} is ${status}; \`job cancel\` takes only a running or pending job${status === 'cancelled' ? ' (it is cancelled already)' : ''}. Nothing was changed.`);
      }
      const now = deps.clock();
      const orchestrator = await orchestratorNow(deps);
      const warnings = [
        ...untouched(r, t),
        'Cancelling is cooperative: tasks already in flight finish, no new ones start.',
        ...(orchestrator.processes.length > 0 ? [`The orchestrator is running (${pidList(orchestrator.processes)}).`] : []),
      ];
      return {
        summary: `job ${id} → cancelled`,
        changes: statusChanges(r, t, 'cancelled', now),
        undo: `None: a cancelled job is never resumed (the orchestrator's rule). To redo the work, start a new job for ${scopeOf(r)}.`,
        warnings,
        fingerprint: fingerprintOf(jobFingerprintParts(r), null),
      };
    },
    async apply({ id }, plan, deps): Promise<AppliedRemediation> {
      const r = await rereadUnchanged(deps, id, plan, async () => null);
      const done = await writeStatus(deps, r, targetsFor(r, CANCEL_FROM), 'cancelled', deps.clock());
      return { headline: `Job ${id} cancelled`, lines: done, undo: plan.undo };
    },
  },
  shownJob,
);

/** What mark-partial read besides the job: who runs, and the threshold. */
async function partialContext(deps: RemediationDeps, force: boolean) {
  const orchestrator = await orchestratorNow(deps);
  return { pids: orchestrator.processes.map((p) => p.pid), unknown: orchestrator.unknown, force, stuckHours: deps.config.thresholds.stuckJobHours, orchestrator };
}

const jobMarkPartial = remediation<JobArgs>(
  {
    name: 'job mark-partial',
    ifInterrupted: '`jobs` (the job\'s status in jobs/<id>.json and in persistence.db; the file is written first)',
    summary: "The guide's stuck-job fix: a silent running job with no orchestrator alive → partial, so it can be resumed",
    usage: '<job-id> [--force]',
    options: { force: { type: 'boolean' } },
    args: jobArgs(true),
    async plan({ id, force }, deps) {
      const r = await readJob(deps, id);
      const t = targetsFor(r, PARTIAL_FROM);
      const status = jobStatusOf(r);
      if (!t.file && !t.row) throw new RemediationRefusal(`Job ${id} is ${status}; \`job mark-partial\` takes only a running job. Nothing was changed.`);
      const ctx = await partialContext(deps, force);
      if (ctx.unknown) throw new RemediationRefusal(`Whether the orchestrator runs cannot be told (${ctx.unknown}), so job ${id} is left as it is; check by hand. Nothing was changed.`);
      if (ctx.orchestrator.processes.length > 0) {
        throw new RemediationRefusal(`The orchestrator is alive (${pidList(ctx.orchestrator.processes)}), so job ${id} may still be running; stop it first (\`stop-jobs\`) or wait. Nothing was changed.`);
      }
      const now = deps.clock();
      const last = lastUpdateOf(r);
      const silentMs = last.at ? now.getTime() - last.at.getTime() : null;
      const stuckMs = ctx.stuckHours * 3_600_000;
      const warnings = untouched(r, t);
      if (silentMs === null || silentMs < stuckMs) {
        const since = silentMs === null ? 'has no readable update time' : `was updated ${formatDuration(Math.max(0, silentMs))} ago`;
        if (!force) {
          throw new RemediationRefusal(`Job ${id} ${since}; stuck means no update for ${ctx.stuckHours} h (thresholds.stuckJobHours). Add --force if you are sure nothing runs it. Nothing was changed.`);
        }
        warnings.push(`--force: job ${id} ${since}, under the ${ctx.stuckHours} h stuck threshold.`);
      }
      if (r.job?.notConfiguredTasks && r.job.notConfiguredTasks.length > 0) {
        warnings.push(`It has ${r.job.notConfiguredTasks.length} not-configured task(s): a resume retries them and may end 'running' again.`);
      }
      return {
        summary: `job ${id} running → partial (no orchestrator process, ${silentMs === null ? 'no readable update' : `silent ${formatDuration(Math.max(0, silentMs))}`})`,
        changes: statusChanges(r, t, 'partial', now),
        undo: `\`job resume ${id}\` continues it from its completed tasks; nothing puts 'running' back without the orchestrator (it was running, updatedAt ${last.text ?? 'unknown'}).`,
        warnings,
        fingerprint: fingerprintOf(jobFingerprintParts(r), { pids: ctx.pids, force, stuckHours: ctx.stuckHours }),
      };
    },
    async apply({ id, force }, plan, deps): Promise<AppliedRemediation> {
      const r = await rereadUnchanged(deps, id, plan, async () => {
        const ctx = await partialContext(deps, force);
        return { pids: ctx.pids, force, stuckHours: ctx.stuckHours };
      });
      const done = await writeStatus(deps, r, targetsFor(r, PARTIAL_FROM), 'partial', deps.clock());
      return { headline: `Job ${id} marked partial`, lines: [...done, `Next: \`job resume ${id}\`.`], undo: plan.undo };
    },
  },
  shownJob,
);

const RESUME_EXAMPLE = '["npx", "tsx", "scripts/resume-job.ts", "{jobId}"]';

const jobResume = remediation<JobArgs>(
  {
    name: 'job resume',
    ifInterrupted: '`jobs` (is the job running again?) and the orchestrator\'s process and log (commands.resumeJob may have run on)',
    summary: 'Resume a partial or failed job with the configured commands.resumeJob',
    usage: '<job-id>',
    args: jobArgs(false),
    async plan({ id }, deps) {
      const argv = deps.config.commands.resumeJob;
      if (!argv) throw new RemediationRefusal(`\`job resume\` runs commands.resumeJob, which is not set; set it in the config file to the argument array that resumes a job, e.g. ${RESUME_EXAMPLE}. Nothing was run.`);
      const r = await readJob(deps, id);
      const status = jobStatusOf(r);
      if (!RESUME_FROM.includes(status)) {
        const why = status === 'cancelled' ? ' (a cancelled job is never resumed; start a new one)' : status === 'running' ? ' (if it is stuck, `job mark-partial` first)' : '';
        throw new RemediationRefusal(`Job ${id} is ${status}; \`job resume\` takes only a partial or failed job${why}. Nothing was run.`);
      }
      const orchestrator = await orchestratorNow(deps);
      const timeout = deps.config.commands.timeoutSeconds;
      // The one rule for values in commands (a job id is validated as typed; this is the same check the run makes).
      const problem = argumentValueProblem(id);
      if (problem) throw new RemediationRefusal(`The job id "${quoteInput(id, 60)}" cannot be passed to commands.resumeJob (${problem}). Nothing was run.`);
      const filled = fillPlaceholders(argv, { jobId: id });
      const warnings = [`The command is killed (with its process group) after ${timeout} s (commands.timeoutSeconds): it should start the resume and return.`];
      if (orchestrator.processes.length > 0) warnings.push(`An orchestrator is already running (${pidList(orchestrator.processes)}).`);
      return {
        summary: `runs commands.resumeJob for job ${id} (${status})`,
        changes: [{ kind: 'command', argv: filled, note: `no shell; {jobId} is one argument; bound ${timeout} s` }],
        undo: `\`job cancel ${id}\` while it runs (a cancelled job is never resumed).`,
        warnings,
        fingerprint: fingerprintOf(jobFingerprintParts(r), { argv, timeout }),
      };
    },
    async apply({ id }, plan, deps): Promise<AppliedRemediation> {
      const argv = deps.config.commands.resumeJob;
      if (!argv) throw new RemediationRefusal('commands.resumeJob is no longer set; nothing was run.');
      const timeout = deps.config.commands.timeoutSeconds;
      await rereadUnchanged(deps, id, plan, async () => ({ argv, timeout }));
      const run = await runCommand(argv, { timeoutMs: timeout * 1000, placeholders: { jobId: id } });
      const ok = run.exitCode === 0;
      const tail = outputTail(run.output, 10, 1200);
      return {
        headline: `job resume ${id}: ${ok ? 'the resume command succeeded' : 'the resume command failed'} (${describeRun(run, timeout * 1000)})`,
        lines: [`ran ${JSON.stringify(run.argv)}`, ...(tail ? [`output (last lines${run.droppedBytes > 0 ? `, ${run.droppedBytes} bytes before cut` : ''}):`, ...tail.split('\n')] : ['no output'])],
        undo: plan.undo,
      };
    },
  },
  shownJob,
);

export const jobRemediations: readonly RemediationEntry[] = [jobCancel, jobMarkPartial, jobResume];
