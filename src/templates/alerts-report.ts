import { alertLevel, type AlertExplanation, type AlertListing, type AlertRow } from '../checks/alerts.js';
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

const GROUP_RULES = [
  'The provider a source names: Alertmanager label `provider`, the webhook context `provider`, the watchdog provider item',
  'The provider named in the alert\'s name or message ("provider census-tiger", a provider of the config, a provider group already open)',
  'A label or context key listed in alerts.groupBy',
  "Alertmanager's groupKey",
];

/** `alerts --explain <name>`: which group, why, and what shares its message and page. */
export function alertExplainReport(e: AlertExplanation): Report {
  const a = e.alert;
  const rules = { title: 'Grouping rules, first match wins', lines: GROUP_RULES.map((r, i) => `${i + 1}. ${r}${i === 2 ? ` (now: ${e.groupBy.length > 0 ? e.groupBy.join(', ') : 'none configured'})` : ''}`) };
  if (!a.groupKey || !e.lead) {
    return {
      command: 'alerts',
      level: 'info',
      headline: `${a.name} is in no group: nothing it reported names a provider, an alerts.groupBy label or an Alertmanager groupKey; it has its own message and page`,
      sections: [rules],
      data: e,
    };
  }
  const leads = e.lead.key === a.key;
  const lines = [
    `Why: ${a.groupReason ?? a.groupKey}`,
    leads
      ? 'It leads the group: its message, page and reminders are the group\'s; the others are added to it.'
      : `It joined ${e.lead.name}: no message, page or reminders of its own; told in ${e.lead.name}'s thread.`,
    `Group message: ${e.lead.name} (${e.lead.status}${e.lead.incidentId ? `, ${e.lead.incidentId}` : ''})`,
    `Others in the group: ${e.members.filter((m) => m.key !== a.key).map((m) => `${m.name} (${m.status})`).join(', ') || 'none'}`,
  ];
  return {
    command: 'alerts',
    level: 'info',
    headline: `${a.name} is in group ${a.groupKey}`,
    sections: [{ lines }, rules],
    data: e,
  };
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
  if (listing.metricsProblem) sections.push({ lines: [`${listing.metricsProblem} Alerts from metrics.db may be missing or out of date here.`] });
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
    level: worstLevel([...firing.map(alertLevel), ...(listing.metricsProblem ? (['unknown'] as const) : []), 'ok']),
    headline,
    sections,
    ...(footer ? { footer } : {}),
    data,
  };
}
