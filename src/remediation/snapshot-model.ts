/**
 * What the snapshot remediations share: a snapshot id as typed, the rows of `snapshots` read
 * for a plan (refusing in one sentence when they cannot be read), and which snapshot is current
 * by the same rule as src/checks/snapshots.ts (the newest by created_at, in any of the three
 * timestamp formats, that is neither deprecated nor archived).
 */
import { z } from 'zod';
import type { RemediationDeps } from './remediation-spec.js';
import { readSnapshotRecords, snapshotsFingerprint, type SnapshotRecord } from '../db/snapshot-writes.js';
import { DbProblemError } from '../db/sqlite-problem.js';
import { quoteInput } from '../text/quote-input.js';
import { parseAtlasTime } from '../time/atlas-time.js';
import { RemediationRefusal } from './remediation-plan.js';

/** Ids as the service makes them (`snapshot-<base36>-<hex8>`, UUIDs) and anything similar; never a path or a quote. */
const SNAPSHOT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Why a typed word is no snapshot id, or null when it is one. */
export function snapshotIdProblem(word: string): string | null {
  if (SNAPSHOT_ID.test(word) && !word.includes('..')) return null;
  return `"${quoteInput(word, 40)}" is not a snapshot id (letters, digits, ".", "-" and "_", at most 128 characters); \`snapshots\` lists them`;
}

/** One positional snapshot id, validated. */
export const snapshotIdWord = z.string().superRefine((word, ctx) => {
  const problem = snapshotIdProblem(word);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** The time a row sorts by: unreadable created_at sorts last, as in the snapshots check. */
function timeOf(value: string | null): number {
  return parseAtlasTime(value)?.getTime() ?? -Infinity;
}

/** Newest first, ties by id: the order the snapshots check uses. */
export function newestFirst(rows: readonly SnapshotRecord[]): SnapshotRecord[] {
  return [...rows].sort((a, b) => timeOf(b.createdAt) - timeOf(a.createdAt) || a.id.localeCompare(b.id));
}

export const isActive = (r: SnapshotRecord) => r.deprecatedAt === null && r.archivedAt === null;

/** The current snapshot: the newest active one; null when none is active. */
export function currentOf(rows: readonly SnapshotRecord[]): SnapshotRecord | null {
  return newestFirst(rows).find(isActive) ?? null;
}

export const hasCid = (r: SnapshotRecord) => r.ipfsCid.trim() !== '';

/** Every row of `snapshots` and their fingerprint, or a refusal naming what is wrong. */
export function readForPlan(deps: RemediationDeps): { rows: SnapshotRecord[]; fingerprint: string } {
  const persistence = deps.atlas.persistence;
  let read: ReturnType<typeof readSnapshotRecords>;
  try {
    read = readSnapshotRecords(persistence);
  } catch (err) {
    if (err instanceof DbProblemError) throw new RemediationRefusal(`${err.problem.message.replace(/\.$/, '')}; nothing was changed.`);
    throw err;
  }
  if (read.missing.length > 0) {
    throw new RemediationRefusal(
      `${persistence.label} lacks ${read.missing.join(', ')} (the service's legacy schema has no snapshot activation); this cannot be done here, nothing was changed.`,
    );
  }
  return { rows: read.rows, fingerprint: snapshotsFingerprint(read.rows) };
}

/** The row with `id`, or a refusal. */
export function rowOf(rows: readonly SnapshotRecord[], id: string): SnapshotRecord {
  const row = rows.find((r) => r.id === id);
  if (!row) throw new RemediationRefusal(`No snapshot has id ${id}; \`snapshots\` lists them. Nothing was changed.`);
  return row;
}

/** A short description of a row for the preview: "created …, CID …". */
export function describeRow(r: SnapshotRecord): string {
  return `created ${r.createdAt ?? 'NULL'}, CID ${hasCid(r) ? r.ipfsCid : 'none'}`;
}
