/**
 * Which row of the severity matrix an alert belongs to. Alert names come from three places: the
 * service's in-process rules (`provider_down`), its Prometheus rules (`ProviderDown`) and the
 * bot's own watchdog (`watchdog_provider_census_tiger`). Their names rarely contain the matrix's
 * words, so a table maps them first; anything else is matched against the matrix's phrases.
 */
import { findSymptom, symptomById, type RunbookKey, type Severity } from '../incidents/severity-matrix.js';

export type SeverityHint = 'critical' | 'warning';

/**
 * How the severity was decided: `matrix` (the rule table or the severity matrix's phrases),
 * `source` (the matrix does not know the alert; the source called it critical → P1 or
 * warning → P2), `default` (neither: P2 assumed). The alert message says which.
 */
export type SeverityBasis = 'default' | 'matrix' | 'source';

/**
 * The basis as stored in chatops.db `alerts.severity_known` (an INTEGER that once meant known 1 /
 * unknown 0, so 0 and 1 keep their meaning): 0 P2 by default, 1 matrix, 2 the source's severity.
 */
export const SEVERITY_KNOWN_VALUES: Readonly<Record<SeverityBasis, number>> = { default: 0, matrix: 1, source: 2 };

/** The `severity_known` value to store for a classification. */
export function severityKnownColumn(cls: Pick<AlertClass, 'basis'>): number {
  return SEVERITY_KNOWN_VALUES[cls.basis];
}

/** Reads `severity_known` back; a value this version does not know reads as the P2 default, never as a match. */
export function severityBasisOf(severityKnown: number): SeverityBasis {
  if (severityKnown === SEVERITY_KNOWN_VALUES.matrix) return 'matrix';
  if (severityKnown === SEVERITY_KNOWN_VALUES.source) return 'source';
  return 'default';
}

/** The source's own severity, used when the matrix does not know the alert. */
const SOURCE_SEVERITY: Readonly<Record<SeverityHint, Severity>> = { critical: 'P1', warning: 'P2' };

export interface AlertClass {
  severity: Severity;
  /** How `severity` was decided; the alert message says so unless it is the matrix. */
  basis: SeverityBasis;
  /** The matrix row, when the alert is one of its symptoms at that row's severity. */
  symptomId: string | null;
  runbookKey: RunbookKey | null;
}

interface RuleClass {
  severity: Severity;
  /** Used instead of `severity` when the source says the alert is only a warning (rules that exist at both levels). */
  warning?: Severity;
  symptomId?: string;
  runbook: RunbookKey | null;
}

