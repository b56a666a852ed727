import { formatBytes, type DiskUsage } from '../checks/disk.js';
import { checkItemsTable, formatValue } from './check-items-report.js';
import { worstLevel, type Report } from './report.js';

/** `disk`: "disk 91 % used: crit (9 GB free)", then the databases and backups. */
export function diskReport(usage: DiskUsage): Report {
  const level = worstLevel(usage.items.map((i) => i.level));
  const diskItem = usage.items.find((i) => i.key === 'disk_usage');
  const dbItem = usage.items.find((i) => i.key === 'database_size');
  let headline: string;
  if (usage.filesystem && diskItem) {
    headline = `disk ${usage.filesystem.usedPct} % used: ${diskItem.level} (${formatBytes(usage.filesystem.freeBytes)} free)`;
  } else {
    headline = `disk usage unknown: ${usage.filesystemError ?? 'the filesystem could not be read'}`;
  }
  if (dbItem && dbItem.level !== 'ok' && dbItem.value !== null) headline += `; databases ${formatValue(dbItem)}: ${dbItem.level}`;

  const rows = usage.databases.map((d) =>
    d.dbBytes === null
      ? [d.label, 'missing', '']
      : [d.label, formatBytes(d.dbBytes + (d.walBytes ?? 0)), d.walBytes ? formatBytes(d.walBytes) : '0 B'],
  );
  rows.push(
    usage.backups
      ? [
          'backups/',
          `${formatBytes(usage.backups.bytes)}${usage.backups.truncated ? '+' : ''}`,
          `${usage.backups.files}${usage.backups.truncated ? '+' : ''} files`,
        ]
      : ['backups/', 'not readable', usage.backupsError ?? ''],
  );
  return {
    command: 'disk',
    level,
    headline,
    sections: [
      { table: checkItemsTable(usage.items) },
      { title: `In ${usage.dataDir}`, table: { columns: ['what', 'size', 'WAL / files'], rows } },
    ],
    footer: usage.backups?.truncated ? 'backups/ is larger than the bot walks (20,000 entries, 4 levels): its size is a lower bound.' : undefined,
    data: usage,
  };
}
