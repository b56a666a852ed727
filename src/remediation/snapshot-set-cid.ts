/**
 * `snapshot set-cid <id> <cid>`: records a snapshot's IPFS CID after a manual upload (the
 * guide's "Snapshot created but CID missing", without its `updated_at`, which does not exist).
 * The CID is parsed and validated (CIDv0 and v1), stored in its canonical text, and refused when
 * another snapshot has it already, in any of its text forms. The preview and the change are
 * shared with `snapshot upload`, which reads the CID from the upload command's output.
 */
import { z } from 'zod';
import type { RemediationDeps } from './remediation-spec.js';
import { remediation } from './remediation-spec.js';
import { setCid, SnapshotsChangedError, writeSnapshots, type SnapshotRecord } from '../db/snapshot-writes.js';
import { DbProblemError } from '../db/sqlite-problem.js';
import { quoteInput } from '../text/quote-input.js';
import { RemediationRefusal, type AppliedRemediation, type PlanChange, type RemediationPlan } from './remediation-plan.js';
import { cidKey, parseCid } from './snapshot-cid.js';
import { currentOf, hasCid, readForPlan, rowOf, snapshotIdProblem } from './snapshot-model.js';

export interface SetCidArgs {
  id: string;
  /** The canonical text of the CID (CIDv0 `Qm…`, CIDv1 base32 `bafy…`). */
  cid: string;
  /** As typed, when that differs from the canonical text. */
  typed: string | null;
}

const setCidArgs = z
  .object({ _: z.array(z.string()) })
  .transform((a, ctx): SetCidArgs => {
    if (a._.length !== 2) {
      ctx.addIssue({ code: 'custom', message: 'takes a snapshot id and a CID' });
      return z.NEVER;
    }
    const [id, typed] = a._ as [string, string];
    const idProblem = snapshotIdProblem(id);
    if (idProblem) {
      ctx.addIssue({ code: 'custom', message: idProblem });
      return z.NEVER;
    }
    const parsed = parseCid(typed);
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: `"${quoteInput(typed, 60)}" is not an IPFS CID (${parsed.reason}); a CID is Qm… (v0) or bafy… (v1)` });
      return z.NEVER;
    }
    return { id, cid: parsed.cid.text, typed: parsed.cid.text === typed ? null : typed };
  });

/** The plan to give snapshot `id` the CID `cid` (canonical), from the rows as they are now. */
export function planSetCid(rows: SnapshotRecord[], fingerprint: string, id: string, cid: string, extra: { changes?: PlanChange[]; warnings?: string[] } = {}): RemediationPlan {
  const target = rowOf(rows, id);
  if (target.ipfsCid === cid) throw new RemediationRefusal(`${id} has the CID ${cid} already; nothing to change.`);
  const key = cidKey(cid);
  const owner = rows.find((r) => r.id !== id && (r.ipfsCid === cid || (key !== null && cidKey(r.ipfsCid) === key)));
  if (owner) {
    throw new RemediationRefusal(`${owner.id} has this CID already${owner.ipfsCid === cid ? '' : ` (as ${owner.ipfsCid})`}, and a CID names one snapshot; check which upload is whose (\`snapshots\`). Nothing was changed.`);
  }
  const warnings = [...(extra.warnings ?? [])];
  const old = target.ipfsCid;
  if (hasCid(target)) warnings.push(`${id} has the CID ${old} now; it is replaced (the undo puts it back).`);
  if (target.archivedAt !== null) warnings.push(`${id} is archived (at ${target.archivedAt}).`);
  const isCurrent = currentOf(rows)?.id === id;
  let undo: string;
  if (!hasCid(target)) undo = `none needed: ${id} had no CID (ipfs_cid ''); a wrong CID is corrected with \`snapshot set-cid ${id} <cid>\``;
  else if (parseCid(old).ok) undo = `snapshot set-cid ${id} ${old}`;
  else undo = `none by command: the old value "${old}" is no CID, so \`snapshot set-cid\` cannot put it back (the audit log keeps it)`;
  return {
    summary: `${id}${isCurrent ? ' (the current snapshot)' : ''} gets the IPFS CID ${cid}`,
    changes: [...(extra.changes ?? []), { kind: 'row', what: `snapshots ${id} (created ${target.createdAt ?? 'NULL'})`, before: { ipfs_cid: old }, after: { ipfs_cid: cid } }],
    undo,
    warnings,
    fingerprint,
  };
}

/** Writes the CID in one immediate transaction if the rows are still those the plan read. */
export async function applySetCid(deps: RemediationDeps, plan: RemediationPlan, id: string, cid: string, again: string): Promise<AppliedRemediation> {
  let written: { before: string; current: boolean };
  try {
    written = await writeSnapshots(deps.atlas.persistence, plan.fingerprint, (db, rows) => {
      const before = rowOf(rows, id).ipfsCid;
      setCid(db, { id, before, cid });
      return { before, current: currentOf(rows)?.id === id };
    });
  } catch (err) {
    if (err instanceof SnapshotsChangedError) throw new RemediationRefusal(`The snapshots changed since the preview, so nothing was changed; run \`${again}\` again for a new preview.`);
    if (err instanceof DbProblemError) throw new RemediationRefusal(err.problem.message);
    throw err;
  }
  const { before, current } = written;
  return {
    headline: `${id} has the IPFS CID ${cid}`,
    lines: [`ipfs_cid: ${before === '' ? "''" : before} → ${cid}`, ...(current ? ['It is the current snapshot: check that proofs fetch it with `health` (IPFS retrieval).'] : [])],
    undo: plan.undo,
  };
}

export const snapshotSetCid = remediation<SetCidArgs>(
  {
    name: 'snapshot set-cid',
    ifInterrupted: '`snapshots` (the snapshot\'s CID)',
    summary: "Record a snapshot's IPFS CID after a manual upload (CIDv0 or v1, unique)",
    usage: '<snapshot id> <cid>',
    args: setCidArgs,
    async plan(args, deps) {
      const { rows, fingerprint } = readForPlan(deps);
      const warnings = args.typed ? [`Stored as ${args.cid}, the canonical text of the CID typed as ${quoteInput(args.typed, 80)}.`] : [];
      return planSetCid(rows, fingerprint, args.id, args.cid, { warnings });
    },
    async apply(args, plan, deps) {
      return applySetCid(deps, plan, args.id, args.cid, `snapshot set-cid ${args.id} ${args.cid}`);
    },
  },
  (a) => `${a.id} ${a.cid}`,
);
