/** persistence.db fixtures for the snapshot remediations' tests: real SQLite, the service's schema, valid CIDs. */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { CID } from 'multiformats/cid';
import { create as createDigest } from 'multiformats/hashes/digest';

/** A real CIDv1 (raw, sha-256) for some text, as IPFS prints it. */
export function cidOf(text: string): string {
  return CID.createV1(0x55, createDigest(0x12, createHash('sha256').update(text).digest())).toString();
}

/** A CIDv0 and the same content address as CIDv1. */
export const V0 = 'QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n';
export const V0_AS_V1 = 'bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';

export interface Snap {
  id: string;
  cid?: string;
  created: string;
  deprecated?: string | null;
  archived?: string | null;
}

/** Inserts the job the snapshots point at, then the snapshots. */
export function insertSnapshots(db: Database.Database, snaps: readonly Snap[]): void {
  db.prepare(
    "INSERT OR IGNORE INTO jobs (id, scope_states, scope_layers, status, created_at, updated_at) VALUES ('job-fixture', '[\"CA\"]', '[\"congressional\"]', 'completed', '2026-08-01T00:00:00.000Z', '2026-08-01T00:00:00.000Z')",
  ).run();
  const insert = db.prepare(
    `INSERT INTO snapshots (id, job_id, merkle_root, ipfs_cid, boundary_count, regions, created_at, published_at, deprecated_at, archived_at)
     VALUES (?, 'job-fixture', ?, ?, 435, '["CA","TX"]', ?, NULL, ?, ?)`,
  );
  for (const s of snaps) insert.run(s.id, `0x${createHash('sha256').update(s.id).digest('hex')}`, s.cid ?? cidOf(s.id), s.created, s.deprecated ?? null, s.archived ?? null);
}

/** Every snapshot row, every column, in id order: to show that nothing changed. */
export function allRows(db: Database.Database): Record<string, unknown>[] {
  return db.prepare('SELECT * FROM snapshots ORDER BY id').all() as Record<string, unknown>[];
}

/** id -> deprecated_at */
export function deprecation(db: Database.Database): Record<string, string | null> {
  return Object.fromEntries((db.prepare('SELECT id, deprecated_at FROM snapshots ORDER BY id').all() as { id: string; deprecated_at: string | null }[]).map((r) => [r.id, r.deprecated_at]));
}

/** The files in backups/, or [] when the folder does not exist. */
export function backups(dataDir: string): string[] {
  const dir = path.join(dataDir, 'backups');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** Ids and CIDs no command may take: quotes, SQL, shell, paths, `..`, unicode, 10,000 characters. */
export const HOSTILE_IDS = [
  `snap'; DROP TABLE snapshots; --`,
  'snap" OR "1"="1',
  "x' OR 1=1 --",
  '$(rm -rf /)',
  'snap;reboot',
  '`id`',
  'a|b&c>d',
  '../../etc/passwd',
  'backups/../persistence',
  '..',
  'snap/..',
  'C:\\Windows',
  'snäpshot-ü',
  'snap-🚀',
  '\u202Esnap',
  'x'.repeat(10_000),
  'x'.repeat(129),
  '-rf',
];
