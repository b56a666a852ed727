import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Report } from '../templates/report.js';
import { toSqlTime } from '../time/atlas-time.js';
import type { StateDb } from './state-db.js';

/** How long the "Post to channel" button of an ephemeral answer keeps working. */
export const SHARE_TTL_MS = 24 * 3_600_000;

const SHARE_ID = /^[A-Za-z0-9_-]{16}$/;

const reportSchema = z.object({
  command: z.string().max(200),
  level: z.enum(['ok', 'warn', 'crit', 'unknown', 'info', 'error']),
  headline: z.string(),
  sections: z.array(
    z.object({
      title: z.string().optional(),
      lines: z.array(z.string()).optional(),
      table: z.object({ columns: z.array(z.string()), rows: z.array(z.array(z.string())) }).optional(),
    }),
  ),
  footer: z.string().optional(),
});

/**
 * Keeps a rendered answer for 24 h so its "Post to channel" button can post the same report.
 * Rows older than that are pruned on the way. Returns the row's random id.
 */
export function saveSharedResult(state: StateDb, report: Report, userId: string, now: Date): string {
  const id = randomBytes(12).toString('base64url');
  // `data` is the typed result for --json; the channel only sees what the renderer shows.
  const { command, level, headline, sections, footer } = report;
  const tx = state.transaction(() => {
    state.prepare('DELETE FROM shared_results WHERE created_at < ?').run(toSqlTime(new Date(now.getTime() - SHARE_TTL_MS)));
    state
      .prepare('INSERT INTO shared_results (id, created_at, user_id, report_json) VALUES (?, ?, ?, ?)')
      .run(id, toSqlTime(now), userId, JSON.stringify({ command, level, headline, sections, footer }));
  });
  tx();
  return id;
}

export type ClaimResult = { kind: 'ok'; report: Report; createdAt: string } | { kind: 'expired' } | { kind: 'not-yours' } | { kind: 'malformed' };

/**
 * Takes the stored result out of chatops.db for posting, once: a double click must not post it
 * twice. `putBack` restores it when posting fails.
 */
export function claimSharedResult(state: StateDb, id: string, userId: string, now: Date): ClaimResult {
  if (!SHARE_ID.test(id)) return { kind: 'expired' };
  const since = toSqlTime(new Date(now.getTime() - SHARE_TTL_MS));
  const row = state
    .prepare('DELETE FROM shared_results WHERE id = ? AND user_id = ? AND created_at >= ? RETURNING report_json, created_at')
    .get(id, userId, since) as { report_json: string; created_at: string } | undefined;
  if (!row) {
    const other = state.prepare('SELECT 1 FROM shared_results WHERE id = ? AND created_at >= ?').get(id, since);
    return other ? { kind: 'not-yours' } : { kind: 'expired' };
  }
  let json: unknown;
  try {
    json = JSON.parse(row.report_json);
  } catch {
    return { kind: 'malformed' };
  }
  const parsed = reportSchema.safeParse(json);
  return parsed.success ? { kind: 'ok', report: parsed.data, createdAt: row.created_at } : { kind: 'malformed' };
}

/** Returns a claimed result, so the user can press the button again after a failed post. */
export function putBackSharedResult(state: StateDb, id: string, report: Report, userId: string, createdAt: string): void {
  state
    .prepare('INSERT OR IGNORE INTO shared_results (id, created_at, user_id, report_json) VALUES (?, ?, ?, ?)')
    .run(id, createdAt, userId, JSON.stringify(report));
}
