/**
 * `snapshot rollback [<id>]`: makes the previous snapshot (or the given one) current, the
 * guide's rollback done right: both rows previewed, a target without an IPFS CID refused, a
 * backup of persistence.db first, and the two `deprecated_at` changes in one immediate
 * transaction, in the service's own timestamp format (ISO-8601 with milliseconds; the guide's
 * rollback.sh wrote `datetime('now')`, a format the service does not write there).
 */
import path from 'node:path';
import { z } from 'zod';
import type { RemediationDeps } from './remediation-spec.js';
import { remediation } from './remediation-spec.js';
import { SnapshotsChangedError, snapshotRowsIn, swapDeprecated, writeSnapshots, type SnapshotRecord } from '../db/snapshot-writes.js';
import { DbProblemError } from '../db/sqlite-problem.js';
import { RemediationRefusal, type PlanChange, type RemediationPlan } from './remediation-plan.js';
import { backupFileName } from '../db/backup-names.js';
import { statfsFreeSpace, takeBackup } from './backup-take.js';
import { backupSpace } from './snapshot-backup.js';
import { parseCid } from './snapshot-cid.js';
import { currentOf, describeRow, hasCid, newestFirst, readForPlan, rowOf, snapshotIdWord } from './snapshot-model.js';

export interface RollbackArgs {
  /** The snapshot to make current; null: the one before the current one. */
  target: string | null;
}

const rollbackArgs = z
  .object({ _: z.array(snapshotIdWord).max(1, { message: 'takes at most one snapshot id' }) })
  .transform((a): RollbackArgs => ({ target: a._[0] ?? null }));

/** The two columns that decide whether a snapshot is active. */
const activity = (r: SnapshotRecord, deprecatedAt: string | null = r.deprecatedAt) => ({ deprecated_at: deprecatedAt, archived_at: r.archivedAt });

/** How to go back: roll back to the snapshot that was current (after recording its CID, if it has none). */
function undoOf(current: SnapshotRecord | null): string | null {
  if (!current) return null;
  return hasCid(current)
    ? `snapshot rollback ${current.id}`
    : `snapshot rollback ${current.id}, after \`snapshot set-cid ${current.id} <cid>\` (it has no CID, and rollback refuses a target without one)`;
}

interface Rollback {
  plan: RemediationPlan;
  current: SnapshotRecord | null;
  target: SnapshotRecord;
}

/** Which snapshot, what changes, and whether it is allowed: the plan from the rows as they are. */
function decideRollback(rows: SnapshotRecord[], fingerprint: string, args: RollbackArgs, deps: RemediationDeps): Rollback {
  const ordered = newestFirst(rows);
  const current = currentOf(ordered);
  let target: SnapshotRecord;
  if (args.target === null) {
    if (!current) {
      throw new RemediationRefusal('No snapshot is current (every one is deprecated or archived), so there is no previous one; name the snapshot to make current: `snapshot rollback <id>` (`snapshots` lists them).');
    }
    const before = ordered.slice(ordered.indexOf(current) + 1).find((r) => r.archivedAt === null);
    if (!before) throw new RemediationRefusal(`There is no snapshot before the current one (${current.id}) that is not archived; nothing to roll back to, nothing was changed.`);
    target = before;
  } else {
    target = rowOf(rows, args.target);
  }
  if (current && target.id === current.id) throw new RemediationRefusal(`${target.id} is the current snapshot already; nothing to change.`);
  if (target.archivedAt !== null) throw new RemediationRefusal(`${target.id} is archived (at ${target.archivedAt}); a rollback moves only between snapshots that are not archived, nothing was changed.`);
  if (!hasCid(target)) {
    // "The previous" was picked for the person: name the one further back that could be taken.
    const further = args.target === null ? ordered.slice(ordered.indexOf(target) + 1).find((r) => r.archivedAt === null && hasCid(r)) : undefined;
    const or = further ? `, or roll back further to ${further.id}, the newest before it with a CID (\`snapshot rollback ${further.id}\`)` : '';
    throw new RemediationRefusal(
      `${target.id} has no IPFS CID, so proofs could not fetch it; record it first with \`snapshot set-cid ${target.id} <cid>\` or \`snapshot upload ${target.id}\`, then roll back${or}. Nothing was changed.`,
    );
  }
  // After the swap the target must be the newest active snapshot, or another one would be current.
  const now = deps.clock().toISOString();
  const after = rows.map((r) => (r.id === current?.id ? { ...r, deprecatedAt: now } : r.id === target.id ? { ...r, deprecatedAt: null } : r));
  const winner = currentOf(after);
  if (winner && winner.id !== target.id) {
    throw new RemediationRefusal(
      `${winner.id} is active and newer than ${target.id}, so it would be current instead; roll back to ${winner.id} first (\`snapshot rollback ${winner.id}\`), then to ${target.id}. Nothing was changed.`,
    );
  }

  const persistence = deps.atlas.persistence;
  const backupsDir = deps.atlas.backupsDir;
  const space = backupSpace(persistence, backupsDir);
  if (space.needBytes > space.freeBytes) {
    throw new RemediationRefusal(`The pre-rollback backup of ${persistence.label} needs ${(space.needBytes / 1048576).toFixed(1)} MB and only ${(space.freeBytes / 1048576).toFixed(1)} MB are free; free some space (\`disk\`), nothing was changed.`);
  }
  const changes: PlanChange[] = [
    { kind: 'file', path: path.join(path.basename(backupsDir), backupFileName('persistence', '<UTC time of Confirm>')), note: `a verified backup of ${persistence.label} first (the backup API in a worker thread, integrity_check, sha256; listed by \`backups\`)` },
    { kind: 'space', what: `the backup in ${path.basename(backupsDir)}/`, needBytes: space.needBytes, freeBytes: space.freeBytes },
  ];
  if (current) changes.push({ kind: 'row', what: `snapshots ${current.id} (current now; ${describeRow(current)})`, before: activity(current), after: activity(current, now) });
  changes.push({ kind: 'row', what: `snapshots ${target.id} (current after; ${describeRow(target)})`, before: activity(target), after: activity(target, null) });

  const warnings: string[] = [];
  const cid = parseCid(target.ipfsCid);
  if (!cid.ok) warnings.push(`${target.id}'s CID "${target.ipfsCid}" does not read as an IPFS CID (${cid.reason}); proofs may not fetch it.`);
  if (target.deprecatedAt !== null && current) {
    warnings.push(`${target.id} was deprecated at ${target.deprecatedAt}; the undo deprecates it again with the time of the undo (the backup keeps the old value).`);
  }
  if (!current) warnings.push('No snapshot is current now, so there is none to go back to: the undo is to restore the pre-rollback backup.');
  const plan: RemediationPlan = {
    summary: current ? `${target.id} becomes the current snapshot instead of ${current.id}` : `${target.id} becomes the current snapshot (none is current now)`,
    changes,
    undo: undoOf(current),
    warnings,
    fingerprint,
  };
  return { plan, current, target };
}

