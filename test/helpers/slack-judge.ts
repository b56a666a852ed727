/**
 * Would Slack take these blocks? Asks the Slack stand-in's judge (src/sandbox), which refuses
 * what Slack refuses, so that tests of rendered messages meet Slack's rules, not our own copy.
 */
import { blockProblems } from '../../src/sandbox/block-kit-check.js';
import { checkMessage } from '../../src/sandbox/message-check.js';
import { SLACK_LIMITS } from '../../src/sandbox/slack-limits.js';
import { SlackRefusal } from '../../src/sandbox/slack-refusal.js';

export function assertBlockKitLimits(surface: 'message' | 'modal' | 'home', blocks: readonly unknown[]): void {
  try {
    if (surface === 'message') checkMessage({ text: 'fallback', blocks: [...blocks] });
    else {
      const problems = blockProblems([...blocks], surface, '/view/blocks', SLACK_LIMITS.view.blocks);
      if (problems.length > 0) throw new SlackRefusal('invalid_arguments', problems);
    }
  } catch (err) {
    if (err instanceof SlackRefusal) throw new Error(`Slack would refuse these blocks: ${err.message}`);
    throw err;
  }
}
