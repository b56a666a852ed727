/**
 * `snapshot upload [<id>]`: the guide's "IPFS upload failed" fix. The preview runs nothing: it
 * reads the snapshots and shows the command that Confirm will run (an argument array,
 * `{snapshotId}` one argument, no shell, bounded in time and output) and the row it will change
 * (`ipfs_cid` '' → the CID the upload prints, which only the upload can tell). Confirm re-reads
 * the rows, runs the upload once, reads the one CID it printed, and records it exactly as
 * `snapshot set-cid` does (the same uniqueness checks, in the same immediate transaction); an
 * upload that fails or prints no CID, or a CID another snapshot has, records nothing and says so.
 */
import { z } from 'zod';
import type { RemediationDeps } from './remediation-spec.js';
import { remediation, type RemediationEntry } from './remediation-spec.js';
import type { SnapshotRecord } from '../db/snapshot-writes.js';
import { argumentValueProblem, describeRun, fillPlaceholders, outputTail, runCommand } from './external-command.js';
import { fingerprintOf, RemediationRefusal, type AppliedRemediation, type RemediationPlan } from './remediation-plan.js';
import { parseCid } from './snapshot-cid.js';
import { describeRow, hasCid, newestFirst, readForPlan, rowOf, snapshotIdWord } from './snapshot-model.js';
import { applySetCid, planSetCid } from './snapshot-set-cid.js';
import { quoteInput } from '../text/quote-input.js';

export interface UploadArgs {
  /** null: the newest snapshot without a CID. */
  id: string | null;
}

const uploadArgs = z
  .object({ _: z.array(snapshotIdWord).max(1, { message: 'takes at most one snapshot id' }) })
  .transform((a): UploadArgs => ({ id: a._[0] ?? null }));

const UPLOAD_EXAMPLE = '["npx", "tsx", "scripts/upload-snapshot.ts", "{snapshotId}"]';

/** What the preview shows in place of the CID only the upload can tell. */
const CID_TO_COME = '<the CID the upload prints>';

/** Words in an output that could be CIDs: base-x runs long enough to be one. */
const CANDIDATE = /[A-Za-z0-9]{46,}/g;

/** The one CID an upload printed, or why there is none (a phrase). */
export function cidFromOutput(output: string): { ok: true; cid: string } | { ok: false; reason: string } {
  const found = new Map<string, string>();
  for (const word of output.match(CANDIDATE) ?? []) {
    const parsed = parseCid(word);
    if (parsed.ok && !found.has(parsed.cid.key)) found.set(parsed.cid.key, parsed.cid.text);
  }
  const cids = [...found.values()];
  if (cids.length === 0) return { ok: false, reason: 'its output has no IPFS CID' };
  if (cids.length > 1) return { ok: false, reason: `its output has ${cids.length} different CIDs (${cids.slice(0, 3).join(', ')}), so which one is the snapshot's is unclear` };
  return { ok: true, cid: cids[0]! };
}

/**
 * The snapshot to upload: the one named, or the newest without a CID that is not archived.
 * Its id comes from persistence.db either way and goes into a command: it must pass the one
 * rule for values in commands (a row whose id starts with "-" is refused, never run).
 */
function targetOf(rows: SnapshotRecord[], id: string | null): SnapshotRecord {
  const target = id !== null ? rowOf(rows, id) : newestFirst(rows).find((r) => !hasCid(r) && r.archivedAt === null);
  if (!target) throw new RemediationRefusal('Every snapshot that is not archived has an IPFS CID; name the one to upload again: `snapshot upload <id>`. Nothing was run.');
  const problem = argumentValueProblem(target.id);
  if (problem) {
    throw new RemediationRefusal(`The snapshot id "${quoteInput(target.id, 60)}" read from persistence.db cannot be passed to commands.uploadSnapshot (${problem}); fix the row by hand, or upload it yourself and record the CID with \`snapshot set-cid\`. Nothing was run.`);
  }
  return target;
}

function uploadArgv(deps: RemediationDeps): string[] {
  const argv = deps.config.commands.uploadSnapshot;
  if (!argv) {
    throw new RemediationRefusal(`\`snapshot upload\` runs commands.uploadSnapshot, which is not set; set it in the config file to the argument array that uploads a snapshot and prints its CID, e.g. ${UPLOAD_EXAMPLE}. Nothing was run.`);
  }
  return argv;
}

