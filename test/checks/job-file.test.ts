import { describe, expect, it } from 'vitest';
import { parseJobFile } from '../../src/db/job-file.js';
import { jobFileObject } from './data-fixtures.js';

const ID = 'job-mbx3k2a1-1a2b3c4d';

describe('parseJobFile', () => {
  it('accepts a file as the orchestrator writes it and keeps fields the bot does not know', () => {
    const obj = jobFileObject({ jobId: ID, futureField: { x: 1 } });
    const result = parseJobFile(JSON.stringify(obj), `${ID}.json`);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.job.jobId).toBe(ID);
    expect(result.job.status).toBe('running');
    expect(result.job.progress.totalTasks).toBe(2);
    expect((result.job as Record<string, unknown>).futureField).toEqual({ x: 1 });
  });

  it('accepts an older file without notConfiguredTasks', () => {
    const obj = jobFileObject({ jobId: ID });
    delete obj.notConfiguredTasks;
    expect(parseJobFile(JSON.stringify(obj)).ok).toBe(true);
  });

  it('refuses text that is not JSON', () => {
    expect(parseJobFile('{"jobId": "job-x", ', `${ID}.json`)).toEqual({ ok: false, reason: 'not valid JSON' });
  });

  it('names the first wrong field of valid JSON with the wrong shape', () => {
    const obj = jobFileObject({ jobId: ID, progress: { totalTasks: -1, completedTasks: 0, failedTasks: 0 } });
    const result = parseJobFile(JSON.stringify(obj));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/^progress\.totalTasks: /);
  });

  it('refuses an unknown status, a bad timestamp and a JSON array', () => {
    expect(parseJobFile(JSON.stringify(jobFileObject({ jobId: ID, status: 'paused' }))).ok).toBe(false);
    const badTime = parseJobFile(JSON.stringify(jobFileObject({ jobId: ID, updatedAt: 'yesterday' })));
    expect(badTime.ok).toBe(false);
    if (!badTime.ok) expect(badTime.reason).toMatch(/^updatedAt: /);
    expect(parseJobFile('[1, 2, 3]').ok).toBe(false);
  });

  it('refuses a jobId that could be a path, and one that does not match its file name', () => {
    const hostile = parseJobFile(JSON.stringify(jobFileObject({ jobId: '../../etc/passwd' })));
    expect(hostile.ok).toBe(false);
    if (!hostile.ok) expect(hostile.reason).toMatch(/^jobId: /);
    const mismatch = parseJobFile(JSON.stringify(jobFileObject({ jobId: ID })), 'job-other.json');
    expect(mismatch).toEqual({ ok: false, reason: `jobId ${ID} does not match the file name` });
  });
});