/** One entry per alert rule the service or the bot can raise, by normalized name (see `ruleKey`). */
const RULES: Readonly<Record<string, RuleClass>> = {
  // The service's in-process rules (shadow-atlas-domain.md §2, DEFAULT_ALERT_RULES).
  extraction_failure_rate_high: { severity: 'P1', symptomId: 'high-error-rate', runbook: 'high-error-rate' },
  extraction_failure_rate_warning: { severity: 'P2', runbook: 'high-error-rate' },
  validation_pass_rate_low: { severity: 'P1', symptomId: 'validation-below-80', runbook: 'high-error-rate' },
  provider_down: { severity: 'P1', symptomId: 'provider-outage', runbook: 'upstream-failure' },
  job_duration_regression: { severity: 'P2', runbook: 'high-latency' },

  // The Prometheus rules (critical.yaml and warning.yaml, §5.3).
  service_down: { severity: 'P0', symptomId: 'total-outage', runbook: 'incident-response' },
  high_error_rate: { severity: 'P1', symptomId: 'high-error-rate', runbook: 'high-error-rate' },
  high_server_error_rate: { severity: 'P1', symptomId: 'high-error-rate', runbook: 'high-error-rate' },
  error_rate_increasing: { severity: 'P2', runbook: 'high-error-rate' },
  validation_failure_rate_high: { severity: 'P1', symptomId: 'validation-below-80', runbook: 'high-error-rate' },
  validation_failure_rate_warning: { severity: 'P2', runbook: 'high-error-rate' },
  provider_latency_high: { severity: 'P2', runbook: 'upstream-failure' },
  // The matrix puts slow queries at P2 whatever the Prometheus rule's label says.
  high_p99_latency: { severity: 'P2', symptomId: 'slow-queries', runbook: 'high-latency' },
  high_p95_latency: { severity: 'P2', symptomId: 'slow-queries', runbook: 'high-latency' },
  latency_increasing: { severity: 'P2', symptomId: 'slow-queries', runbook: 'high-latency' },
  database_query_latency_high: { severity: 'P2', symptomId: 'slow-queries', runbook: 'high-latency' },
  memory_usage_high: { severity: 'P1', warning: 'P2', runbook: 'high-latency' },
  // A full disk stops every write, backups included.
  disk_space_low: { severity: 'P1', runbook: 'incident-response' },
  disk_space_warning: { severity: 'P2', runbook: 'incident-response' },
  connections_high: { severity: 'P2', runbook: 'high-latency' },
  cache_hit_rate_low: { severity: 'P2', runbook: 'high-latency' },
  cache_hit_rate_warning: { severity: 'P2', runbook: 'high-latency' },
  cache_eviction_rate_high: { severity: 'P2', runbook: 'high-latency' },
  slo_budget_burn_rate_fast: { severity: 'P1', runbook: 'high-error-rate' },
  slo_budget_near_exhaustion: { severity: 'P1', runbook: 'high-error-rate' },
  slo_budget_burn_rate_moderate: { severity: 'P2', runbook: 'high-error-rate' },
  merkle_proof_latency_high: { severity: 'P2', runbook: 'high-latency' },
  zk_proof_generation_slow: { severity: 'P2', runbook: 'high-latency' },
  health_check_degraded: { severity: 'P2', runbook: 'incident-response' },
  job_duration_increasing: { severity: 'P2', runbook: 'high-latency' },
  snapshot_stale: { severity: 'P2', runbook: null },
  rate_limit_hit_rate_increasing: { severity: 'P2', runbook: 'high-error-rate' },

  // The bot's watchdog: `watchdog_<health item key>` (watchdog.ts).
  watchdog_proof_success: { severity: 'P1', runbook: 'proofs-failing' },
  watchdog_extraction_success: { severity: 'P1', symptomId: 'high-error-rate', runbook: 'high-error-rate' },
  watchdog_validation_pass: { severity: 'P1', symptomId: 'validation-below-80', runbook: 'high-error-rate' },
  watchdog_provider_availability: { severity: 'P1', symptomId: 'provider-outage', runbook: 'upstream-failure' },
  watchdog_job_duration: { severity: 'P2', runbook: 'high-latency' },
  watchdog_query_latency_p95: { severity: 'P2', symptomId: 'slow-queries', runbook: 'high-latency' },
  watchdog_ipfs_retrieval: { severity: 'P1', symptomId: 'ipfs-degraded', runbook: 'ipfs-unavailable' },
  watchdog_database_size: { severity: 'P2', runbook: 'incident-response' },
  watchdog_disk_usage: { severity: 'P1', runbook: 'incident-response' },
  watchdog_active_jobs: { severity: 'P2', runbook: 'job-failures' },
  watchdog_stuck_jobs: { severity: 'P1', symptomId: 'stuck-job', runbook: 'stuck-job' },
  watchdog_snapshot_current: { severity: 'P1', runbook: 'ipfs-unavailable' },
  watchdog_snapshot_age: { severity: 'P2', runbook: null },
  watchdog_backup: { severity: 'P2', runbook: 'data-corruption' },
};

/** Rules whose names carry a variable part: one per provider, one per database file. */
const RULE_PREFIXES: readonly [prefix: string, rule: RuleClass][] = [
  ['watchdog_provider_', { severity: 'P1', symptomId: 'provider-outage', runbook: 'upstream-failure' }],
  ['watchdog_integrity_', { severity: 'P0', symptomId: 'database-corruption', runbook: 'data-corruption' }],
];

/** `ProviderDown`, `provider-down` and `provider_down` all become `provider_down`. */
export function ruleKey(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

function fromRule(rule: RuleClass, hint: SeverityHint | undefined): AlertClass {
  const severity = hint === 'warning' && rule.warning ? rule.warning : rule.severity;
  // A symptom is named only at its own severity: the incident code reads its escalations from it.
  const symptom = rule.symptomId ? symptomById(rule.symptomId) : undefined;
  return { severity, basis: 'matrix', symptomId: symptom && symptom.severity === severity ? symptom.id : null, runbookKey: rule.runbook };
}

/**
 * Severity, matrix row and runbook of an alert: the rule table by name, else the matrix's
 * phrases in the name, else in the name and message together (a whole phrase must match: a
 * stray word like "job" is not a symptom). A match decides (basis `matrix`), whatever the
 * source says, except for rules the service raises at both levels (MemoryUsageHigh), where the
 * hint picks the level. Without a match the source's own severity decides (critical → P1,
 * warning → P2, basis `source`); without that either, P2 (basis `default`).
 */
export function classifyAlert(name: string, message: string, hint?: SeverityHint): AlertClass {
  const key = ruleKey(name);
  const rule = RULES[key] ?? RULE_PREFIXES.find(([prefix]) => key.startsWith(prefix))?.[1];
  if (rule) return fromRule(rule, hint);
  const words = key.replace(/_/g, ' ');
  for (const text of [words, `${words} ${message}`]) {
    const match = findSymptom(text);
    if (match?.whole) {
      return { severity: match.symptom.severity, basis: 'matrix', symptomId: match.symptom.id, runbookKey: match.symptom.runbook };
    }
  }
  if (hint) return { severity: SOURCE_SEVERITY[hint], basis: 'source', symptomId: null, runbookKey: null };
  return { severity: 'P2', basis: 'default', symptomId: null, runbookKey: null };
}
