/**
 * Who or what resolved an alert, as kept in chatops.db `alerts.resolved_by`: the sources that had
 * reported it (all of them resolved it), an engineer (their Slack user id, or their terminal login),
 * or a person in PagerDuty the bot could not match to a Slack user.
 */
export type ResolvedBy =
  | { kind: 'sources'; sources: string[] }
  | { kind: 'person'; userId: string }
  | { kind: 'pagerduty-person'; name: string };

const MAX_TEXT = 120;

export function bySources(sources: readonly string[]): string {
  return `sources:${sources.join(',')}`;
}

export function byPerson(userId: string): string {
  return `user:${userId.slice(0, 64)}`;
}

export function byPagerDutyPerson(name: string): string {
  return `pagerduty:${name.replace(/\p{Cc}+/gu, ' ').trim().slice(0, MAX_TEXT)}`;
}

/** The stored text read back; null when nothing resolved it (or the text is not one of ours). */
export function resolvedByOf(text: string | null): ResolvedBy | null {
  if (!text) return null;
  const colon = text.indexOf(':');
  const kind = text.slice(0, colon);
  const rest = text.slice(colon + 1);
  if (kind === 'sources') return { kind: 'sources', sources: rest.split(',').filter(Boolean) };
  if (kind === 'user' && rest) return { kind: 'person', userId: rest };
  if (kind === 'pagerduty' && rest) return { kind: 'pagerduty-person', name: rest };
  return null;
}

/** How people call each source. */
export const SOURCE_NAMES: Readonly<Record<string, string>> = {
  'metrics-db': 'metrics.db',
  'atlas-webhook': 'Shadow Atlas webhook',
  alertmanager: 'Alertmanager',
  watchdog: 'bot watchdog',
  command: '/atlas',
  file: 'alert file',
  pagerduty: 'PagerDuty',
};

export const sourceName = (source: string): string => SOURCE_NAMES[source] ?? 'another source';

/** "metrics.db and Alertmanager" */
export function sourceListText(sources: readonly string[]): string {
  const names = sources.map(sourceName);
  if (names.length <= 1) return names[0] ?? 'its sources';
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/**
 * Plain words for the terminal and lists: "metrics.db and Alertmanager", "U0ONCALL1", "Jane Doe (in
 * PagerDuty)". `person` renders an engineer (a Slack mention in Slack, the id in the terminal).
 */
export function resolvedByText(text: string | null, person: (userId: string) => string = (id) => id): string | null {
  const by = resolvedByOf(text);
  if (!by) return null;
  if (by.kind === 'sources') return sourceListText(by.sources);
  if (by.kind === 'person') return person(by.userId);
  return `${by.name} (in PagerDuty)`;
}
