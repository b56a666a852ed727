/**
 * The audit chain's head as the bot publishes it in Slack (each handoff, and a daily line in the
 * handoff channel): the newest audit row's number and hash, and the command that checks the log
 * against it. What is posted in Slack is out of reach of anyone who can rewrite chatops.db.
 */
import type { SlackMessage } from './block-kit.js';
import { context, fallback } from './message-parts.js';

export interface AuditHeadShown {
  seq: number;
  hash: string;
}

/** "Audit chain head: #123 · 3f1c…e9 · check: `/atlas audit verify --head 123:3f1c…e9`" (the whole hash, to copy). */
export function auditHeadLine(head: AuditHeadShown): string {
  if (head.seq === 0) return 'Audit chain head: #0 (the audit log is empty)';
  return `Audit chain head: #${head.seq} · ${head.hash} · check: \`/atlas audit verify --head ${head.seq}:${head.hash}\``;
}

/** The daily line in the handoff channel. */
export function auditHeadMessage(event: AuditHeadShown & { day: string }): SlackMessage {
  const line = `🔗 ${auditHeadLine(event)} (daily, ${event.day})`;
  return { text: fallback(line), blocks: [context(line)] };
}
