import { describe, expect, it } from 'vitest';
import { GB, type DiskUsage } from '../../src/checks/disk.js';
import type { IntegrityVerdict } from '../../src/checks/integrity.js';
import type { ProvidersResult, ProviderStatus } from '../../src/checks/providers.js';
import { selectRunbook } from '../../src/incidents/runbook-selector.js';
import { buildConfig } from '../../src/config.js';
import { diskItems } from '../../src/checks/disk.js';
import { diskReport } from '../../src/templates/disk-report.js';
import { integrityReport } from '../../src/templates/integrity-report.js';
import { renderPlainText } from '../../src/templates/plain-text.js';
import { providersReport } from '../../src/templates/providers-report.js';
import { runbookReport } from '../../src/templates/runbook-report.js';

const config = buildConfig('/nowhere');
const band = config.thresholds.providerAvailabilityPct;

function provider(name: string, probe: Partial<ProviderStatus['probe']> = {}, lastHour: ProviderStatus['lastHour'] = null): ProviderStatus {
  return {
    name,
    url: `https://${name}.test/`,
    probe: { ok: true, status: 200, latencyMs: 120, error: null, ...probe },
    hint: null,
    metricLabel: null,
    lastHour,
    lastDay: null,
  };
}

const result = (providers: ProviderStatus[], extra: Partial<ProvidersResult> = {}): ProvidersResult => ({
  timeoutMs: 10_000,
  providers,
  unconfigured: [],
  availabilityProblem: null,
  unlabelledRows: 0,
  ...extra,
});

describe('providersReport', () => {
  it('says which provider is down and how, in the order of urgency', () => {
    const r = providersReport(
      result([provider('ArcGIS Hub', { latencyMs: 240 }), provider('Census TIGER', { ok: false, status: null, latencyMs: null, error: { kind: 'timeout', message: 'timeout after 10 s' } })]),
      band,
    );
    expect(r.headline).toBe('Census TIGER down (timeout after 10 s), ArcGIS Hub ok (240 ms)');
    expect(r.level).toBe('crit');
  });

  it('flags a slow provider and a rate-limited one as warnings', () => {
    const r = providersReport(result([provider('a', { latencyMs: 3500 }), provider('b', { ok: false, status: 429 })]), band);
    expect(r.level).toBe('warn');
    expect(r.headline).toBe('a slow (3500 ms), b rate-limiting (HTTP 429)');
  });

  it('summarises many providers instead of listing them all', () => {
    const many = Array.from({ length: 7 }, (_, i) => provider(`p${i}`, { latencyMs: 100 + i }));
    expect(providersReport(result(many), band).headline).toBe('all 7 providers ok (100–106 ms)');
    many[3] = provider('p3', { ok: false, status: 503, latencyMs: 20, error: { kind: 'http', message: 'HTTP 503' } });
    expect(providersReport(result(many), band).headline).toBe('1 of 7 providers need attention: p3 down (HTTP 503); 6 ok');
  });

  it('lists providers seen only in metrics, and why availability is missing', () => {
    const text = renderPlainText(
      providersReport(
        result([provider('Census TIGER')], {
          unconfigured: [{ label: 'UK ONS', lastHour: { pct: 50, samples: 2 }, lastDay: null }],
          availabilityProblem: 'metrics.db is locked by a writer; try again in a few seconds.',
        }),
        band,
      ),
    );
    expect(text).toContain('Seen in metrics, not in the config');
    expect(text).toContain('UK ONS');
    expect(text).toContain('50 % (2)');
    expect(text).toContain('Availability unknown: metrics.db is locked');
  });

  it('is unknown with no providers configured', () => {
    const r = providersReport(result([]), band);
    expect(r.level).toBe('unknown');
  });
});

describe('diskReport', () => {
  const usage = (usedPct: number, dbBytes: number): DiskUsage => {
    const base = {
      dataDir: '/data',
      filesystem: { totalBytes: 100 * GB, freeBytes: (100 - usedPct) * GB, usedPct },
      filesystemError: null,
      databases: [{ label: 'persistence.db', file: '/data/persistence.db', dbBytes, walBytes: 1024 }],
      databaseBytes: dbBytes + 1024,
      backups: { bytes: 3 * GB, files: 4, truncated: false },
      backupsError: null,
      backupsDir: '/data/backups',
    };
    return { ...base, items: diskItems(base, config.thresholds) };
  };

  it('puts the verdict first: "disk 91 % used: crit"', () => {
    const r = diskReport(usage(91, GB));
    expect(r.level).toBe('crit');
    expect(r.headline).toBe('disk 91 % used: crit (9 GB free)');
  });

  it('adds the database size to the headline when it is the problem', () => {
    const r = diskReport(usage(40, 12 * GB));
    expect(r.level).toBe('crit');
    expect(r.headline).toBe('disk 40 % used: ok (60 GB free); databases 12 GB: crit');
    expect(renderPlainText(r)).toMatch(/backups\/\s+3 GB\s+4 files/);
  });
});

describe('integrityReport', () => {
  const verdict = (v: Partial<IntegrityVerdict>): IntegrityVerdict => ({
    file: '/data/persistence.db',
    label: 'persistence.db',
    mode: 'full',
    ok: true,
    problems: [],
    truncated: false,
    durationMs: 1234,
    problem: null,
    role: 'persistence',
    level: 'ok',
    ...v,
  });

  it('gives the time in seconds for long checks and the problem for locked files', () => {
    const r = integrityReport([
      verdict({}),
      verdict({ label: 'metrics.db', role: 'metrics', ok: false, level: 'unknown', problem: { kind: 'locked', message: 'metrics.db is locked by a writer; try again in a few seconds.' } }),
    ]);
    expect(r.headline).toBe('persistence.db: ok (integrity_check 1.2 s); metrics.db is locked by a writer; try again in a few seconds.');
    expect(r.level).toBe('unknown');
    expect(r.footer).toBeUndefined();
  });

  it('says "1 problem" in the singular and flattens multi-line problems', () => {
    const r = integrityReport([verdict({ ok: false, level: 'crit', problems: ['row 3 missing\nfrom index t_v'] })]);
    expect(r.headline).toBe('persistence.db: 1 problem, first: row 3 missing from index t_v');
  });
});

describe('runbookReport', () => {
  it('uses the configured link and lists the steps numbered', () => {
    const r = runbookReport(selectRunbook('ipfs slow', buildConfig('/nowhere', { runbooks: { 'ipfs-unavailable': 'https://wiki.example/ipfs' } })), '/atlas');
    expect(r.headline).toBe('IPFS pinning or retrieval failing → P1, respond within 1 h: IPFS unavailable runbook');
    expect(r.sections[0]?.lines?.[0]).toMatch(/^1\. `\/atlas snapshots`: /);
    expect(r.footer).toBe('Full runbook: https://wiki.example/ipfs');
  });

  it('says P3 goes to the backlog', () => {
    const r = runbookReport(selectRunbook('docs wrong', config));
    expect(r.headline).toBe('documentation gap → P3, respond by the next business day: no runbook, put it in the team backlog');
  });
});
