/**
 * The metric rows of the on-call guide's dashboard (DATA-CONTRACT, "Thresholds"), measured
 * over a window of metrics.db and judged against the configured target/alert bands. `health`
 * puts these items beside its other checks.
 */
import type { Thresholds } from '../config.js';
import type { AtlasDatabase } from '../db/atlas-database.js';
import { bandLevel, bandText, unknownItem, type Band, type CheckItem } from './check-item.js';
import {
  aggregateByType,
  completeCoverage,
  countTypes,
  coverageOf,
  DEFAULT_MAX_TAIL,
  EMPTY_AGGREGATE,
  groupByLabels,
  hasRollups,
  inWindowText,
  mergeAggregate,
  METRICS_NEEDS,
  NO_DEADLINE,
  parseLabels,
  percentileOfTails,
  readByDay,
  tailSize,
  topValues,
  windowBounds,
  type Aggregate,
  type Deadline,
  type LabelGroup,
  type WindowCoverage,
} from './metric-window.js';

/** Item keys, stable for the health template and --json consumers. */
export const METRIC_ITEM_KEYS = {
  proofSuccess: 'proof_success',
  extractionSuccess: 'extraction_success',
  validationPass: 'validation_pass',
  providerAvailability: 'provider_availability',
  jobDuration: 'job_duration',
  queryLatencyP95: 'query_latency_p95',
} as const;

const LABELS = {
  proofSuccess: 'Proof generation success',
  extractionSuccess: 'Extraction success',
  validationPass: 'Validation pass',
  providerAvailability: 'Provider availability',
  jobDuration: 'Job duration (avg)',
  queryLatencyP95: 'Query latency p95',
} as const;

const UNLABELLED_PROVIDER = '(no provider label)';

/** Values are compared as shown (two decimals), so a reader never sees "90.00 %" judged below 90. */
function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function measured(
  key: string,
  label: string,
  value: number,
  unit: CheckItem['unit'],
  band: Band,
  better: 'higher' | 'lower',
  detail: string,
): CheckItem {
  const v = round2(value);
  return { key, label, level: bandLevel(v, band, better), value: v, unit, ...bandText(band, better, unit), detail };
}

/** A share of successes, or unknown when the window has no rows of the types. */
function pctItem(
  key: string,
  label: string,
  ok: number,
  total: number,
  band: Band,
  noun: string,
  types: string,
  inWindow: string,
  note = '',
): CheckItem {
  if (total === 0) return unknownItem(key, label, `no ${types} rows ${inWindow}${note}`, '%');
  return measured(key, label, (100 * ok) / total, '%', band, 'higher', `${count(ok)} of ${count(total)} ${noun} ${inWindow}${note}`);
}

export interface MetricThresholds {
  items: CheckItem[];
  /** All of the window, or the newest part of it that was read within the time bound. */
  coverage: WindowCoverage;
}

export interface MetricThresholdOptions {
  /** Stops a long window between days; the items then cover the newest days read. */
  deadline?: Deadline;
}

const COUNTED_TYPES = ['extraction_success', 'extraction_failure', 'validation_pass', 'validation_fail', 'db_query'];
const P95 = 0.95;

/** What one day of the window holds for the dashboard. */
interface DayRows {
  proofs: LabelGroup[];
  counts: Map<string, number>;
  healthChecks: LabelGroup[];
  jobs: Aggregate;
}

function sumOver<T>(days: readonly T[], f: (day: T) => number): number {
  return days.reduce((n, d) => n + f(d), 0);
}

/**
 * One CheckItem per dashboard metric over [now - windowMs, now): proof success, extraction
 * success, validation pass, availability per provider label, average job duration and the
 * p95 of db_query latency. No rows in the window is `unknown` (nothing measured), not a failure.
 * The window is read day by day, newest first: first every day's counts and groups, then the
 * latency tail for the p95. Past `deadline` the items cover the days fully read, and say so.
 */
