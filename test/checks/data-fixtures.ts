/** Fixture rows and files for the jobs, snapshots, alerts and backups tests: real SQLite, real files. */
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { TEST_NOW } from '../helpers/test-deps.js';

export const NOW = new Date(TEST_NOW);

/** ISO-8601 with milliseconds, `hours` before TEST_NOW. */
export function isoAgo(hours: number, now: Date = NOW): string {
  return new Date(now.getTime() - hours * 3_600_000).toISOString();
}

/** SQLite datetime() format, `hours` before TEST_NOW. */
export function sqlAgo(hours: number, now: Date = NOW): string {
  return isoAgo(hours, now).slice(0, 19).replace('T', ' ');
}

/** ISO without milliseconds, `hours` before TEST_NOW. */
export function isoNoMsAgo(hours: number, now: Date = NOW): string {
  return `${isoAgo(hours, now).slice(0, 19)}Z`;
}

export interface JobRowFixture {
  id: string;
  status: string;
  created_at: string;
  updated_at: string;
  total_tasks?: number;
  completed_tasks?: number;
  failed_tasks?: number;
  archived_at?: string | null;
}

export function insertJobRow(db: Database.Database, row: JobRowFixture): void {
  db.prepare(
    `INSERT INTO jobs (id, scope_states, scope_layers, status, created_at, updated_at, total_tasks, completed_tasks, failed_tasks, archived_at)
     VALUES (?, '["CA"]', '["congressional"]', ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    row.id,
    row.status,
    row.created_at,
    row.updated_at,
    row.total_tasks ?? 0,
    row.completed_tasks ?? 0,
    row.failed_tasks ?? 0,
    row.archived_at ?? null,
  );
}

/** A job file as the orchestrator's JobStateStore writes it. */
export function jobFileObject(over: Record<string, unknown> & { jobId: string }): Record<string, unknown> {
  return {
    createdAt: isoAgo(1),
    updatedAt: isoAgo(0.5),
    status: 'running',
    scope: { states: ['CA', 'TX'], layers: ['congressional'] },
    progress: { totalTasks: 2, completedTasks: 1, failedTasks: 0 },
    completedExtractions: [],
    failures: [],
    notConfiguredTasks: [],
    options: { concurrency: 5 },
    ...over,
  };
}

/** Writes jobs/<name>; `mtimeHoursAgo` sets the file's modification time. */
export function writeJobFile(dataDir: string, name: string, content: string | Record<string, unknown>, mtimeHoursAgo = 0): string {
  const dir = path.join(dataDir, 'jobs');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  const mtime = new Date(NOW.getTime() - mtimeHoursAgo * 3_600_000);
  utimesSync(file, mtime, mtime);
  return file;
}

export interface SnapshotFixture {
  id: string;
  ipfs_cid: string;
  created_at: string;
  deprecated_at?: string | null;
  archived_at?: string | null;
  boundary_count?: number;
  job_id?: string;
}

export function insertSnapshot(db: Database.Database, s: SnapshotFixture): void {
  db.prepare(
    `INSERT INTO snapshots (id, job_id, merkle_root, ipfs_cid, boundary_count, regions, created_at, deprecated_at, archived_at)
     VALUES (?, ?, ?, ?, ?, '["CA"]', ?, ?, ?)`,
  ).run(
    s.id,
    s.job_id ?? 'job-fixture',
    `0xroot-${s.id}`,
    s.ipfs_cid,
    s.boundary_count ?? 435,
    s.created_at,
    s.deprecated_at ?? null,
    s.archived_at ?? null,
  );
}

export interface AlertFixture {
  name: string;
  status: 'firing' | 'resolved';
  fired_at: string;
  message?: string | null;
  resolved_at?: string | null;
  acknowledged_at?: string | null;
  severity?: string | null;
}

export function insertAlert(db: Database.Database, a: AlertFixture): void {
  const hasSeverity = (db.prepare("SELECT count(*) AS n FROM pragma_table_info('alerts') WHERE name = 'severity'").get() as { n: number }).n > 0;
  if (hasSeverity) {
    db.prepare(
      'INSERT INTO alerts (name, status, message, fired_at, resolved_at, acknowledged_at, severity) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(a.name, a.status, a.message ?? null, a.fired_at, a.resolved_at ?? null, a.acknowledged_at ?? null, a.severity ?? null);
  } else {
    db.prepare('INSERT INTO alerts (name, status, message, fired_at, resolved_at, acknowledged_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      a.name,
      a.status,
      a.message ?? null,
      a.fired_at,
      a.resolved_at ?? null,
      a.acknowledged_at ?? null,
    );
  }
}
