/**
 * Issue 11: every Slack answer of every subcommand, against the demo data, reads on a phone.
 * No code block wider than 60 characters, every id the terminal shows whole in Slack, and the
 * Slack stand-in (which refuses what Slack refuses) takes the message.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/commands/command-spec.js';
import { COMMAND_GROUPS } from '../../src/commands/command-spec.js';
import { ALL_COMMANDS } from '../../src/commands/index.js';
import { CommandRegistry } from '../../src/commands/registry.js';
import { generateAtlasData } from '../../src/demo/generate-atlas-data.js';
import { renderBlocks } from '../../src/templates/block-kit.js';
import { renderPlainText } from '../../src/templates/plain-text.js';
import { allowEveryone } from '../helpers/authorizers.js';
import { assertBlockKitLimits } from '../helpers/slack-judge.js';
import { tempDir, testDeps, TEST_NOW } from '../helpers/test-deps.js';

/** Job ids, UUIDs (snapshots), IPFS CIDs (v1 and v0), merkle roots and incident ids. */
const ID = /job-[a-z0-9]+-[0-9a-f]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|bafy[a-z2-7]{20,}|Qm[1-9A-HJ-NP-Za-km-z]{44}|0x[0-9a-f]{64}|INC-[0-9]+-[0-9]+/g;
const whole = (text: string, id: string) => new RegExp(`(?<![A-Za-z0-9-])${id}(?![A-Za-z0-9-])`).test(text);

/** Every string a person can read in the blocks: text objects, table cells, rich text. */
function allText(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(allText);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, v]) => (key === 'text' && typeof v === 'string' ? [v] : allText(v)));
}

/** The lines inside ``` fences of mrkdwn text. */
function codeBlockLines(texts: readonly string[]): string[] {
  return texts.flatMap((t) => [...t.matchAll(/```([\s\S]*?)```/g)].flatMap((m) => (m[1] ?? '').split('\n')));
}

/** Every subcommand a person types, with arguments that reach data in the demo (remediations preview only). */
function subcommands(stuckJobId: string, snapshotId: string): string[][] {
  return [
    ['help'], ['help', 'oncall'], ['health'], ['errors'], ['errors', '--window', '1h'], ['metrics'], ['alerts'], ['alerts', '--all'],
    ['jobs'], ['jobs', 'stuck'], ['snapshots'], ['integrity'], ['disk'], ['providers'], ['runbook', 'tiger', 'down'],
    ['severity'], ['severity', 'tiger', 'down'], ['backups'], ['doctor'],
    ['incidents'], ['timeline'], ['review'], ['oncall'], ['oncall', '--weeks', '2'], ['handoff'],
    ['job', 'mark-partial', stuckJobId], ['job', 'cancel', stuckJobId], ['alert', 'clear', 'provider_down'],
    ['snapshot', 'rollback'], ['snapshot', 'set-cid', snapshotId, 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG'],
    ['audit'], ['audit', 'verify'],
  ];
}

describe('Slack answers on a phone, over the demo data', () => {
  it('every subcommand: no code-block line over 60 characters, every id of the terminal whole, a message Slack takes', async () => {
    const t = tempDir();
    try {
      const dataDir = path.join(t.dir, '.shadow-atlas');
      const facts = generateAtlasData(dataDir, { now: new Date(TEST_NOW), days: 2, seed: 42, scenario: 'demo' }).scenarioFacts;
      const env = testDeps(dataDir, {
        fetch: (async () => new Response('ok', { status: 200 })) as typeof fetch,
        file: {
          channels: { handoff: 'C0HANDOFF' },
          rotation: { timezone: 'UTC', handoff: '0 9 * * *', start: '2026-11-01', primary: ['U0ONCALL1', 'U0ONCALL2'], secondary: ['U0ONCALL2', 'U0ONCALL1'] },
        },
      });
      try {
        const registry = new CommandRegistry([...ALL_COMMANDS], allowEveryone);
        const actor: Actor = { source: 'cli', userId: 'U0ONCALL1' };
        // An incident with a timeline, so incidents, timeline, review and handoff have data.
        await registry.run(['declare', 'Census TIGER outage: job job-mz3k2a1-1a2b3c4d stuck, extraction failing'], actor, env.deps);
        await registry.run(['note', `restarted the orchestrator; ${facts.stuckJobId ?? ''} still silent`], actor, env.deps);
        const snapshotId = (await registry.run(['snapshots'], actor, env.deps)).report.headline.match(ID)?.[0] ?? '';
        expect(snapshotId).not.toBe('');

        const seen = new Set<string>();
        let tables = 0;
        const stuckJobId = facts.stuckJobId ?? '';
        expect(stuckJobId).not.toBe('');
        for (const argv of subcommands(stuckJobId, snapshotId)) {
          const what = argv.join(' ');
          const { report } = await registry.run(argv, actor, env.deps);
          expect(report.level, `${what}: ${report.headline}`).not.toBe('error');
          const message = renderBlocks(report, { shareId: 'share-1' });
          expect(() => assertBlockKitLimits('message', message.blocks), what).not.toThrow();
          const texts = allText(message.blocks);
          for (const line of codeBlockLines(texts)) expect(line.length, `${what}: ${line}`).toBeLessThanOrEqual(60);
          const slack = texts.join('\n');
          for (const id of new Set(renderPlainText(report).match(ID) ?? [])) {
            expect(whole(slack, id), `${what}: ${id} in\n${slack}`).toBe(true);
            seen.add(id);
          }
          tables += message.blocks.filter((b) => b.type === 'table').length;
        }
        // The planted stuck job, the snapshot without a CID, CIDs, the incident: all were checked.
        expect(seen).toContain(facts.stuckJobId);
        expect(seen).toContain(snapshotId);
        expect(seen).toContain('job-mz3k2a1-1a2b3c4d');
        expect([...seen].some((id) => id.startsWith('bafy'))).toBe(true);
        expect([...seen].some((id) => id.startsWith('INC-'))).toBe(true);
        expect(tables).toBeGreaterThan(5);
      } finally {
        await env.close();
      }
    } finally {
      t.cleanup();
    }
  });

  it('gives every subcommand help lists a family, so Slack help groups them all', () => {
    for (const spec of ALL_COMMANDS.filter((s) => !s.hidden)) expect(COMMAND_GROUPS, spec.name).toContain(spec.group);
  });
});
