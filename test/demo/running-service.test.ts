/**
 * The stood-in Shadow Atlas service as the sandbox runs it: its data moves with the clock, and
 * each scenario's alerts fire and resolve in metrics.db at their minute.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { generateAtlasData } from '../../src/demo/generate-atlas-data.js';
import { JOB_DURATION_REGRESSION, plantedOutages, PROVIDER_DOWN, runningService, type RunningService } from '../../src/demo/running-service.js';
import { parseAtlasTime } from '../../src/time/atlas-time.js';

const NOW = new Date('2026-12-07T10:02:30Z');
const MIN = 60_000;
const at = (minutes: number) => new Date(NOW.getTime() + minutes * MIN);

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function started(): { dir: string; service: RunningService } {
  const dir = mkdtempSync(path.join(tmpdir(), 'atlas-running-'));
  dirs.push(dir);
  const generated = generateAtlasData(dir, { now: NOW, days: 1, scenario: 'demo', seed: 7 });
  return { dir, service: runningService(dir, { since: NOW, outages: plantedOutages(generated.scenarioFacts.outage), seed: 7 }) };
}

function query<T>(dir: string, file: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(dir, file), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** Metric rows of `type` recorded in the hour before `end` (all three timestamp formats). */
function rowsInHourBefore(dir: string, type: string, end: Date): { value: number; labels_json: string }[] {
  return query<{ value: number; labels_json: string; recorded_at: string }>(dir, 'metrics.db', 'SELECT value, labels_json, recorded_at FROM metrics WHERE type = ? ORDER BY id DESC LIMIT 2000', type).filter((r) => {
    const t = parseAtlasTime(r.recorded_at)?.getTime() ?? 0;
    return t > end.getTime() - 60 * MIN && t <= end.getTime();
  });
}

function alertRow(dir: string, name: string) {
  return query<{ status: string; message: string; fired_at: string; resolved_at: string | null }>(dir, 'metrics.db', 'SELECT status, message, fired_at, resolved_at FROM alerts WHERE name = ?', name)[0];
}

