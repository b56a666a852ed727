import { alertLevel, type AlertListing, type AlertRow } from '../checks/alerts.js';
import { resolvedByText, sourceListText } from '../db/state/resolved-by.js';
import { formatDuration } from '../time/atlas-time.js';
import { worstLevel, type Report, type ReportSection } from './report.js';

const MAX_MESSAGE = 100;

function clip(text: string | null): string {
  if (!text) return '';
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE - 1)}…` : flat;
}

function agoText(value: string | null, now: Date | null): string {
  if (!value) return '';
  const t = new Date(value);
  if (Number.isNaN(t.getTime()) || !now) return value;
  return `${formatDuration(Math.max(0, now.getTime() - t.getTime()))} ago`;
}

/** "with provider_down" for an alert that joined another's message; the clamp note when there is one. */
function remarks(a: AlertRow): string {
  return [a.groupLead ? `with ${a.groupLead}` : '', a.firedAtNote ?? ''].filter(Boolean).join('; ');
}

function firingTable(alerts: AlertRow[]) {
  const columns = ['alert', 'severity', 'firing for', 'ack', 'from', 'message'];
  const rows = alerts.map((a) => [
    a.name,
    a.severity,
    formatDuration(a.firingForMs),
    a.acknowledged ? (a.incidentId ?? 'yes') : 'NO',
    sourceListText(a.sources),
    clip([a.message, remarks(a)].filter(Boolean).join(' · ')),
  ]);
  return { columns, rows };
}

/** `alerts`: how many fire and how many nobody has acknowledged, then the list. */
export function alertsReport(listing: AlertListing, now?: Date): Report {
  const data = listing;
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
  if (firing.length > 0) sections.push({ title: 'Firing', table: firingTable(firing) });
  if (listing.all && listing.recentlyResolved.length > 0) {
    sections.push({
      title: `Resolved in the last ${listing.recentHours} h`,
      table: {
        columns: ['alert', 'resolved', 'by', 'fired', 'message'],
        rows: listing.recentlyResolved.map((a) => [
          a.name,
          agoText(a.resolvedAt, now ?? null),
          resolvedByText(a.resolvedBy) ?? 'unknown',
          agoText(a.firedAt, now ?? null),
          clip([a.message, remarks(a)].filter(Boolean).join(' · ')),
        ]),
      },
    });
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
