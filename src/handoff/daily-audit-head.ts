/**
 * The daily line in the handoff channel that publishes the audit chain's head (its newest row
 * number and hash), once per UTC day whichever bot process or tick gets there first: claimed in
 * chatops.db (audit_heads_published) in the transaction that queues the post, as the handoff's
 * own posts are. Slack then holds a copy of the head that no change to chatops.db can rewrite.
 */
import type { DomainDeps } from '../incidents/incident-deps.js';

/** The day published, or null (no handoff channel, or today's line was claimed already). */
export async function publishDailyAuditHead(deps: DomainDeps): Promise<string | null> {
  if (!deps.config.channels.handoff) return null;
  const now = deps.clock();
  const day = now.toISOString().slice(0, 10);
  return await deps.state.transaction(async (tx) => {
    const head = await tx.audit.publishHead(`daily:${day}`, now);
    if (!head) return null;
    await deps.events.record(tx, { type: 'audit-head-published', seq: head.seq, hash: head.hash, day }, now);
    return day;
  });
}
