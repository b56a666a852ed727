import { rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { classifyFetchError, probeHint, probeProviders, providerLevel, type ProviderStatus } from '../../src/checks/providers.js';
import { AtlasDatabase } from '../../src/db/atlas-database.js';
import { createAtlasFiles, tempDir, TEST_NOW } from '../helpers/test-deps.js';
import { BOUND_MS, NEVER_MS } from '../helpers/busy-machine.js';

const now = new Date(TEST_NOW);
const band = { target: 95, alert: 95 };

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterAll(() => {
  nock.enableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});

function insertHealthChecks(db: Database.Database, rows: [labels: string, value: number, at: string][]) {
  const insert = db.prepare("INSERT INTO metrics (type, value, labels_json, recorded_at) VALUES ('health_check', ?, ?, ?)");
  for (const [labels, value, at] of rows) insert.run(value, labels, at);
}

const tiger = (p: string) => JSON.stringify({ provider: p });

describe('probeProviders', () => {
  let tmp: ReturnType<typeof tempDir>;
  let metrics: AtlasDatabase;

  beforeEach(() => {
    tmp = tempDir();
    const files = createAtlasFiles(tmp.dir);
    insertHealthChecks(files.metrics, [
      // last hour, all three formats: 1 of 3 available
      [tiger('Census TIGER'), 0, '2026-11-26 11:30:00'],
      [tiger('census tiger'), 0, '2026-11-26T11:45:00.000Z'],
      [tiger('Census TIGER'), 1, '2026-11-26T11:50:00'],
      // earlier today and across midnight, inside 24 h
      [tiger('Census TIGER'), 1, '2026-11-26 02:00:00'],
      [tiger('Census TIGER'), 1, '2026-11-26T10:00:00.000Z'],
      [tiger('Census TIGER'), 1, '2026-11-25T13:00:00.000Z'],
      // outside 24 h, and in the future: never counted
      [tiger('Census TIGER'), 0, '2026-11-25 11:59:59'],
      [tiger('Census TIGER'), 0, '2026-11-25T11:00:00Z'],
      [tiger('Census TIGER'), 0, '2026-11-26 12:30:00'],
      [tiger('ArcGIS Hub'), 1, '2026-11-26 11:40:00'],
      [tiger('ArcGIS Hub'), 1, '2026-11-26T11:41:00.123Z'],
      [tiger('UK ONS'), 1, '2026-11-26 11:42:00'],
      ['not json', 1, '2026-11-26 11:43:00'],
      ['{"provider": 5}', 1, '2026-11-26 11:43:00'],
      ['[]', 1, '2026-11-26 11:43:00'],
    ]);
    // Another type carrying a provider label must not count as a health check.
    files.metrics.prepare("INSERT INTO metrics (type, value, labels_json, recorded_at) VALUES ('provider_latency', 900, ?, '2026-11-26 11:44:00')").run(tiger('Census TIGER'));
    files.metrics.close();
    files.persistence.close();
    metrics = new AtlasDatabase(path.join(tmp.dir, 'metrics.db'));
  });
  afterEach(() => {
    metrics.close();
    tmp.cleanup();
  });

  it('sets each probe next to availability over 1 h and 24 h, exact across timestamp formats', async () => {
    nock('https://tiger.test').get('/ok').reply(200, '{"ok":true}');
    nock('https://hub.test').get('/api').reply(503, 'maintenance');
    const result = await probeProviders(
      [
        { name: 'Census TIGER', url: 'https://tiger.test/ok' },
        { name: 'ArcGIS Hub', url: 'https://hub.test/api' },
        { name: 'Colorado portal', url: 'https://co.test/' },
      ],
      fetch,
      metrics,
      now,
      2000,
    );
    const [t, h, co] = result.providers;
    expect(t).toMatchObject({
      name: 'Census TIGER',
      probe: { ok: true, status: 200, error: null },
      hint: null,
      metricLabel: 'Census TIGER',
      lastHour: { pct: 33.3, samples: 3 },
      lastDay: { pct: 66.7, samples: 6 },
    });
    expect(t?.probe.latencyMs).toBeGreaterThanOrEqual(0);
    expect(h).toMatchObject({ probe: { ok: false, status: 503 }, lastHour: { pct: 100, samples: 2 } });
    expect(h?.hint).toMatch(/^503: .*wait and retry/);
    expect(co).toMatchObject({ probe: { ok: false, status: null, error: { kind: 'connection' } }, lastHour: null, lastDay: null });
    expect(result.unconfigured).toEqual([{ label: 'UK ONS', lastHour: { pct: 100, samples: 1 }, lastDay: { pct: 100, samples: 1 } }]);
    expect(result.unlabelledRows).toBe(3);
    expect(result.availabilityProblem).toBeNull();
  });

  it('classifies failures and gives the runbook decision tree hint for each', async () => {
    nock('https://p.test')
      .get('/404')
      .reply(404)
      .get('/429')
      .reply(429)
      .get('/401')
      .reply(401)
      .get('/500')
      .reply(500)
      .get('/slow')
      .delay(NEVER_MS)
      .reply(200)
      .get('/dns')
      .replyWithError({ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND p.test' })
      .get('/tls')
      .replyWithError({ code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' });
    const names = ['404', '429', '401', '500', 'slow', 'dns', 'tls'];
    const result = await probeProviders(
      names.map((n) => ({ name: n, url: `https://p.test/${n}` })),
      fetch,
      metrics,
      now,
      // The others answer at once, within this bound even on a busy machine; /slow never does.
      BOUND_MS,
    );
    const by = Object.fromEntries(result.providers.map((p) => [p.name, p]));
    expect(by['404']?.hint).toMatch(/update the registry URL/);
    expect(by['429']?.hint).toMatch(/back off/);
    expect(by['401']?.hint).toMatch(/credentials/);
    expect(by['500']?.hint).toMatch(/server error/);
    expect(by.slow?.probe).toMatchObject({ ok: false, status: null, latencyMs: null, error: { kind: 'timeout', message: `timeout after ${BOUND_MS / 1000} s` } });
    expect(by.slow?.hint).toMatch(/check the network/);
    expect(by.dns?.probe.error).toEqual({ kind: 'dns', message: 'DNS lookup failed: ENOTFOUND' });
    expect(by.tls?.probe.error).toEqual({ kind: 'tls', message: 'TLS error: CERT_HAS_EXPIRED' });
    expect(by.tls?.hint).toMatch(/contact the provider/);
  });

  it('probes in parallel: a provider that answers only after another was asked still succeeds', async () => {
    let secondAsked!: () => void;
    const asked = new Promise<void>((resolve) => {
      secondAsked = resolve;
    });
    nock('https://first.test')
      .get('/')
      .reply(async () => {
        await asked;
        return [200, 'ok'];
      });
    nock('https://second.test')
      .get('/')
      .reply(() => {
        secondAsked();
        return [200, 'ok'];
      });
    const result = await probeProviders(
      [
        { name: 'first', url: 'https://first.test/' },
        { name: 'second', url: 'https://second.test/' },
      ],
      fetch,
      metrics,
      now,
      3000,
    );
    expect(result.providers.map((p) => p.probe.ok)).toEqual([true, true]);
  });

  it('still probes when metrics.db is missing, and says why availability is empty', async () => {
    metrics.close();
    rmSync(metrics.file);
    nock('https://tiger.test').get('/ok').reply(200);
    const result = await probeProviders([{ name: 'Census TIGER', url: 'https://tiger.test/ok' }], fetch, metrics, now, 1000);
    expect(result.providers[0]?.probe.ok).toBe(true);
    expect(result.providers[0]?.lastHour).toBeNull();
    expect(result.availabilityProblem).toMatch(/metrics\.db not found/);
  });

  it('names the missing column when metrics.db has another schema', async () => {
    metrics.close();
    rmSync(metrics.file);
    const db = new Database(metrics.file);
    db.exec('CREATE TABLE metrics (id INTEGER PRIMARY KEY, type TEXT, value REAL, recorded_at TEXT)');
    db.close();
    nock('https://tiger.test').get('/ok').reply(200);
    const result = await probeProviders([{ name: 'Census TIGER', url: 'https://tiger.test/ok' }], fetch, metrics, now, 1000);
    expect(result.availabilityProblem).toBe('metrics.db lacks metrics.labels_json');
    expect(result.providers[0]?.probe.ok).toBe(true);
  });

  it('never throws, even when fetch itself throws synchronously', async () => {
    const broken = (() => {
      throw new Error('fetch exploded');
    }) as unknown as typeof fetch;
    const result = await probeProviders([{ name: 'x', url: 'https://x.test/' }], broken, metrics, now, 1000);
    expect(result.providers[0]?.probe).toMatchObject({ ok: false, error: { kind: 'other', message: 'fetch exploded' } });
  });
});

describe('provider verdicts', () => {
  const status = (probe: Partial<ProviderStatus['probe']>, lastHour: ProviderStatus['lastHour'] = null): ProviderStatus => ({
    name: 'p',
    url: 'https://p.test/',
    probe: { ok: true, status: 200, latencyMs: 10, error: null, ...probe },
    hint: null,
    metricLabel: null,
    lastHour,
    lastDay: null,
  });

  it('down is crit, rate-limited is a warning, answering but with a bad last hour is a warning', () => {
    expect(providerLevel(status({}), band)).toBe('ok');
    expect(providerLevel(status({}, { pct: 96, samples: 10 }), band)).toBe('ok');
    expect(providerLevel(status({}, { pct: 60, samples: 10 }), band)).toBe('warn');
    expect(providerLevel(status({ ok: false, status: 503 }), band)).toBe('crit');
    expect(providerLevel(status({ ok: false, status: 429 }), band)).toBe('warn');
    // The high-latency runbook's red flag: slower than 2 s.
    expect(providerLevel(status({ latencyMs: 2500 }), band)).toBe('warn');
    expect(providerLevel(status({ latencyMs: 2000 }), band)).toBe('ok');
  });

  it('reads the undici error shape (TypeError "fetch failed" with a cause)', () => {
    const wrapped = new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo EAI_AGAIN x'), { code: 'EAI_AGAIN' }) });
    expect(classifyFetchError(wrapped, 1000)).toEqual({ kind: 'dns', message: 'DNS lookup failed: EAI_AGAIN' });
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    expect(classifyFetchError(refused, 1000).kind).toBe('connection');
    expect(classifyFetchError(new DOMException('aborted', 'TimeoutError'), 10_000)).toEqual({ kind: 'timeout', message: 'timeout after 10 s' });
    expect(probeHint({ ok: true, status: 200, latencyMs: 1, error: null })).toBeNull();
  });
});
