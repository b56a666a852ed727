/**
 * Large job files: the bytes read per question are bounded (newest first, the rest named as not
 * read and why), files are parsed in a worker thread whose answer is bounded in time, and
 * stopping the bot ends a read in progress at once. Generated files in a temp dir, with small
 * bounds configured so the data stays modest.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobFileReader } from '../../src/checks/job-file-reader.js';
import { jobHealthItems, listJobs } from '../../src/checks/jobs.js';
import { buildConfig } from '../../src/config.js';
import { openAtlasStores, type AtlasStores } from '../../src/db/atlas-database.js';
import { jobsReport } from '../../src/templates/jobs-report.js';
import { renderPlainText } from '../../src/templates/plain-text.js';
import { eventually } from '../helpers/slack-harness.js';
import { tempDir } from '../helpers/test-deps.js';
import { isoAgo, jobFileObject, NOW, writeJobFile } from './data-fixtures.js';

const SILENT_WORKER = new URL('./fixtures/silent-job-file-worker.ts', import.meta.url);
const KB = 1024;

let dir: string;
let cleanup: () => void;
let stores: AtlasStores;
const readers: JobFileReader[] = [];

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  stores = openAtlasStores(dir);
});
afterEach(async () => {
  for (const r of readers.splice(0)) await r.stop();
  stores.close();
  cleanup();
});

const reader = (opts: ConstructorParameters<typeof JobFileReader>[0] = {}) => {
  const r = new JobFileReader(opts);
  readers.push(r);
  return r;
};

/** Six job files of about 250 KB (their extractions), job-0 the newest by mtime. */
function writeBigJobs(): void {
  for (let i = 0; i < 6; i++) {
    const extractions = Array.from({ length: 1000 }, (_, n) => ({ state: 'CA', layer: 'county', features: n, note: 'x'.repeat(170) }));
    writeJobFile(dir, `job-${i}.json`, jobFileObject({ jobId: `job-${i}`, createdAt: isoAgo(10 + i), completedExtractions: extractions }), i);
  }
}

describe('the bytes read per question', () => {
  it('reads the newest files up to the bound and says in the answer how many older ones were not read and why', async () => {
    writeBigJobs();
    const listing = await listJobs(stores, NOW, { limit: 10, files: { maxBytes: 1024 * KB, reader: reader() } });
    expect(statSync(path.join(dir, 'jobs', 'job-0.json')).size).toBeGreaterThan(256 * KB);
    expect(statSync(path.join(dir, 'jobs', 'job-0.json')).size).toBeLessThan(300 * KB);
    // Three files of 256-300 KB fit in 1 MB; the fourth would not.
    expect(listing.jobs.map((j) => j.id)).toEqual(['job-0', 'job-1', 'job-2']);
    expect(listing.sources.files).toMatchObject({ found: 6, read: 3, notRead: 3 });
    expect(listing.sources.files.notReadWhy).toMatch(/^3 older job file\(s\) \(0\.[78] MB\) not read: the bot reads at most 1 MB of job files per question, newest first\.$/);
    const text = renderPlainText(jobsReport(listing));
    expect(text).toContain('read the newest 3 of 6 job files (by modification time).');
    expect(text).toContain('not read: the bot reads at most 1 MB of job files per question, newest first.');

    const [active] = await jobHealthItems(stores, NOW, buildConfig(dir).thresholds, { maxBytes: 1024 * KB, reader: reader() });
    expect(active?.detail).toContain('not read: the bot reads at most 1 MB of job files per question');
  });

  it('reads every file when they fit, through the worker thread', async () => {
    writeBigJobs();
    const listing = await listJobs(stores, NOW, { limit: 10, files: { reader: reader() } });
    expect(listing.jobs).toHaveLength(6);
    expect(listing.sources.files).toMatchObject({ found: 6, read: 6, notRead: 0, notReadWhy: null });
  });
});

describe('the worker that parses', () => {
  it('a parse that never ends is given up after its time bound: the answer names the files not read', async () => {
    writeBigJobs();
    const listing = await listJobs(stores, NOW, { limit: 10, files: { reader: reader({ workerUrl: SILENT_WORKER, boundMs: 1500 }) } });
    expect(listing.jobs).toEqual([]);
    expect(listing.sources.files).toMatchObject({ found: 6, read: 0, notRead: 6 });
    expect(listing.sources.files.notReadWhy).toBe('6 job file(s) not read: reading job files took longer than 2 s.');
  });

  it('stopping (SIGTERM) ends a read in progress at once, and later questions are answered without reading', async () => {
    writeBigJobs();
    const r = reader({ workerUrl: SILENT_WORKER, boundMs: 600_000 });
    const listing = listJobs(stores, NOW, { limit: 10, files: { reader: r } });
    await eventually(() => r.pending() === 1, 'the worker reading');
    await r.stop();
    expect((await listing).sources.files.notReadWhy).toBe('6 job file(s) not read: the bot is shutting down.');
    const later = await listJobs(stores, NOW, { limit: 10, files: { reader: r } });
    expect(later.sources.files.notReadWhy).toBe('6 job file(s) not read: the bot is shutting down.');
  });
});
