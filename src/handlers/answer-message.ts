import type { types } from '@slack/bolt';
import type { CommandDeps } from '../commands/command-spec.js';
import type { RunResult } from '../commands/registry.js';
import { saveSharedResult } from '../commands/shared-results.js';
import { BLOCK_KIT_LIMITS, renderBlocks, type SlackMessage } from '../templates/block-kit.js';
import { reviewIssueOffer } from '../templates/github-messages.js';
import { attachToIncidentBlock, resolveAlertsOffer } from '../templates/incident-buttons.js';
import type { Logger } from 'pino';

/** Commands whose answers are about incidents already, or carry no result worth attaching. */
const NOT_ATTACHABLE = new Set(['help', 'incidents', 'timeline', 'review']);

/**
 * The "Add to INC-…" block for a diagnostic answer, when exactly one incident is open (with
 * several, the engineer attaches with a command naming one). Null when it does not apply.
 */
async function attachOffer(deps: CommandDeps, result: RunResult, tier: string | undefined): Promise<types.KnownBlock | null> {
  const { report } = result;
  if (tier !== 'read' || NOT_ATTACHABLE.has(report.command) || report.modal || report.level === 'error') return null;
  try {
    const open = await deps.state.incidents.open();
    return open.length === 1 ? attachToIncidentBlock(open[0]!.id, report.command, report.headline) : null;
  } catch {
    return null;
  }
}

/**
 * An answer as the person who asked sees it: the rendered report, with "Post to channel" when it
 * is a result worth sharing, "Add to INC-…" while one incident is open, and "Resolve firing
 * alerts" after a resolution that left some firing.
 */
export async function answerMessage(deps: CommandDeps, logger: Logger, result: RunResult, userId: string, tier: string | undefined): Promise<SlackMessage> {
  const refused = result.outcome === 'usage' || result.outcome === 'denied';
  let shareId: string | undefined;
  // A remediation's preview carries a Confirm only its requester may press: it is not for sharing.
  if (!refused && tier !== 'remediate') {
    try {
      shareId = await saveSharedResult(deps.state, result.report, userId, deps.clock());
    } catch (err) {
      // Without its row the answer simply has no share button.
      logger.warn({ err }, 'could not store the result for sharing');
    }
  }
  const message = renderBlocks(result.report, { shareId });
  const extra = [...(refused ? [] : [await attachOffer(deps, result, tier)].filter((b): b is types.KnownBlock => b !== null)), ...resolveAlertsOffer(result.report), ...reviewIssueOffer(result.report)];
  if (message.blocks.length + extra.length <= BLOCK_KIT_LIMITS.blocksPerMessage) message.blocks.push(...extra);
  return message;
}
