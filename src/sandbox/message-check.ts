import { blockProblems, blocksTextLength, tableCount } from './block-kit-check.js';
import { isRecord } from './block-kit-problems.js';
import { SLACK_LIMITS } from './slack-limits.js';
import { problemAt, refuse } from './slack-refusal.js';

const M = SLACK_LIMITS.message;

/** What a message says: the parts Slack judges. */
export interface MessageContent {
  text?: string | undefined;
  blocks?: unknown;
  attachments?: unknown;
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (Array.isArray(value) && value.length === 0);
}

/**
 * Refuses a message the way chat.postMessage, chat.postEphemeral, chat.update and response_url
 * do; returns quietly when Slack would take it. In order:
 * - no_text: neither text nor blocks nor attachments;
 * - msg_too_long: text over 40,000 characters;
 * - too_many_attachments / invalid_attachments;
 * - invalid_blocks: any Block Kit problem (see block-kit-check.ts);
 * - invalid_attachments "only_one_table_allowed": a second table block. Slack's table docs
 *   (https://docs.slack.dev/reference/block-kit/blocks/table-block) give the row and cell limits;
 *   the one-table rule and its code are what Slack answered in public projects' code and notes
 *   (e.g. "invalid_attachments (only_one_table_allowed)"), not a documented sentence;
 * - msg_blocks_too_long: more than 12,000 characters of text across the blocks (undocumented;
 *   slackapi/bolt-js #2509, #2867).
 */
export function checkMessage(content: MessageContent): void {
  const { text, blocks, attachments } = content;
  if ((text === undefined || text === '') && isEmpty(blocks) && isEmpty(attachments)) refuse('no_text');
  if (text !== undefined && text.length > M.text) refuse('msg_too_long');

  const attachmentBlocks: { pointer: string; blocks: unknown }[] = [];
  if (attachments !== undefined && attachments !== null) {
    if (!Array.isArray(attachments)) refuse('invalid_attachments', [problemAt('/attachments', 'must be an array')]);
    if (attachments.length > M.attachments) refuse('too_many_attachments');
    attachments.forEach((a, i) => {
      if (isRecord(a) && a.blocks !== undefined) attachmentBlocks.push({ pointer: `/attachments/${i}/blocks`, blocks: a.blocks });
    });
  }

  const problems = isEmpty(blocks) ? [] : blockProblems(blocks, 'message', '/blocks', M.blocks);
  for (const a of attachmentBlocks) problems.push(...blockProblems(a.blocks, 'message', a.pointer, M.blocks));
  if (problems.length > 0) refuse('invalid_blocks', problems);

  const tables = tableCount(blocks) + attachmentBlocks.reduce((n, a) => n + tableCount(a.blocks), 0);
  if (tables > M.tables) refuse('invalid_attachments', [problemAt('/blocks', 'only_one_table_allowed')]);

  const total = blocksTextLength(blocks) + attachmentBlocks.reduce((n, a) => n + blocksTextLength(a.blocks), 0);
  if (total > M.blocksTotalText) refuse('msg_blocks_too_long');
}
