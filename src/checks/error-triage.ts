/**
 * What the on-call guide's "high error rate" query meant. The guide groups `type = 'error'`
 * rows, but there is no such metric type: errors are spread over several types (DATA-CONTRACT,
 * metrics.db), each with its own denominator. This check counts them exactly over a window.
 */
import type { AtlasDatabase } from '../db/atlas-database.js';
import type { Level } from '../templates/report.js';
import { formatDuration } from '../time/atlas-time.js';
import { countTypes, labelGroupsByType, METRICS_NEEDS, parseLabels, windowBounds } from './metric-window.js';

/** The guide's scenario "Error rate > 5 % over 10 min" is critical; above 1 % is worth a look. */
export const ERROR_RATE_CRIT_PCT = 5;
export const ERROR_RATE_WARN_PCT = 1;

export type ErrorFamilyKey = 'extraction' | 'validation' | 'provider' | 'request' | 'proof' | 'merkle';

interface FamilyDef {
  key: ErrorFamilyKey;
  label: string;
  /** The type whose rows are (or, for proofs, may be) errors. */
  errorType: string;
  /** Attempt types besides errorType (whose rows are read anyway). */
  otherAttemptTypes: readonly string[];
  /** Whether errorType rows are attempts too (a failure is an attempt; a provider_error is not a health check). */
  errorTypeIsAttempt: boolean;
  /** Proof rows are all attempts; only those labelled success='false' are errors. */
  errorWhen?: (labels: Record<string, string>) => boolean;
}

const FAMILIES: readonly FamilyDef[] = [
  { key: 'extraction', label: 'extraction', errorType: 'extraction_failure', otherAttemptTypes: ['extraction_success'], errorTypeIsAttempt: true },
  { key: 'validation', label: 'validation', errorType: 'validation_fail', otherAttemptTypes: ['validation_pass'], errorTypeIsAttempt: true },
  // recordProviderHealth writes a provider_error beside each failed health_check.
  { key: 'provider', label: 'provider checks', errorType: 'provider_error', otherAttemptTypes: ['health_check'], errorTypeIsAttempt: false },
  // recordRequest writes request_count for every request and request_error for status >= 400.
  { key: 'request', label: 'requests', errorType: 'request_error', otherAttemptTypes: ['request_count'], errorTypeIsAttempt: false },
  { key: 'proof', label: 'ZK proofs', errorType: 'proof_generation', otherAttemptTypes: [], errorTypeIsAttempt: true, errorWhen: (l) => l.success === 'false' },
  { key: 'merkle', label: 'Merkle proofs', errorType: 'merkle_proof', otherAttemptTypes: [], errorTypeIsAttempt: true, errorWhen: (l) => l.success === 'false' },
];

export interface ErrorFamily {
  key: ErrorFamilyKey;
  label: string;
  errors: number;
  attempts: number;
  /** null when there were no attempts. */
  ratePct: number | null;
}

/** One row of the "top errors" table. */
export interface ErrorGroup {
  /** The metric type the errors were recorded as. */
  type: string;
  /** Where: operation, provider, state/layer, method path; "-" when the row has no such label. */
  subject: string;
  /** What: the error label, the HTTP status, or "-". */
  error: string;
  count: number;
}

export interface ErrorTriage {
  level: Level;
  windowMs: number;
  /** ISO timestamps of the window [from, to). */
  from: string;
  to: string;
  errors: number;
  attempts: number;
  /** null when there were no attempts. */
  ratePct: number | null;
  families: ErrorFamily[];
  /** The largest groups, at most `top`. */
  groups: ErrorGroup[];
  /** Groups and errors beyond the top ones. */
  moreGroups: number;
  moreErrors: number;
  /** Error rows whose labels_json was unreadable: counted, labels ignored. */
  malformedLabels: number;
  /** Tables/columns metrics.db lacks; non-empty means level unknown. */
  missing: string[];
  /** Why the level is unknown, in one sentence; empty otherwise. */
  detail: string;
}

function rateLevel(ratePct: number): Level {
  if (ratePct > ERROR_RATE_CRIT_PCT) return 'crit';
  if (ratePct > ERROR_RATE_WARN_PCT) return 'warn';
  return 'ok';
}

function subjectOf(labels: Record<string, string>): string {
  const parts: string[] = [];
  if (labels.operation) parts.push(labels.operation);
  if (labels.provider) parts.push(labels.provider);
  const stateLayer = [labels.state, labels.layer].filter(Boolean).join('/');
  if (stateLayer) parts.push(stateLayer);
  const request = [labels.method, labels.path].filter(Boolean).join(' ');
  if (request) parts.push(request);
  return parts.length > 0 ? parts.join(' ') : '-';
}

