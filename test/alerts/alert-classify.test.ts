import { describe, expect, it } from 'vitest';
import { classifyAlert, ruleKey } from '../../src/alerts/alert-classify.js';
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
    expect(classifyAlert('provider_down', '')).toEqual({ severity: 'P1', known: true, symptomId: 'provider-outage', runbookKey: 'upstream-failure' });
    expect(classifyAlert('extraction_failure_rate_high', '')).toMatchObject({ severity: 'P1', known: true, symptomId: 'high-error-rate' });
    expect(classifyAlert('extraction_failure_rate_warning', '')).toMatchObject({ severity: 'P2', known: true, runbookKey: 'high-error-rate' });
    expect(classifyAlert('validation_pass_rate_low', '')).toMatchObject({ severity: 'P1', symptomId: 'validation-below-80' });
    expect(classifyAlert('job_duration_regression', '')).toMatchObject({ severity: 'P2', known: true, runbookKey: 'high-latency' });
  });

  it('maps the Prometheus rule names, whatever their spelling', () => {
    expect(classifyAlert('ServiceDown', '')).toMatchObject({ severity: 'P0', symptomId: 'total-outage' });
    expect(classifyAlert('ProviderDown', '')).toMatchObject({ severity: 'P1', symptomId: 'provider-outage' });
    expect(classifyAlert('HighErrorRate', '')).toMatchObject({ severity: 'P1', symptomId: 'high-error-rate' });
    expect(classifyAlert('DiskSpaceLow', '')).toMatchObject({ severity: 'P1', known: true });
    expect(classifyAlert('SnapshotStale', '')).toMatchObject({ severity: 'P2', known: true, runbookKey: null });
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
    expect(classifyAlert('watchdog_disk_usage', '')).toMatchObject({ severity: 'P1', known: true });
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
    expect(classifyAlert('ipfs-completely-down', '')).toMatchObject({ severity: 'P0', known: true, symptomId: 'ipfs-down' });
    expect(classifyAlert('custom_check_7', 'Merkle root mismatch between snapshot and chain')).toMatchObject({
      severity: 'P0',
      known: true,
      symptomId: 'merkle-root-mismatch',
    });
  });

  it('defaults an unknown alert to P2 and says it is not known, even with a critical hint', () => {
    expect(classifyAlert('Foo_Bar', 'something odd happened', 'critical')).toEqual({ severity: 'P2', known: false, symptomId: null, runbookKey: null });
    // A stray specific word ("job") is not a whole symptom phrase.
    expect(classifyAlert('nightly_job_report', 'report generated')).toMatchObject({ known: false, severity: 'P2' });
    expect(classifyAlert('', '')).toMatchObject({ known: false });
  });
});
