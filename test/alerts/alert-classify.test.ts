import { describe, expect, it } from 'vitest';
import { classifyAlert, ruleKey, severityBasisOf, severityKnownColumn } from '../../src/alerts/alert-classify.js';
import { symptomById } from '../../src/incidents/severity-matrix.js';

describe('ruleKey', () => {
  it('folds CamelCase, dashes and underscores to one snake_case key', () => {
    expect(ruleKey('ProviderDown')).toBe('provider_down');
    expect(ruleKey('provider-down')).toBe('provider_down');
    expect(ruleKey('  provider_down ')).toBe('provider_down');
    expect(ruleKey('HighP99Latency')).toBe('high_p99_latency');
    expect(ruleKey('SLOBudgetBurnRateFast')).toBe('slo_budget_burn_rate_fast');
    expect(ruleKey('ZKProofGenerationSlow')).toBe('zk_proof_generation_slow');
  });
});

describe('classifyAlert', () => {
  it("maps the service's in-process rule names to the matrix", () => {
    expect(classifyAlert('provider_down', '')).toEqual({ severity: 'P1', basis: 'matrix', symptomId: 'provider-outage', runbookKey: 'upstream-failure' });
    expect(classifyAlert('extraction_failure_rate_high', '')).toMatchObject({ severity: 'P1', basis: 'matrix', symptomId: 'high-error-rate' });
    expect(classifyAlert('extraction_failure_rate_warning', '')).toMatchObject({ severity: 'P2', basis: 'matrix', runbookKey: 'high-error-rate' });
    expect(classifyAlert('validation_pass_rate_low', '')).toMatchObject({ severity: 'P1', symptomId: 'validation-below-80' });
    expect(classifyAlert('job_duration_regression', '')).toMatchObject({ severity: 'P2', basis: 'matrix', runbookKey: 'high-latency' });
  });

  it('maps the Prometheus rule names, whatever their spelling', () => {
    expect(classifyAlert('ServiceDown', '')).toMatchObject({ severity: 'P0', symptomId: 'total-outage' });
    expect(classifyAlert('ProviderDown', '')).toMatchObject({ severity: 'P1', symptomId: 'provider-outage' });
    expect(classifyAlert('HighErrorRate', '')).toMatchObject({ severity: 'P1', symptomId: 'high-error-rate' });
    expect(classifyAlert('DiskSpaceLow', '')).toMatchObject({ severity: 'P1', basis: 'matrix' });
    expect(classifyAlert('SnapshotStale', '')).toMatchObject({ severity: 'P2', basis: 'matrix', runbookKey: null });
    // The matrix says slow queries are P2, whatever label the rule carries.
    expect(classifyAlert('HighP99Latency', '', 'critical')).toMatchObject({ severity: 'P2', symptomId: 'slow-queries' });
  });

  it('uses the warning hint only for rules raised at both levels', () => {
    expect(classifyAlert('MemoryUsageHigh', '', 'critical').severity).toBe('P1');
    expect(classifyAlert('MemoryUsageHigh', '', 'warning').severity).toBe('P2');
    expect(classifyAlert('ServiceDown', '', 'warning').severity).toBe('P0');
  });

  it("maps the watchdog's names, one per provider and per database file", () => {
    expect(classifyAlert('watchdog_provider_census_tiger', '')).toMatchObject({ severity: 'P1', symptomId: 'provider-outage' });
    expect(classifyAlert('watchdog_integrity_persistence_db', '')).toMatchObject({ severity: 'P0', symptomId: 'database-corruption' });
    expect(classifyAlert('watchdog_query_latency_p95', '')).toMatchObject({ severity: 'P2', symptomId: 'slow-queries' });
    expect(classifyAlert('watchdog_disk_usage', '')).toMatchObject({ severity: 'P1', basis: 'matrix' });
  });

  it('names a symptom only at its own severity', () => {
    for (const name of ['extraction_failure_rate_warning', 'watchdog_proof_success', 'MemoryUsageHigh', 'DiskSpaceLow', 'watchdog_integrity_metrics_db']) {
      for (const hint of [undefined, 'warning', 'critical'] as const) {
        const c = classifyAlert(name, '', hint);
        if (c.symptomId) expect(symptomById(c.symptomId)?.severity).toBe(c.severity);
      }
    }
  });

  it("falls back to the matrix's phrases in the name, then in the message", () => {
    expect(classifyAlert('ipfs-completely-down', '')).toMatchObject({ severity: 'P0', basis: 'matrix', symptomId: 'ipfs-down' });
    expect(classifyAlert('custom_check_7', 'Merkle root mismatch between snapshot and chain')).toMatchObject({
      severity: 'P0',
      basis: 'matrix',
      symptomId: 'merkle-root-mismatch',
    });
  });

  it("takes the source's own severity when the matrix does not know the alert", () => {
    expect(classifyAlert('replica_lag_high', 'replica 2 is 40 s behind', 'critical')).toEqual({ severity: 'P1', basis: 'source', symptomId: null, runbookKey: null });
    expect(classifyAlert('ReplicaLagHigh', '', 'warning')).toEqual({ severity: 'P2', basis: 'source', symptomId: null, runbookKey: null });
  });

  it('keeps the matrix or rule severity whatever the source says', () => {
    // The matrix puts slow queries at P2 even when the Prometheus rule says critical.
    expect(classifyAlert('HighP99Latency', '', 'critical')).toMatchObject({ severity: 'P2', basis: 'matrix' });
    expect(classifyAlert('provider_down', '', 'warning')).toMatchObject({ severity: 'P1', basis: 'matrix' });
    expect(classifyAlert('ipfs-completely-down', '', 'warning')).toMatchObject({ severity: 'P0', basis: 'matrix' });
  });

  it('defaults an unknown alert without a severity from its source to P2 and says so', () => {
    expect(classifyAlert('Foo_Bar', 'something odd happened')).toEqual({ severity: 'P2', basis: 'default', symptomId: null, runbookKey: null });
    // A stray specific word ("job") is not a whole symptom phrase.
    expect(classifyAlert('nightly_job_report', 'report generated')).toMatchObject({ basis: 'default', severity: 'P2' });
    expect(classifyAlert('', '')).toMatchObject({ basis: 'default' });
  });

  it('stores the basis in the severity_known column as 0 default, 1 matrix, 2 source', () => {
    expect(severityKnownColumn(classifyAlert('Foo_Bar', ''))).toBe(0);
    expect(severityKnownColumn(classifyAlert('provider_down', ''))).toBe(1);
    expect(severityKnownColumn(classifyAlert('Foo_Bar', '', 'critical'))).toBe(2);
    expect(severityBasisOf(0)).toBe('default');
    expect(severityBasisOf(1)).toBe('matrix');
    expect(severityBasisOf(2)).toBe('source');
    // A value this version does not know reads as the P2 default, never as a matrix match.
    expect(severityBasisOf(7)).toBe('default');
  });
});