describe('the running service', () => {
  it('writes the service’s metrics and routine jobs as the clock moves: two hours on, the last hour is measured', () => {
    const { dir, service } = started();
    const twoHoursOn = at(120);
    for (const type of ['health_check', 'extraction_success', 'job_duration', 'validation_pass', 'proof_generation']) {
      expect(rowsInHourBefore(dir, type, twoHoursOn), `${type} before the clock moved`).toHaveLength(0);
    }
    const step = service.advanceTo(twoHoursOn);
    // Whole 5-minute ticks, from the one after the generated data's end to the last one before now.
    expect(step.writtenUntil.toISOString()).toBe('2026-12-07T12:00:00.000Z');
    expect(step.ticks).toBe(23);
    for (const type of ['health_check', 'extraction_success', 'job_duration', 'validation_pass']) {
      expect(rowsInHourBefore(dir, type, twoHoursOn).length, type).toBeGreaterThan(0);
    }
    // Routine runs: finished jobs in the table and in jobs/, newer than anything generated.
    const recent = query<{ id: string; status: string }>(dir, 'persistence.db', 'SELECT id, status FROM jobs WHERE created_at > ?', NOW.toISOString());
    expect(recent.length).toBeGreaterThanOrEqual(3);
    expect(recent.every((j) => j.status === 'completed')).toBe(true);
    expect(recent.every((j) => existsSync(path.join(dir, 'jobs', `${j.id}.json`)))).toBe(true);
    // The demo's planted outage goes on until a scenario ends it.
    expect(rowsInHourBefore(dir, 'health_check', twoHoursOn).filter((r) => r.labels_json.includes('Census TIGER')).every((r) => r.value === 0)).toBe(true);
    expect(alertRow(dir, PROVIDER_DOWN)?.status).toBe('firing');
  });

  it('a provider outage: the demo’s ends, Hub goes down, provider_down fires 5 min later and resolves when Hub is back', () => {
    const { dir, service } = started();
    const start = service.startScenario('provider-outage', at(0));
    expect(start.ok && start.step.alerts).toEqual([`${PROVIDER_DOWN} resolved`]);
    expect(alertRow(dir, PROVIDER_DOWN)?.status).toBe('resolved');
    expect(service.status().scenario?.id).toBe('provider-outage');

    // Where the sandbox stops its clock in a long jump: when the alert fires, then when it resolves.
    expect(service.nextAlertChange()?.getTime()).toBe(Math.ceil(at(5).getTime() / (5 * MIN)) * 5 * MIN);
    expect(service.advanceTo(at(4)).alerts).toEqual([]);
    const fired = service.advanceTo(at(12));
    expect(fired.alerts).toEqual([`${PROVIDER_DOWN} firing`]);
    const row = alertRow(dir, PROVIDER_DOWN);
    expect(row?.status).toBe('firing');
    expect(row?.message).toContain('ArcGIS Hub');
    expect(row?.resolved_at).toBeNull();
    expect(rowsInHourBefore(dir, 'health_check', at(12)).filter((r) => r.labels_json.includes('ArcGIS Hub')).some((r) => r.value === 0)).toBe(true);

    expect(service.nextAlertChange()?.getTime()).toBe(Math.ceil(at(60).getTime() / (5 * MIN)) * 5 * MIN);
    expect(service.advanceTo(at(50)).alerts).toEqual([]);
    expect(service.advanceTo(at(70)).alerts).toEqual([`${PROVIDER_DOWN} resolved`]);
    expect(alertRow(dir, PROVIDER_DOWN)?.status).toBe('resolved');
    service.advanceTo(at(125));
    const hub = rowsInHourBefore(dir, 'health_check', at(125)).filter((r) => r.labels_json.includes('ArcGIS Hub'));
    // Back: Hub's checks in the hour after its outage pass (a rare transient failure aside).
    expect(hub.filter((r) => r.value === 1).length).toBeGreaterThanOrEqual(hub.length - 1);
    expect(hub.length).toBeGreaterThanOrEqual(11);
  });

  it('a long job: runs 3 h with slow extractions, job_duration_regression fires after 30 min and resolves when it completes', () => {
    const { dir, service } = started();
    expect(service.startScenario('long-job', at(0)).ok).toBe(true);
    service.advanceTo(at(20));
    const [job] = query<{ id: string; status: string; updated_at: string }>(dir, 'persistence.db', `SELECT id, status, updated_at FROM jobs WHERE status = 'running' AND created_at >= ?`, NOW.toISOString());
    expect(job?.status).toBe('running');
    expect(alertRow(dir, JOB_DURATION_REGRESSION)).toBeUndefined();

    expect(service.advanceTo(at(40)).alerts).toEqual([`${JOB_DURATION_REGRESSION} firing`]);
    const later = query<{ updated_at: string; completed_tasks: number }>(dir, 'persistence.db', 'SELECT updated_at, completed_tasks FROM jobs WHERE id = ?', job!.id)[0];
    expect(later!.updated_at > job!.updated_at).toBe(true);
    expect(later!.completed_tasks).toBeGreaterThan(0);
    expect(Math.max(...rowsInHourBefore(dir, 'job_duration', at(40)).map((r) => r.value))).toBeGreaterThan(120_000);
    const file = JSON.parse(readFileSync(path.join(dir, 'jobs', `${job!.id}.json`), 'utf8')) as { status: string };
    expect(file.status).toBe('running');

    expect(service.advanceTo(at(170)).alerts).toEqual([]);
    expect(service.advanceTo(at(190)).alerts).toEqual([`${JOB_DURATION_REGRESSION} resolved`]);
    expect(query<{ status: string }>(dir, 'persistence.db', 'SELECT status FROM jobs WHERE id = ?', job!.id)[0]?.status).toBe('completed');
    expect((JSON.parse(readFileSync(path.join(dir, 'jobs', `${job!.id}.json`), 'utf8')) as { status: string }).status).toBe('completed');
  });

  it('refuses a scenario it does not have, with one sentence, and changes nothing', () => {
    const { dir, service } = started();
    const answer = service.startScenario('nosuch', at(0));
    expect(answer).toEqual({ ok: false, error: 'No scenario "nosuch"; pick one from the menu.' });
    expect(alertRow(dir, PROVIDER_DOWN)?.status).toBe('firing');
    expect(service.status().scenario).toBeNull();
  });
});