export function metricThresholds(
  metrics: AtlasDatabase,
  now: Date,
  windowMs: number,
  t: Thresholds,
  opts: MetricThresholdOptions = {},
): MetricThresholds {
  const { from, to } = windowBounds(now, windowMs);
  const missing = metrics.missing(METRICS_NEEDS);
  if (missing.length > 0) {
    const detail = `${metrics.label} lacks ${missing.join(', ')}`;
    return {
      items: (Object.keys(METRIC_ITEM_KEYS) as (keyof typeof METRIC_ITEM_KEYS)[]).map((k) => unknownItem(METRIC_ITEM_KEYS[k], LABELS[k], detail)),
      coverage: completeCoverage(from, to),
    };
  }
  const deadline = opts.deadline ?? NO_DEADLINE;

  return metrics.read((db) => {
    const firstPass = readByDay(from, to, deadline, (day): DayRows => ({
      proofs: groupByLabels(db, 'proof_generation', day.from, day.to),
      counts: countTypes(db, COUNTED_TYPES, day.from, day.to),
      healthChecks: groupByLabels(db, 'health_check', day.from, day.to),
      jobs: aggregateByType(db, ['job_duration'], day.from, day.to).get('job_duration') ?? EMPTY_AGGREGATE,
    }));
    // The p95 needs the count of the days read before their tails; a tail is the k largest
    // values of a day, k from the count. If the bound passes while tails are read, the answer
    // keeps the days whose tail was read: the top k' (k' <= k) of fewer days is in their tails.
    const queries = sumOver(firstPass.results, (d) => d.counts.get('db_query') ?? 0);
    const { k } = tailSize(queries, P95, DEFAULT_MAX_TAIL);
    const tails: number[][] = [];
    const oldestRead = firstPass.days[firstPass.days.length - 1];
    if (hasRollups(db) && oldestRead) {
      // With rollups the whole days' tails come from their value histograms in one read of k
      // values, instead of k values a day merged here (30 x 20,000 on a month of db_query).
      tails.push(k > 0 && queries > 0 ? topValues(db, 'db_query', oldestRead.from, to, k) : []);
      for (let i = 1; i < firstPass.days.length; i++) tails.push([]);
    } else {
      for (const [i, day] of firstPass.days.entries()) {
        if (i > 0 && deadline.passed()) break;
        tails.push(k > 0 && (firstPass.results[i]?.counts.get('db_query') ?? 0) > 0 ? topValues(db, 'db_query', day.from, day.to, k) : []);
      }
    }
    const days = firstPass.results.slice(0, tails.length);
    const coverage = tails.length === firstPass.days.length ? firstPass.coverage : coverageOf(from, to, firstPass.days.slice(0, tails.length), deadline);
    const p95 = percentileOfTails(sumOver(days, (d) => d.counts.get('db_query') ?? 0), tails, P95, DEFAULT_MAX_TAIL);
    return { items: thresholdItems(days, p95, inWindowText(coverage), t), coverage };
  });
}

