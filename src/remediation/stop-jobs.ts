/**
 * `stop-jobs`: the guide's "stop all writes" before a backup, a restore or a corruption check:
 * runs the configured `commands.stopJobs`, then confirms from the process table that no
 * orchestrator process is left (waiting a few seconds for them to exit).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { noArguments } from './remediation-spec.js';
import { remediation, type RemediationEntry } from './remediation-spec.js';
import { describeRun, outputTail, runCommand } from './external-command.js';
import { orchestratorNow, pidList } from './job-remediations.js';
import { fingerprintOf, RemediationRefusal, type AppliedRemediation } from './remediation-plan.js';

/** After the command, how long the orchestrator may take to exit before "still running" is said. */
export const STOP_SETTLE_MS = 5000;
const POLL_MS = 250;

const STOP_EXAMPLE = '["systemctl", "stop", "shadow-atlas-orchestrator"]';

const stopJobs = remediation<Record<string, never>>(
  {
    name: 'stop-jobs',
    ifInterrupted: '`jobs` and the process table (is the orchestrator still running?)',
    summary: "The guide's \"stop all writes\": runs commands.stopJobs, then checks no orchestrator is left",
    usage: '',
    args: z.object({ _: noArguments, yes: z.boolean().optional() }).transform((a) => (a.yes ? { yes: true } : {}) as Record<string, never>),
    async plan(_args, deps) {
      const argv = deps.config.commands.stopJobs;
      if (!argv) throw new RemediationRefusal(`\`stop-jobs\` runs commands.stopJobs, which is not set; set it in the config file to the argument array that stops the orchestrator, e.g. ${STOP_EXAMPLE}. Nothing was run.`);
      const timeout = deps.config.commands.timeoutSeconds;
      const orchestrator = await orchestratorNow(deps);
      const pattern = deps.config.commands.orchestratorProcess;
      const warnings: string[] = [];
      if (orchestrator.unknown) warnings.push(`Whether the orchestrator runs cannot be told (${orchestrator.unknown}); the result will not confirm it stopped.`);
      else if (orchestrator.processes.length === 0) warnings.push(`No process matching "${pattern}" runs now.`);
      else warnings.push(`Running now: ${pidList(orchestrator.processes)}.`);
      warnings.push('Running jobs stop where they are; tasks in flight may end as failures. `jobs` lists them afterwards; `job mark-partial` and `job resume` continue them.');
      return {
        summary: `runs commands.stopJobs, then checks no "${pattern}" process is left`,
        changes: [{ kind: 'command', argv: [...argv], note: `no shell; bound ${timeout} s, then its process group is killed` }],
        undo: 'Start the orchestrator again the way you normally do; `job resume <id>` continues partial or failed jobs.',
        warnings,
        fingerprint: fingerprintOf({ argv, timeout, pattern, pids: orchestrator.processes.map((p) => p.pid), unknown: orchestrator.unknown }),
      };
    },
    async apply(_args, plan, deps): Promise<AppliedRemediation> {
      const argv = deps.config.commands.stopJobs;
      if (!argv) throw new RemediationRefusal('commands.stopJobs is no longer set; nothing was run.');
      const timeoutMs = deps.config.commands.timeoutSeconds * 1000;
      const run = await runCommand(argv, { timeoutMs });
      let left = await orchestratorNow(deps);
      const until = performance.now() + STOP_SETTLE_MS;
      while (!left.unknown && left.processes.length > 0 && performance.now() < until) {
        await sleep(POLL_MS);
        left = await orchestratorNow(deps);
      }
      const stopped = !left.unknown && left.processes.length === 0;
      const verdict = left.unknown
        ? `whether an orchestrator is left cannot be told (${left.unknown})`
        : stopped
          ? 'no orchestrator process is left'
          : `⚠️ still running: ${pidList(left.processes)}`;
      const tail = outputTail(run.output, 10, 1200);
      return {
        headline: `stop-jobs: ${run.exitCode === 0 ? 'the stop command succeeded' : 'the stop command failed'} (${describeRun(run, timeoutMs)}); ${verdict}`,
        lines: [`ran ${JSON.stringify(run.argv)}`, ...(tail ? ['output (last lines):', ...tail.split('\n')] : ['no output'])],
        undo: plan.undo,
      };
    },
  },
  () => '',
);

export const stopJobsRemediations: readonly RemediationEntry[] = [stopJobs];