export const snapshotRollback = remediation<RollbackArgs>(
  {
    name: 'snapshot rollback',
    ifInterrupted: '`snapshots` (which snapshot is current?) and `backups` (the backup taken first)',
    summary: 'Make the previous (or given) snapshot current; backs up persistence.db first',
    usage: '[<snapshot id>]',
    args: rollbackArgs,
    async plan(args, deps) {
      const { rows, fingerprint } = readForPlan(deps);
      return decideRollback(rows, fingerprint, args, deps).plan;
    },
    async apply(args, plan, deps, actor) {
      // The plan again, from the rows as they are now: the same target and the same current, or a refusal.
      const { rows, fingerprint } = readForPlan(deps);
      if (fingerprint !== plan.fingerprint) throw new RemediationRefusal(changedSentence(args));
      const { current, target } = decideRollback(rows, fingerprint, args, deps);
      const targetId = target.id;
      const taken = await takeBackup('persistence', deps.atlas, {
        reason: `before snapshot rollback to ${targetId}`,
        who: { source: actor.source, userId: actor.userId },
        at: deps.clock(),
        freeSpace: statfsFreeSpace,
        logger: deps.logger,
      });
      const backup = { file: taken.files[0]!.file, bytes: taken.files[0]!.bytes };
      const deprecatedAt = deps.clock().toISOString();
      try {
        await writeSnapshots(deps.atlas.persistence, plan.fingerprint, (db) => {
          swapDeprecated(db, { currentId: current?.id ?? null, targetId, deprecatedAt });
          // Checked before the commit: the target is what the service will now read as current.
          const now = currentOf(snapshotRowsIn(db));
          if (now?.id !== targetId) throw new SnapshotsChangedError(`${now?.id ?? 'no snapshot'} would be current, not ${targetId}`);
        });
      } catch (err) {
        if (err instanceof SnapshotsChangedError) throw new RemediationRefusal(changedSentence(args, backup.file));
        if (err instanceof DbProblemError) throw new RemediationRefusal(`${err.problem.message} (The backup ${path.basename(backup.file)} was made.)`);
        throw err;
      }
      return {
        headline: `${targetId} is the current snapshot${current ? ` instead of ${current.id}` : ''}`,
        lines: [
          ...(current ? [`${current.id}: deprecated_at ${deprecatedAt}`] : []),
          `${targetId}: deprecated_at null (CID ${target.ipfsCid})`,
          `Backup before the change: ${path.join(path.basename(deps.atlas.backupsDir), path.basename(backup.file))} (${(backup.bytes / 1048576).toFixed(1)} MB)`,
          'Check that proofs fetch it: `health` (IPFS retrieval) and `snapshots`.',
        ],
        undo: undoOf(current),
      };
    },
  },
  (a) => a.target ?? '',
);

function changedSentence(args: RollbackArgs, backupFile?: string): string {
  const again = `snapshot rollback${args.target ? ` ${args.target}` : ''}`;
  return `The snapshots changed since the preview, so nothing was changed${backupFile ? ` (the backup ${path.basename(backupFile)} was made)` : ''}; run \`${again}\` again for a new preview.`;
}
