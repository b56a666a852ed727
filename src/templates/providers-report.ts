import type { Band } from '../checks/check-item.js';
import { providerLevel, SLOW_PROVIDER_MS, type Availability, type ProvidersResult, type ProviderStatus } from '../checks/providers.js';
import { LEVEL_RANK, worstLevel, type Report } from './report.js';

const HEADLINE_PROVIDERS = 4;

function availabilityText(a: Availability | null): string {
  return a ? `${a.pct} % (${a.samples})` : '–';
}

/** "down (timeout after 10 s)", "rate-limiting (HTTP 429)", "ok (240 ms)". */
function probeWords(s: ProviderStatus): string {
  const { probe } = s;
  if (probe.ok) return `${(probe.latencyMs ?? 0) > SLOW_PROVIDER_MS ? 'slow' : 'ok'} (${probe.latencyMs} ms)`;
  if (probe.status === 429) return 'rate-limiting (HTTP 429)';
  return `down (${probe.error?.message ?? 'no answer'})`;
}

function headlineFor(statuses: ProviderStatus[], band: Band): string {
  if (statuses.length === 0) return 'no providers configured (providers in the config file)';
  const ranked = statuses
    .map((s, i) => ({ s, i, level: providerLevel(s, band) }))
    .sort((a, b) => LEVEL_RANK[b.level] - LEVEL_RANK[a.level] || a.i - b.i);
  const phrase = ({ s, level }: (typeof ranked)[number]) => {
    const recovering = level === 'warn' && s.probe.ok && s.lastHour ? `, only ${s.lastHour.pct} % available in the last 1 h` : '';
    return `${s.name} ${probeWords(s)}${recovering}`;
  };
  if (statuses.length <= HEADLINE_PROVIDERS) return ranked.map(phrase).join(', ');
  const bad = ranked.filter((r) => r.level !== 'ok');
  if (bad.length === 0) {
    const latencies = statuses.map((s) => s.probe.latencyMs ?? 0);
    return `all ${statuses.length} providers ok (${Math.min(...latencies)}–${Math.max(...latencies)} ms)`;
  }
  const shown = bad.slice(0, HEADLINE_PROVIDERS).map(phrase).join(', ');
  const more = bad.length > HEADLINE_PROVIDERS ? ` and ${bad.length - HEADLINE_PROVIDERS} more` : '';
  return `${bad.length} of ${statuses.length} providers need attention: ${shown}${more}; ${statuses.length - bad.length} ok`;
}

/** `providers`: probe results now, next to availability from the service's own health checks. */
export function providersReport(result: ProvidersResult, band: Band, prefix = '/atlas'): Report {
  const levels = result.providers.map((s) => providerLevel(s, band));
  const sections: Report['sections'] = [
    {
      table: {
        columns: ['provider', 'now', 'latency', '1 h avail (checks)', '24 h avail (checks)'],
        rows: result.providers.map((s) => [
          s.name,
          s.probe.ok ? `ok ${s.probe.status}` : s.probe.status !== null ? `HTTP ${s.probe.status}` : (s.probe.error?.kind ?? 'failed'),
          s.probe.latencyMs !== null ? `${s.probe.latencyMs} ms` : '–',
          availabilityText(s.lastHour),
          availabilityText(s.lastDay),
        ]),
      },
    },
  ];
  const hints = result.providers.filter((s) => s.hint).map((s) => `${s.name}: ${s.hint}`);
  if (hints.length > 0) sections.push({ title: 'What to do', lines: hints });
  const notes: string[] = [];
  if (result.availabilityProblem) notes.push(`Availability unknown: ${result.availabilityProblem}`);
  else if (result.providers.some((s) => !s.lastDay)) {
    notes.push(`No health_check metrics in the last 24 h for: ${result.providers.filter((s) => !s.lastDay).map((s) => s.name).join(', ')}`);
  }
  if (result.unlabelledRows > 0) notes.push(`${result.unlabelledRows} health_check rows in the last 24 h had no usable provider label`);
  if (notes.length > 0) sections.push({ title: 'Metrics', lines: notes });
  if (result.unconfigured.length > 0) {
    sections.push({
      title: 'Seen in metrics, not in the config',
      table: {
        columns: ['provider label', '1 h avail (checks)', '24 h avail (checks)'],
        rows: result.unconfigured.map((u) => [u.label, availabilityText(u.lastHour), availabilityText(u.lastDay)]),
      },
    });
  }
  const anyDown = levels.some((l) => l === 'crit');
  return {
    command: 'providers',
    level: result.providers.length === 0 ? 'unknown' : worstLevel(levels),
    headline: headlineFor(result.providers, band),
    sections,
    footer: anyDown ? `Provider outage is P1 (respond within 1 h): \`${prefix} runbook provider outage\`` : undefined,
    data: result,
  };
}