function errorOf(labels: Record<string, string>, family: FamilyDef): string {
  if (labels.error) return labels.error;
  if (labels.status) return `status ${labels.status}`;
  return family.errorWhen ? 'success=false' : '-';
}

/**
 * Error rate and the largest error groups over [now - windowMs, now). Per index range, one
 * `type IN (…)` query counts the attempt types from the covering index, one reads the error
 * rows and one the failed proofs, grouped here by labels_json.
 */
export function errorTriage(metrics: AtlasDatabase, now: Date, windowMs: number, top = 10): ErrorTriage {
  const { from, to } = windowBounds(now, windowMs);
  const base = { windowMs, from: from.toISOString(), to: to.toISOString() };
  const missing = metrics.missing(METRICS_NEEDS);
  if (missing.length > 0) {
    return {
      ...base,
      level: 'unknown',
      errors: 0,
      attempts: 0,
      ratePct: null,
      families: [],
      groups: [],
      moreGroups: 0,
      moreErrors: 0,
      malformedLabels: 0,
      missing,
      detail: `${metrics.label} lacks ${missing.join(', ')}; cannot count errors.`,
    };
  }

  return metrics.read((db) => {
    const conditional = FAMILIES.filter((f) => f.errorWhen).map((f) => f.errorType);
    const attemptCounts = countTypes(db, [...FAMILIES.flatMap((f) => f.otherAttemptTypes), ...conditional], from, to);
    const errorRows = labelGroupsByType(db, FAMILIES.filter((f) => !f.errorWhen).map((f) => f.errorType), from, to);
    const failedRows = labelGroupsByType(db, conditional, from, to, { failedOnly: true });
    const groups = new Map<string, ErrorGroup>();
    const families: ErrorFamily[] = [];
    let malformedLabels = 0;
    for (const family of FAMILIES) {
      let errors = 0;
      let errorTypeRows = 0;
      for (const g of (family.errorWhen ? failedRows : errorRows).get(family.errorType) ?? []) {
        errorTypeRows += g.count;
        const { labels, valid } = parseLabels(g.labelsJson);
        const isError = family.errorWhen ? family.errorWhen(labels) : true;
        if (!isError) continue;
        if (!valid) malformedLabels += g.count;
        errors += g.count;
        const group: ErrorGroup = { type: family.errorType, subject: subjectOf(labels), error: errorOf(labels, family), count: 0 };
        // Different labels_json texts (key order, extra labels) can name the same group.
        const key = JSON.stringify([group.type, group.subject, group.error]);
        const existing = groups.get(key) ?? group;
        existing.count += g.count;
        groups.set(key, existing);
      }
      let attempts = family.otherAttemptTypes.reduce((n, t) => n + (attemptCounts.get(t) ?? 0), 0);
      // Proof types were counted whole (all rows are attempts); error types by their rows.
      if (family.errorTypeIsAttempt) attempts += family.errorWhen ? (attemptCounts.get(family.errorType) ?? 0) : errorTypeRows;
      // Errors without their attempt rows (a recorder that wrote only one of the two) still
      // count as attempts, so a family's rate never exceeds 100 %.
      attempts = Math.max(attempts, errors);
      families.push({ key: family.key, label: family.label, errors, attempts, ratePct: attempts > 0 ? (100 * errors) / attempts : null });
    }

    const errors = families.reduce((n, f) => n + f.errors, 0);
    const attempts = families.reduce((n, f) => n + f.attempts, 0);
    const sorted = [...groups.values()].sort(
      (a, b) => b.count - a.count || a.type.localeCompare(b.type) || a.subject.localeCompare(b.subject) || a.error.localeCompare(b.error),
    );
    const shown = sorted.slice(0, Math.max(0, top));
    const ratePct = attempts > 0 ? (100 * errors) / attempts : null;
    return {
      ...base,
      level: ratePct === null ? 'unknown' : rateLevel(ratePct),
      errors,
      attempts,
      ratePct,
      families,
      groups: shown,
      moreGroups: sorted.length - shown.length,
      moreErrors: errors - shown.reduce((n, g) => n + g.count, 0),
      malformedLabels,
      missing: [],
      detail: ratePct === null ? `no metrics in the last ${formatDuration(windowMs)}` : '',
    } satisfies ErrorTriage;
  });
}
