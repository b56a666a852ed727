/**
 * Previews nobody confirmed, swept when they expire: each is claimed once (of two bot processes
 * on one chatops.db, one claims it) and its message is replaced by "Expired at … — nothing was
 * run", so no Confirm button is left on a preview that can no longer be applied. The expiry is a
 * row in the state, not a timer in memory: a preview that expired while the bot was down is
 * replaced when it is back, if Slack still takes its response_url.
 */
import type { DomainDeps } from '../incidents/incident-deps.js';

/** How many expired previews one sweep claims, at most (the next sweep takes the rest). */
const SWEEP_BATCH = 50;

/** Slack takes a response_url for 30 minutes after the command; after that there is nothing to replace through. */
export const RESPONSE_URL_MINUTES = 30;

/**
 * Claims the previews that expired unconfirmed and records, in the same transaction, that each
 * expired (a message replacing it, when Slack gave a response_url it still takes). Returns how
 * many were claimed. A confirmed preview is never claimed: its token is used.
 */
export async function expirePreviews(deps: Pick<DomainDeps, 'state' | 'clock' | 'events' | 'logger'>): Promise<number> {
  const now = deps.clock();
  const { claimed, told } = await deps.state.transaction(async (tx) => {
    const rows = await tx.confirmations.claimExpired(now, SWEEP_BATCH);
    let replaced = 0;
    for (const row of rows) {
      const urlAlive = new Date(row.created_at).getTime() + RESPONSE_URL_MINUTES * 60_000 > now.getTime();
      if (!row.response_url || !urlAlive) continue;
      await deps.events.record(
        tx, { type: 'preview-expired', token: row.token, command: row.command, shownArgs: row.shown_args, responseUrl: row.response_url, expiredAt: new Date(row.expires_at) },
        now,
      );
      replaced += 1;
    }
    return { claimed: rows.length, told: replaced };
  });
  if (claimed > 0) deps.logger.info({ claimed, replaced: told }, 'previews expired unconfirmed');
  return claimed;
}