function thresholdItems(days: readonly DayRows[], p95: ReturnType<typeof percentileOfTails>, inWindow: string, t: Thresholds): CheckItem[] {
  const items: CheckItem[] = [];

  // proof_generation's value is latency; success is the `success` label.
  let proofOk = 0;
  let proofLabelled = 0;
  let proofUnlabelled = 0;
  for (const g of days.flatMap((d) => d.proofs)) {
    const success = parseLabels(g.labelsJson).labels.success;
    if (success === 'true' || success === 'false') {
      proofLabelled += g.count;
      if (success === 'true') proofOk += g.count;
    } else proofUnlabelled += g.count;
  }
  if (proofLabelled === 0 && proofUnlabelled > 0) {
    items.push(
      unknownItem(
        METRIC_ITEM_KEYS.proofSuccess,
        LABELS.proofSuccess,
        `${count(proofUnlabelled)} proof_generation rows ${inWindow}, none with a success label`,
        '%',
      ),
    );
  } else {
    const proofNote = proofUnlabelled > 0 ? `; ${count(proofUnlabelled)} rows without a success label ignored` : '';
    items.push(
      pctItem(METRIC_ITEM_KEYS.proofSuccess, LABELS.proofSuccess, proofOk, proofLabelled, t.proofSuccessPct, 'proofs', 'proof_generation', inWindow, proofNote),
    );
  }

  const n = (type: string) => sumOver(days, (d) => d.counts.get(type) ?? 0);
  items.push(
    pctItem(
      METRIC_ITEM_KEYS.extractionSuccess,
      LABELS.extractionSuccess,
      n('extraction_success'),
      n('extraction_success') + n('extraction_failure'),
      t.extractionSuccessPct,
      'extractions',
      'extraction_success/extraction_failure',
      inWindow,
    ),
    pctItem(
      METRIC_ITEM_KEYS.validationPass,
      LABELS.validationPass,
      n('validation_pass'),
      n('validation_pass') + n('validation_fail'),
      t.validationPassPct,
      'validations',
      'validation_pass/validation_fail',
      inWindow,
    ),
  );

  // Availability is AVG(health_check value) per provider label, as the service computes it.
  const providers = new Map<string, { count: number; sum: number }>();
  for (const g of days.flatMap((d) => d.healthChecks)) {
    const name = parseLabels(g.labelsJson).labels.provider || UNLABELLED_PROVIDER;
    const p = providers.get(name) ?? { count: 0, sum: 0 };
    p.count += g.count;
    p.sum += g.sum;
    providers.set(name, p);
  }
  if (providers.size === 0) {
    items.push(unknownItem(METRIC_ITEM_KEYS.providerAvailability, LABELS.providerAvailability, `no health_check rows ${inWindow}`, '%'));
  }
  for (const [name, p] of [...providers.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const avg = p.sum / p.count;
    // health_check is 1 (available) or 0; an average outside 0..1 is not an availability.
    if (!(avg >= 0 && avg <= 1)) {
      items.push(
        unknownItem(
          `provider:${name}`,
          `${LABELS.providerAvailability}: ${name}`,
          `health_check values are not 0/1 (average ${round2(avg)} over ${count(p.count)} rows ${inWindow}); cannot read availability`,
          '%',
        ),
      );
      continue;
    }
    items.push(
      measured(
        `provider:${name}`,
        `${LABELS.providerAvailability}: ${name}`,
        100 * avg,
        '%',
        t.providerAvailabilityPct,
        'higher',
        `average of ${count(p.count)} health checks ${inWindow}`,
      ),
    );
  }

  const jobs = days.reduce((agg, d) => mergeAggregate(agg, d.jobs), EMPTY_AGGREGATE);
  if (jobs.count === 0) {
    items.push(unknownItem(METRIC_ITEM_KEYS.jobDuration, LABELS.jobDuration, `no job_duration rows ${inWindow}`, 's'));
  } else {
    const maxS = (jobs.max ?? 0) / 1000;
    items.push(
      measured(
        METRIC_ITEM_KEYS.jobDuration,
        LABELS.jobDuration,
        jobs.sum / jobs.count / 1000,
        's',
        t.jobDurationSec,
        'lower',
        `average of ${count(jobs.count)} jobs ${inWindow} (longest ${round2(maxS)} s)`,
      ),
    );
  }

  if (p95.value === null) {
    items.push(unknownItem(METRIC_ITEM_KEYS.queryLatencyP95, LABELS.queryLatencyP95, `no db_query rows ${inWindow}`, 's'));
  } else {
    items.push(
      measured(
        METRIC_ITEM_KEYS.queryLatencyP95,
        LABELS.queryLatencyP95,
        p95.value / 1000,
        's',
        t.queryLatencyP95Sec,
        'lower',
        `p95 of ${count(p95.count)} queries ${inWindow}${p95.exact ? '' : ' (upper bound: too many rows for an exact tail)'}`,
      ),
    );
  }
  return items;
}
