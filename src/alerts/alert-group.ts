/**
 * What an alert is about, so that one outage is one message and one page: census-tiger going
 * down is reported by metrics.db (`provider_down`), the watchdog (`watchdog_provider_census_tiger`)
 * and Alertmanager (`ProviderDown{provider="census-tiger"}`), and all three are one group.
 *
 * The group, first match wins: the provider a source names (Alertmanager's label `provider`, the
 * webhook's `context.provider`, the watchdog's provider item), the provider named in the alert's
 * message ("provider census-tiger …", or the name of a provider whose group is open), a label or
 * context key listed in `alerts.groupBy`, then Alertmanager's `groupKey`.
 */
export interface GroupFacts {
  /** The provider, as the source names it ("Census TIGER", "census-tiger"). */
  provider?: string;
  /** Where the provider came from, in words ("Alertmanager label provider"). */
  providerFrom?: string;
  /** Alertmanager's groupKey of the notification. */
  groupKey?: string;
  /** Alertmanager labels, or the Shadow Atlas webhook's context values that are text. */
  labels?: Record<string, string>;
}

export interface AlertGroup {
  key: string;
  /** Why, in words, for `alerts --explain`. */
  reason: string;
}

const MAX_VALUE = 100;

/** "Census TIGER", "census_tiger" and "census-tiger" are one provider: `census-tiger`. */
export function providerSlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_VALUE);
}

const providerGroup = (name: string, why: string): AlertGroup | null => {
  const slug = providerSlug(name);
  return slug ? { key: `provider:${slug}`, reason: `about provider ${slug} (${why})` } : null;
};

/** "Provider Census TIGER availability 40%", "provider census-tiger is down": the words after "provider". */
const PROVIDER_IN_TEXT = /\bprovider[:\s]+["'`]?([A-Za-z0-9][\w-]*(?:\s+[A-Z0-9][\w-]*)*)/i;
/** Words that follow a provider's name without being part of it. */
const NOT_A_NAME = /^(is|was|has|are|down|up|unavailable|availability|failing|returning|health|checks?|errors?)$/i;

/** The provider a message names after the word "provider", if any. */
export function providerInMessage(message: string): string | null {
  const m = PROVIDER_IN_TEXT.exec(message);
  if (!m) return null;
  const words = m[1]!.split(/\s+/);
  const name: string[] = [];
  for (const w of words) {
    if (NOT_A_NAME.test(w)) break;
    name.push(w);
  }
  return name.length > 0 ? name.join(' ') : null;
}

/** Whether `text` names the provider `slug` as whole words ("Census TIGER health checks failing" names census-tiger). */
export function namesProvider(text: string, slug: string): boolean {
  if (!slug) return false;
  return `-${providerSlug(text)}-`.includes(`-${slug}-`);
}

/** The group of an alert from what its source said and `alerts.groupBy`; null when nothing says what it is about. */
export function groupOf(report: { message: string; groupFacts?: GroupFacts }, groupBy: readonly string[]): AlertGroup | null {
  const facts = report.groupFacts ?? {};
  if (facts.provider) {
    const g = providerGroup(facts.provider, facts.providerFrom ?? 'named by its source');
    if (g) return g;
  }
  const named = providerInMessage(report.message);
  if (named) {
    const g = providerGroup(named, 'named in its message');
    if (g) return g;
  }
  for (const label of groupBy) {
    const value = facts.labels?.[label];
    if (typeof value === 'string' && value.trim() !== '') {
      const v = value.trim().slice(0, MAX_VALUE);
      return { key: `label:${label}=${v}`, reason: `label ${label}=${v} (alerts.groupBy)` };
    }
  }
  if (facts.groupKey) {
    const gk = facts.groupKey.slice(0, 300);
    return { key: `alertmanager:${gk}`, reason: `Alertmanager groupKey ${gk}` };
  }
  return null;
}

/** A provider group key's provider slug; null for other groups. */
export function providerOfGroup(groupKey: string | null): string | null {
  return groupKey?.startsWith('provider:') ? groupKey.slice('provider:'.length) : null;
}
