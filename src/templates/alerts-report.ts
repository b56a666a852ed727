import { alertLevel, type AlertListing, type AlertRow } from '../checks/alerts.js';
import { formatDuration, parseAtlasTime } from '../time/atlas-time.js';
import { worstLevel, type Report, type ReportSection } from './report.js';

const MAX_MESSAGE = 100;

function clip(text: string | null): string {
  if (!text) return '';
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE - 1)}…` : flat;
}

function agoText(value: string | null, now: Date | null): string {
  const t = parseAtlasTime(value);
  if (!t || !now) return value ?? '';
  return `${formatDuration(now.getTime() - t.getTime())} ago`;
}

function firingTable(alerts: AlertRow[], hasSeverity: boolean) {
  const columns = ['alert', ...(hasSeverity ? ['severity'] : []), 'firing for', 'ack', 'message'];
  const rows = alerts.map((a) => [
    a.name,
    ...(hasSeverity ? [a.severity ?? '?'] : []),
    a.firingForMs === null ? `since ${a.firedAt}` : formatDuration(a.firingForMs),
    a.acknowledged ? 'yes' : 'NO',
    clip(a.message),
  ]);
  return { columns, rows };
}

/** `alerts`: how many fire and how many nobody has acknowledged, then the list. */
export function alertsReport(listing: AlertListing, now?: Date): Report {
  const data = listing;
  if (!listing.available) {
    return {
      command: 'alerts',
      level: 'unknown',
      headline: `cannot read alerts: ${listing.label} lacks ${listing.missing.join(', ')}`,
      sections: [],
      data,
    };
  }
  const { firing } = listing;
  const unacked = firing.filter((a) => !a.acknowledged).length;
  let headline =
    firing.length === 0
      ? 'no firing alerts'
      : `${firing.length} firing alert${firing.length === 1 ? '' : 's'}, ${
          unacked === 0 ? (firing.length === 1 ? 'acknowledged' : 'all acknowledged') : `${unacked} not acknowledged`
        }`;
  if (listing.all) headline += `; ${listing.recentlyResolved.length} resolved in the last ${listing.recentHours} h`;

  const sections: ReportSection[] = [];
  if (firing.length > 0) sections.push({ title: 'Firing', table: firingTable(firing, listing.hasSeverity) });
  if (listing.all && listing.recentlyResolved.length > 0) {
    sections.push({
      title: `Resolved in the last ${listing.recentHours} h`,
      table: {
        columns: ['alert', 'resolved', 'fired', 'message'],
        rows: listing.recentlyResolved.map((a) => [a.name, agoText(a.resolvedAt, now ?? null), agoText(a.firedAt, now ?? null), clip(a.message)]),
      },
    });
  }
  if (listing.unreadableRows > 0) {
    sections.push({ lines: [`${listing.unreadableRows} alert row(s) had an unexpected shape and were skipped.`] });
  }
  const footer = listing.all ? undefined : `\`alerts --all\` adds those resolved in the last ${listing.recentHours} h.`;
  return {
    command: 'alerts',
    level: firing.length === 0 ? 'ok' : worstLevel(firing.map(alertLevel)),
    headline,
    sections,
    ...(footer ? { footer } : {}),
    data,
  };
}
