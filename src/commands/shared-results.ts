import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { StateStore } from '../db/state/state-store.js';
import type { Report } from '../templates/report.js';
import { toSqlTime } from '../time/atlas-time.js';

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
      table: z.object({ columns: z.array(z.string()), rows: z.array(z.array(z.string())) }).passthrough().optional(),
    }),
  ),
  footer: z.string().optional(),
});

/** Keeps a rendered answer for 24 h so its "Post to channel" button can post the same report. Returns its random id. */
export async function saveSharedResult(state: StateStore, report: Report, userId: string, now: Date): Promise<string> {
  const id = randomBytes(12).toString('base64url');
  // `data` is the typed result for --json; the channel only sees what the renderer shows.
  const { command, level, headline, sections, footer } = report;
  await state.sharedResults.save(
    { id, createdAt: toSqlTime(now), userId, json: JSON.stringify({ command, level, headline, sections, footer }) },
    toSqlTime(new Date(now.getTime() - SHARE_TTL_MS)),
  );
  return id;
}

export type ClaimResult = { kind: 'ok'; report: Report; createdAt: string } | { kind: 'expired' } | { kind: 'not-yours' } | { kind: 'malformed' };

/** Takes the stored result out for posting, once: a double click must not post it twice. */
export async function claimSharedResult(state: StateStore, id: string, userId: string, now: Date): Promise<ClaimResult> {
  if (!SHARE_ID.test(id)) return { kind: 'expired' };
  const claim = await state.sharedResults.claim(id, userId, toSqlTime(new Date(now.getTime() - SHARE_TTL_MS)));
  if (claim.kind !== 'ok') return claim;
  let json: unknown;
  try {
    json = JSON.parse(claim.json);
  } catch {
    return { kind: 'malformed' };
  }
  const parsed = reportSchema.safeParse(json);
  return parsed.success ? { kind: 'ok', report: parsed.data as Report, createdAt: claim.createdAt } : { kind: 'malformed' };
}

/** Returns a claimed result, so the user can press the button again after a failed post. */
export async function putBackSharedResult(state: StateStore, id: string, report: Report, userId: string, createdAt: string): Promise<void> {
  await state.sharedResults.putBack({ id, createdAt, userId, json: JSON.stringify(report) });
}