const again = (args: UploadArgs) => `snapshot upload${args.id ? ` ${args.id}` : ''}`;

const entry = remediation<UploadArgs>(
  {
    name: 'snapshot upload',
    ifInterrupted: '`snapshots` (was a CID recorded?) and the IPFS pinning service (did the upload finish? its CID can be recorded with `snapshot set-cid`)',
    // The upload may take up to commands.timeoutSeconds: Slack is told it is running first.
    slow: true,
    summary: 'Run commands.uploadSnapshot for a snapshot without a CID (on Confirm), then record the CID it printed',
    usage: '[<snapshot id>]',
    args: uploadArgs,
    async plan(args, deps) {
      const argv = uploadArgv(deps);
      const { rows, fingerprint } = readForPlan(deps);
      const target = targetOf(rows, args.id);
      const timeout = deps.config.commands.timeoutSeconds;
      const filled = fillPlaceholders(argv, { snapshotId: target.id });
      const warnings = [
        `The CID is not known before the upload runs: Confirm runs the command, then records the one CID it prints, refusing (and recording nothing) when it fails, prints none or several, or prints a CID another snapshot has.`,
        ...(hasCid(target) ? [`${target.id} has the CID ${target.ipfsCid} now; a new CID replaces it.`] : []),
      ];
      return {
        summary: `runs commands.uploadSnapshot for ${target.id} (${describeRow(target)}), then records the CID it prints`,
        changes: [
          { kind: 'command', argv: filled, note: `on Confirm, once; no shell, {snapshotId} one argument, bound ${timeout} s` },
          { kind: 'row', what: `snapshots ${target.id} (created ${target.createdAt ?? 'NULL'})`, before: { ipfs_cid: target.ipfsCid }, after: { ipfs_cid: CID_TO_COME } },
        ],
        undo: hasCid(target) && parseCid(target.ipfsCid).ok ? `snapshot set-cid ${target.id} ${target.ipfsCid}` : `none needed: ${target.id} had no CID; a wrong CID is corrected with \`snapshot set-cid ${target.id} <cid>\``,
        warnings,
        fingerprint: fingerprintOf(fingerprint, target.id, argv, timeout),
      };
    },
    async apply(args, plan, deps): Promise<AppliedRemediation> {
      const argv = deps.config.commands.uploadSnapshot;
      if (!argv) throw new RemediationRefusal('commands.uploadSnapshot is no longer set; nothing was run.');
      const timeout = deps.config.commands.timeoutSeconds;
      const { rows, fingerprint } = readForPlan(deps);
      const target = targetOf(rows, args.id);
      if (fingerprintOf(fingerprint, target.id, argv, timeout) !== plan.fingerprint) {
        throw new RemediationRefusal(`The snapshots changed since the preview, so nothing was run; run \`${again(args)}\` again.`);
      }
      const timeoutMs = timeout * 1000;
      const run = await runCommand(argv, { timeoutMs, placeholders: { snapshotId: target.id } });
      const tail = outputTail(run.output, 10, 1200);
      const shown = tail ? ` Its output ended with:\n${tail}` : '';
      if (run.spawnError || run.timedOut || run.exitCode !== 0) {
        throw new RemediationRefusal(`The upload of ${target.id} failed: commands.uploadSnapshot ${describeRun(run, timeoutMs)}; nothing was recorded.${shown}`);
      }
      const read = cidFromOutput(run.output);
      if (!read.ok) throw new RemediationRefusal(`The upload of ${target.id} ended well but ${read.reason}; record the CID with \`snapshot set-cid ${target.id} <cid>\`. Nothing was recorded.${shown}`);
      // The CID checks of set-cid (already this one, another snapshot's), against the rows read above;
      // the write re-checks the rows under its own transaction.
      let recorded: RemediationPlan;
      try {
        recorded = planSetCid(rows, fingerprint, target.id, read.cid);
      } catch (err) {
        if (err instanceof RemediationRefusal) throw new RemediationRefusal(`The upload of ${target.id} ran (${describeRun(run, timeoutMs)}) and printed ${read.cid}, which was not recorded: ${err.message}`);
        throw err;
      }
      const applied = await applySetCid(deps, recorded, target.id, read.cid, again(args));
      return { ...applied, lines: [`ran ${JSON.stringify(run.argv)}: ${describeRun(run, timeoutMs)}`, ...applied.lines] };
    },
  },
  (a) => a.id ?? '',
);

export const snapshotUpload: RemediationEntry = entry;
