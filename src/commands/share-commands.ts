import { z } from 'zod';
import { problemReport } from '../templates/report.js';
import { defineCommand, type CommandSpec } from './command-spec.js';
import { claimSharedResult } from './shared-results.js';

export const SHARE_MESSAGES = {
  expired: 'That result is no longer available (results can be posted for 24 h); run the command again and post the new answer.',
  notYours: 'Only the person who ran the command can post this result to the channel.',
  malformed: 'That result could not be read; run the command again.',
} as const;

/** What the "Post to channel" handler needs to post a claimed result, or to put it back. */
export interface SharedClaim {
  shareId: string;
  createdAt: string;
}

/**
 * "Post to channel" on an answer: takes the stored answer out (once) for the handler to post in
 * the channel. Anyone may read, but only the person who ran the command may post its answer.
 */
const share = defineCommand({
  name: 'share',
  summary: 'Post an answer you got privately to the channel (the Post to channel button)',
  usage: '<result id>',
  tier: 'read',
  group: 'Bot',
  hidden: true,
  args: z.object({ _: z.array(z.string().max(64)).length(1, { message: 'takes a result id' }) }),
  run: async (args, deps, actor) => {
    const shareId = args._[0]!;
    const claim = await claimSharedResult(deps.state, shareId, actor.userId, deps.clock());
    if (claim.kind === 'ok') return { ...claim.report, data: { shareId, createdAt: claim.createdAt } satisfies SharedClaim };
    return problemReport('share', claim.kind === 'not-yours' ? SHARE_MESSAGES.notYours : claim.kind === 'malformed' ? SHARE_MESSAGES.malformed : SHARE_MESSAGES.expired);
  },
});

export const shareCommands: CommandSpec[] = [share];
