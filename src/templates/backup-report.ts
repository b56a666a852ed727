/** `backups` as a Report, and the lines of a taken or restored backup. */
import { formatDuration } from '../time/atlas-time.js';
import type { BackupCatalog, BackupEntry } from '../remediation/backup-catalog.js';
import type { TakenBackup } from '../remediation/backup-take.js';
import type { Report } from './report.js';

const MB = 1024 * 1024;
export const bytesText = (n: number) => (n >= 1024 * MB ? `${(n / 1024 / MB).toFixed(1)} GB` : n >= MB ? `${(n / MB).toFixed(1)} MB` : `${Math.max(0, Math.round(n / 1024))} KB`);

/** At most this many rows (Slack's limits); the headline says how many there are. */
const MAX_ROWS = 30;

function verdict(e: BackupEntry): string {
  if (!e.manifest) return 'not verified by the bot';
  const f = e.manifest.file;
  return `integrity ok, rows = source (${Object.values(f.rowCounts).reduce((n, c) => n + c, 0).toLocaleString('en-US')}), sha256 ${f.sha256.slice(0, 12)}…`;
}

export function backupsReport(c: BackupCatalog): Report {
  if (c.entries === null) {
    return { command: 'backups', level: 'warn', headline: `No backups folder at ${c.dir}: no backup has been taken. \`backup\` takes one.`, sections: [], data: c };
  }
  const sections: Report['sections'] = [];
  if (c.entries.length > 0) {
    sections.push({
      table: {
        columns: ['backup', 'age', 'size', 'reason', 'verified'],
        rows: c.entries.slice(0, MAX_ROWS).map((e) => [e.name, formatDuration(Math.max(0, e.ageMs)), bytesText(e.bytes), e.manifest ? `${e.manifest.reason} (${e.manifest.who})` : '—', verdict(e)]),
      },
    });
  }
  const notes: string[] = [];
  if (c.entries.length > MAX_ROWS) notes.push(`${c.entries.length - MAX_ROWS} older backups not shown.`);
  if (c.temporary.length > 0) {
    const bytes = c.temporary.reduce((n, t) => n + t.bytes, 0);
    notes.push(`${c.temporary.length} unfinished temporary file(s) (${bytesText(bytes)}), from a backup running now or killed mid-way; not backups: ${c.temporary.slice(0, 3).map((t) => t.name).join(', ')}. Delete them when no backup runs.`);
  }
  if (c.badManifests.length > 0) notes.push(`Unreadable manifest(s): ${c.badManifests.slice(0, 3).join(', ')}.`);
  if (c.truncated) notes.push('The folder has more entries than the bot reads; the list may miss some.');
  if (notes.length > 0) sections.push({ title: 'Notes', lines: notes });
  const newest = c.entries[0];
  const headline =
    c.entries.length === 0
      ? `No backups in ${c.dir}. \`backup\` takes one.`
      : `${c.entries.length} backup${c.entries.length === 1 ? '' : 's'}; newest ${newest!.name}, ${formatDuration(Math.max(0, newest!.ageMs))} old (${newest!.manifest ? 'verified' : 'not verified by the bot'}).`;
  return { command: 'backups', level: c.entries.length === 0 ? 'warn' : 'info', headline, sections, data: c };
}

/** One line per kept file of a backup: name, size, rows, sha256, timings. */
export function takenLines(t: TakenBackup): string[] {
  const lines = t.files.map(
    (f) =>
      `${f.file}: ${bytesText(f.bytes)}, integrity ok, ${Object.values(f.rowCounts).reduce((n, c) => n + c, 0).toLocaleString('en-US')} rows in ${Object.keys(f.rowCounts).length} tables = the source's at the backup, sha256 ${f.sha256}; copied in ${(f.copyMs / 1000).toFixed(1)} s, verified in ${(f.verifyMs / 1000).toFixed(1)} s`,
  );
  if (t.jobs) lines.push(`${t.jobs.folder}/: ${t.jobs.files} job file${t.jobs.files === 1 ? '' : 's'} (${bytesText(t.jobs.bytes)})`);
  else lines.push('no jobs/ folder to copy');
  for (const m of t.missing) lines.push(`${m} not found, so not backed up`);
  lines.push(`manifest: ${t.manifest}`);
  return lines;
}
