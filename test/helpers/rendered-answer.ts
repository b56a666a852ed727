import type { Actor, CommandDeps } from '../../src/commands/command-spec.js';
import type { CommandRegistry } from '../../src/commands/registry.js';
import { tokenize } from '../../src/commands/tokenize.js';
import { renderBlocks } from '../../src/templates/block-kit.js';
import { renderPlainText } from '../../src/templates/plain-text.js';
import { assertBlockKitLimits } from './slack-judge.js';

/** The Slack message as a person reads it, one block a paragraph. */
export function slackText(blocks: readonly unknown[]): string {
  return blocks
    .map((b) => {
      const block = b as { text?: { text: string }; elements?: { text?: string }[] };
      return block.text?.text ?? (block.elements ?? []).map((e) => e.text ?? '').join(' ');
    })
    .join('\n');
}

/** Runs a typed subcommand and renders its answer both ways; the Slack one must be within Slack's limits. */
export async function renderedAnswer(registry: CommandRegistry, deps: CommandDeps, text: string, actor: Actor) {
  const result = await registry.run(tokenize(text), actor, deps);
  const message = renderBlocks(result.report);
  assertBlockKitLimits('message', message.blocks);
  return { ...result, headline: result.report.headline, text: renderPlainText(result.report), slack: slackText(message.blocks) };
}
