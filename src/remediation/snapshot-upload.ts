/**
 * `snapshot upload [<id>]`: the guide's "IPFS upload failed" fix. Runs the configured
 * `commands.uploadSnapshot` for the snapshot (an argument array, `{snapshotId}` one argument, no
 * shell, bounded in time and output), reads the CID from what it printed, and previews recording
 * it exactly as `snapshot set-cid` does; Confirm writes the CID that was previewed.
 *
 * The upload runs when the command is typed (that is what was asked for; it changes nothing in
 * persistence.db). Its CID is kept in this process for the confirmation window, so the re-plan
 * at Confirm does not upload again; the plan's fingerprint covers the rows and the CID, so a
 * different CID at Confirm (an upload run again elsewhere) is a changed plan, never applied unseen.
 */
import { z } from 'zod';
import type { RemediationDeps } from './remediation-spec.js';
import { CONFIRM_MINUTES, remediation, type RemediationEntry } from './remediation-spec.js';
import type { SnapshotRecord } from '../db/snapshot-writes.js';
import { describeRun, outputTail, runCommand, type CommandRun } from './external-command.js';
import { fingerprintOf, RemediationRefusal } from './remediation-plan.js';
import { parseCid } from './snapshot-cid.js';
import { hasCid, newestFirst, readForPlan, rowOf, snapshotIdWord } from './snapshot-model.js';
import { applySetCid, planSetCid } from './snapshot-set-cid.js';

export interface UploadArgs {
  /** null: the newest snapshot without a CID. */
  id: string | null;
}

const uploadArgs = z
  .object({ _: z.array(snapshotIdWord).max(1, { message: 'takes at most one snapshot id' }) })
  .transform((a): UploadArgs => ({ id: a._[0] ?? null }));

const UPLOAD_EXAMPLE = '["npx", "tsx", "scripts/upload-snapshot.ts", "{snapshotId}"]';

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

/** Uploads of this process, by snapshot, command and rows, for the confirmation window. */
const recent = new Map<string, { cid: string; run: CommandRun; at: number }>();

function uploadKey(id: string, argv: readonly string[], rowsFingerprint: string): string {
  return fingerprintOf(id, argv, rowsFingerprint);
}

function targetOf(rows: SnapshotRecord[], id: string | null): SnapshotRecord {
  if (id !== null) return rowOf(rows, id);
  const missing = newestFirst(rows).find((r) => !hasCid(r) && r.archivedAt === null);
  if (!missing) throw new RemediationRefusal('Every snapshot that is not archived has an IPFS CID; name the one to upload again: `snapshot upload <id>`. Nothing was run.');
  return missing;
}

/** Runs the upload (or takes this process's recent one) and reads its CID; a refusal when it failed. */
async function upload(deps: RemediationDeps, id: string, rowsFingerprint: string): Promise<{ cid: string; run: CommandRun; reused: boolean }> {
  const argv = deps.config.commands.uploadSnapshot;
  if (!argv) {
    throw new RemediationRefusal(`\`snapshot upload\` runs commands.uploadSnapshot, which is not set; set it in the config file to the argument array that uploads a snapshot and prints its CID, e.g. ${UPLOAD_EXAMPLE}. Nothing was run.`);
  }
  const key = uploadKey(id, argv, rowsFingerprint);
  const now = Date.now();
  for (const [k, v] of recent) if (now - v.at > CONFIRM_MINUTES * 60_000) recent.delete(k);
  const kept = recent.get(key);
  if (kept) return { cid: kept.cid, run: kept.run, reused: true };
  const timeoutMs = deps.config.commands.timeoutSeconds * 1000;
  const run = await runCommand(argv, { timeoutMs, placeholders: { snapshotId: id } });
  const tail = outputTail(run.output, 10, 1200);
  const shown = tail ? ` Its output ended with:\n${tail}` : '';
  if (run.spawnError || run.timedOut || run.exitCode !== 0) {
    throw new RemediationRefusal(`The upload of ${id} failed: commands.uploadSnapshot ${describeRun(run, timeoutMs)}; nothing was recorded.${shown}`);
  }
  const read = cidFromOutput(run.output);
  if (!read.ok) throw new RemediationRefusal(`The upload of ${id} ended well but ${read.reason}; record the CID with \`snapshot set-cid ${id} <cid>\`. Nothing was recorded.${shown}`);
  recent.set(key, { cid: read.cid, run, at: now });
  return { cid: read.cid, run, reused: false };
}

/** The CID a plan previewed (its row's after). */
function previewedCid(plan: { changes: readonly { kind: string; after?: Record<string, unknown> | null }[] }): string | null {
  const row = plan.changes.find((c) => c.kind === 'row');
  const cid = row?.after?.ipfs_cid;
  return typeof cid === 'string' ? cid : null;
}

const entry = remediation<UploadArgs>(
  {
    name: 'snapshot upload',
    // The upload may take up to commands.timeoutSeconds: Slack is told it is running first.
    slow: true,
    summary: 'Run commands.uploadSnapshot for a snapshot without a CID, then record the CID it printed',
    usage: '[<snapshot id>]',
    args: uploadArgs,
    async plan(args, deps) {
      const { rows, fingerprint } = readForPlan(deps);
      const target = targetOf(rows, args.id);
      const timeout = deps.config.commands.timeoutSeconds;
      const done = await upload(deps, target.id, fingerprint);
      const plan = planSetCid(rows, fingerprint, target.id, done.cid, {
        changes: [
          {
            kind: 'command',
            argv: done.run.argv,
            note: `ran already${done.reused ? ' (this preview reuses the upload of a few minutes ago)' : ''}: ${describeRun(done.run, timeout * 1000)}; no shell, {snapshotId} one argument, bound ${timeout} s`,
          },
        ],
      });
      // The CID is part of what was shown: a different one at Confirm is a new plan.
      return { ...plan, fingerprint: fingerprintOf(fingerprint, done.cid) };
    },
    async apply(args, plan, deps) {
      const cid = previewedCid(plan);
      const { rows, fingerprint } = readForPlan(deps);
      const id = targetOf(rows, args.id).id;
      if (cid === null || fingerprintOf(fingerprint, cid) !== plan.fingerprint) {
        throw new RemediationRefusal(`The snapshots changed since the preview, so nothing was recorded; run \`snapshot upload${args.id ? ` ${args.id}` : ''}\` again.`);
      }
      return applySetCid(deps, { ...plan, fingerprint }, id, cid, `snapshot upload${args.id ? ` ${args.id}` : ''}`);
    },
  },
  (a) => a.id ?? '',
);

export const snapshotUpload: RemediationEntry = entry;

/** For tests: forget this process's recent uploads. */
export function forgetRecentUploads(): void {
  recent.clear();
}
