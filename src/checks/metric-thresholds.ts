/**
 * The metric rows of the on-call guide's dashboard (DATA-CONTRACT, "Thresholds"), measured
 * over a window of metrics.db and judged against the configured target/alert bands. `health`
 * puts these items beside its other checks.
 */
import type { Thresholds } from '../config.js';
import type { AtlasDatabase } from '../db/atlas-database.js';
import { formatDuration } from '../time/atlas-time.js';
import { bandLevel, bandText, unknownItem, type Band, type CheckItem } from './check-item.js';
import {
  aggregateByType,
  countByType,
  groupByLabels,
  METRICS_NEEDS,
  parseLabels,
  percentileInWindow,
  windowBounds,
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

/**
 * One CheckItem per dashboard metric over [now - windowMs, now): proof success, extraction
 * success, validation pass, availability per provider label, average job duration and the
 * p95 of db_query latency. No rows in the window is `unknown` (nothing measured), not a failure.
 */
export function metricThresholdItems(metrics: AtlasDatabase, now: Date, windowMs: number, t: Thresholds): CheckItem[] {
  const missing = metrics.missing(METRICS_NEEDS);
  if (missing.length > 0) {
    const detail = `${metrics.label} lacks ${missing.join(', ')}`;
    return (Object.keys(METRIC_ITEM_KEYS) as (keyof typeof METRIC_ITEM_KEYS)[]).map((k) =>
      unknownItem(METRIC_ITEM_KEYS[k], LABELS[k], detail),
    );
  }
  const { from, to } = windowBounds(now, windowMs);
  const inWindow = `in the last ${formatDuration(windowMs)}`;

  return metrics.read((db) => {
    const items: CheckItem[] = [];

    // proof_generation's value is latency; success is the `success` label.
    let proofOk = 0;
    let proofLabelled = 0;
    let proofUnlabelled = 0;
    for (const g of groupByLabels(db, 'proof_generation', from, to)) {
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

    const counts = countByType(db, ['extraction_success', 'extraction_failure', 'validation_pass', 'validation_fail'], from, to);
    const n = (type: string) => counts.get(type) ?? 0;
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
    for (const g of groupByLabels(db, 'health_check', from, to)) {
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

    const jobs = aggregateByType(db, ['job_duration'], from, to).get('job_duration');
    if (!jobs || jobs.count === 0) {
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

    const p95 = percentileInWindow(db, 'db_query', from, to, 0.95);
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
  });
}
