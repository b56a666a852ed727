import type { Thresholds } from '../config.js';
import { snapshotItemsFrom, type SnapshotRow, type SnapshotStatus } from '../checks/snapshots.js';
import { formatDuration } from '../time/atlas-time.js';
import { worstLevel, type Report, type ReportSection } from './report.js';

function age(row: SnapshotRow): string {
  return row.ageMs === null ? `? (created_at ${row.createdAt ?? 'NULL'})` : formatDuration(row.ageMs);
}

function currentLines(s: SnapshotRow): string[] {
  const lines = [
    `id: ${s.id}`,
    `IPFS CID: ${s.ipfsCid ?? 'NONE (not uploaded)'}`,
    `created: ${s.createdAt ?? '?'} (${age(s)} ago)`,
  ];
  if (s.publishedAt) lines.push(`published: ${s.publishedAt}`);
  if (s.boundaryCount !== null) lines.push(`boundaries: ${s.boundaryCount}`);
  if (s.merkleRoot) lines.push(`merkle root: ${s.merkleRoot}`);
  if (s.jobId) lines.push(`job: ${s.jobId}`);
  return lines;
}

/** `snapshots`: the verdict on the current snapshot first, then the ones before it. */
export function snapshotsReport(
  status: SnapshotStatus,
  thresholds: Pick<Thresholds, 'snapshotWarnAgeDays' | 'snapshotCritAgeDays'>,
): Report {
  const data = status;
  if (!status.available) {
    return {
      command: 'snapshots',
      level: 'unknown',
      headline: `cannot tell the current snapshot: ${status.label} lacks ${status.missing.join(', ')} (another schema variant)`,
      sections: [],
      data,
    };
  }
  const items = snapshotItemsFrom(status, thresholds);
  const level = worstLevel(items.map((i) => i.level));
  const { current } = status;
  let headline: string;
  if (!current) {
    headline = status.total === 0 ? 'no snapshots at all' : `NO active snapshot: all ${status.total} snapshots are deprecated or archived`;
  } else {
    const days = current.ageMs === null ? null : current.ageMs / 86_400_000;
    const old =
      days === null
        ? ''
        : days > thresholds.snapshotCritAgeDays
          ? ` (crit after ${thresholds.snapshotCritAgeDays} d)`
          : days > thresholds.snapshotWarnAgeDays
            ? ` (warn after ${thresholds.snapshotWarnAgeDays} d)`
            : '';
    const ageText = current.ageMs === null ? 'of unknown age' : `${formatDuration(current.ageMs)} old${old}`;
    headline = current.ipfsCid
      ? // The whole CID (about 59 characters): someone will copy it from here.
        `current snapshot ${current.id} is ${ageText}, CID ${current.ipfsCid}`
      : `current snapshot ${current.id} is ${ageText} but has NO IPFS CID`;
  }
  const sections: ReportSection[] = [];
  if (current) sections.push({ title: 'Current', lines: currentLines(current) });
  if (status.activeCount > 1) {
    sections.push({ lines: [`${status.activeCount} snapshots are active (not deprecated, not archived); normally only the current one is.`] });
  }
  if (status.previous.length > 0) {
    sections.push({
      title: 'Before it',
      table: {
        columns: ['snapshot', 'state', 'age', 'IPFS CID', 'boundaries'],
        rows: status.previous.map((s) => [s.id, s.state, age(s), s.ipfsCid ?? 'NONE', s.boundaryCount === null ? '' : String(s.boundaryCount)]),
      },
    });
  }
  const otherMissing = status.missingCid.filter((s) => s.state !== 'current');
  const otherMissingCount = status.missingCidCount - (current && !current.ipfsCid ? 1 : 0);
  if (otherMissingCount > 0) {
    sections.push({
      title: `${otherMissingCount} other snapshot${otherMissingCount === 1 ? '' : 's'} without an IPFS CID`,
      lines: otherMissing.slice(0, 10).map((s) => `${s.id} (${s.state}, ${age(s)} old)`),
    });
  }
  if (status.unreadableRows > 0) {
    sections.push({ lines: [`${status.unreadableRows} snapshot row(s) could not be read (id not text) and were skipped.`] });
  }
  return {
    command: 'snapshots',
    level,
    headline,
    sections,
    footer: `${status.total} snapshot${status.total === 1 ? '' : 's'} in ${status.label}; warn after ${thresholds.snapshotWarnAgeDays} d, crit after ${thresholds.snapshotCritAgeDays} d.`,
    data,
  };
}
