/**
 * What the on-call guide's "high error rate" query meant. The guide groups `type = 'error'`
 * rows, but there is no such metric type: errors are spread over several types (DATA-CONTRACT,
 * metrics.db), each with its own denominator. This check counts them exactly over a window.
 */
import type Database from 'better-sqlite3';
import type { AtlasDatabase } from '../db/atlas-database.js';
import type { Level } from './check-item.js';
import {
  completeCoverage,
  countTypes,
  groupByLabels,
  inWindowText,
  labelGroupsByType,
  METRICS_NEEDS,
  NO_DEADLINE,
  parseLabels,
  readByDay,
  windowBounds,
  type Deadline,
  type LabelGroup,
  type WindowCoverage,
} from './metric-window.js';

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
  /** All of the window, or the newest part of it that was read within the time bound. */
  coverage: WindowCoverage;
}

export interface ErrorTriageOptions {
  /** Stops a long window between days; the answer then covers the newest days read. */
  deadline?: Deadline;
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

const ATTEMPT_TYPES = FAMILIES.flatMap((f) => f.otherAttemptTypes);
const ERROR_TYPES = FAMILIES.map((f) => f.errorType);
const COUNTED_TYPES = [...ATTEMPT_TYPES, ...ERROR_TYPES];

/**
 * Up to this many error and proof rows in a day are read and grouped here (one query per
 * range); above it SQLite groups each type (one query per type and range, half the cost per row).
 */
const FEW_ROWS = 256;

function readDay(db: Database.Database, from: Date, to: Date): DayCounts {
  const counts = countTypes(db, COUNTED_TYPES, from, to);
  const present = ERROR_TYPES.filter((t) => (counts.get(t) ?? 0) > 0);
  const rows = present.reduce((n, t) => n + (counts.get(t) ?? 0), 0);
  const groups =
    rows <= FEW_ROWS
      ? labelGroupsByType(db, present, from, to)
      : new Map(present.map((t) => [t, groupByLabels(db, t, from, to)]));
  return { attempts: counts, groups };
}

/** One day's rows: attempt counts from the covering index, error (and proof) rows grouped by labels_json. */
interface DayCounts {
  attempts: Map<string, number>;
  groups: Map<string, LabelGroup[]>;
}

/** Adds label groups of one type from several days. */
function mergeGroups(days: readonly DayCounts[], type: string): LabelGroup[] {
  const merged = new Map<string, LabelGroup>();
  for (const day of days) {
    for (const g of day.groups.get(type) ?? []) {
      const prev = merged.get(g.labelsJson);
      if (prev) {
        prev.count += g.count;
        prev.sum += g.sum;
      } else merged.set(g.labelsJson, { ...g });
    }
  }
  return [...merged.values()];
}

/**
 * Error rate and the largest error groups over [now - windowMs, now). Day by day, newest first:
 * one `type IN (…)` query per index range counts attempts and errors from the covering index;
 * then a quiet day's few error rows are read and grouped here, a busy day's are grouped by
 * SQLite per type (an aggregate per distinct label set, not a row per error), so a month with
 * millions of errors costs what reading its rows costs. Past `deadline` the answer covers the
 * days read and says so in `coverage`.
 */
export function errorTriage(metrics: AtlasDatabase, now: Date, windowMs: number, top = 10, opts: ErrorTriageOptions = {}): ErrorTriage {
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
      coverage: completeCoverage(from, to),
    };
  }

  return metrics.read((db) => {
    const read = readByDay(from, to, opts.deadline ?? NO_DEADLINE, (day) => readDay(db, day.from, day.to));
    const attemptCount = (type: string) => read.results.reduce((n, d) => n + (d.attempts.get(type) ?? 0), 0);
    const groups = new Map<string, ErrorGroup>();
    const families: ErrorFamily[] = [];
    let malformedLabels = 0;
    for (const family of FAMILIES) {
      let errors = 0;
      let errorTypeRows = 0;
      for (const g of mergeGroups(read.results, family.errorType)) {
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
      let attempts = family.otherAttemptTypes.reduce((n, t) => n + attemptCount(t), 0);
      // Rows of the error type are attempts too where they are failures or proofs.
      if (family.errorTypeIsAttempt) attempts += errorTypeRows;
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
      detail: ratePct === null ? `no metrics ${inWindowText(read.coverage)}` : '',
      coverage: read.coverage,
    } satisfies ErrorTriage;
  });
}
