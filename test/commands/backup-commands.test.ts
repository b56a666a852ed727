/**
 * `backup` through signed Slack requests: the preview (files, sizes, free space) to the requester,
 * Confirm applies it once and the result says what was kept; `backups` lists it.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { ALL_COMMANDS } from '../../src/commands/index.js';
import { CommandRegistry } from '../../src/commands/registry.js';
import { REMEDIATION_CONFIRM_ACTION } from '../../src/templates/remediation-messages.js';
import { startDeliveryHarness, type DeliveryHarness } from '../helpers/delivery-harness.js';
import { assertBlockKitLimits } from '../helpers/slack-judge.js';
import { eventually, startHarness, TEST_USER, type Harness } from '../helpers/slack-harness.js';
import { createAtlasFiles, tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';

const CHANNEL = 'C0INCIDENT';
let dir: { dir: string; cleanup: () => void };
let env: TestEnv;
let d: DeliveryHarness;
let h: Harness;

beforeEach(async () => {
  dir = tempDir('atlas-backup-slack-');
  const dataDir = path.join(dir.dir, '.shadow-atlas');
  const atlas = createAtlasFiles(dataDir);
  atlas.persistence.close();
  atlas.metrics.close();
  env = testDeps(dataDir, { file: { channels: { incidents: CHANNEL }, responders: { users: [TEST_USER] } } });
  d = await startDeliveryHarness(env);
  h = await startHarness({ deps: env.deps, registry: new CommandRegistry(ALL_COMMANDS, createAuthorizer(env.deps.config)), slack: d.slack });
});

afterEach(async () => {
  await h.close();
  await d.close();
  await env.close();
  dir.cleanup();
});

type Button = { action_id: string; value: string };
const confirmButton = (blocks: unknown[] | undefined) =>
  ((blocks ?? []) as { type: string; elements?: Button[] }[]).flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : [])).find((e) => e.action_id === REMEDIATION_CONFIRM_ACTION);

describe('backup in Slack', () => {
  it('previews, applies on Confirm, tells the channel, and `backups` lists the verified backup', async () => {
    const c = await h.command('backup persistence --reason "before the migration"', { channel: CHANNEL });
    const preview = await c.answer();
    expect(preview.response_type).toBe('ephemeral');
    expect(preview.text).toContain('Preview of `backup`: a verified backup of persistence.db into backups/');
    assertBlockKitLimits('message', preview.blocks as unknown[]);
    const shown = JSON.stringify(preview.blocks);
    expect(shown).toContain('persistence-&lt;UTC time of Confirm&gt;.db');
    expect(shown).toMatch(/free space in .*: needs .* MB, .* free/);
    const button = confirmButton(preview.blocks);
    expect(button).toBeDefined();

    const p = await h.press(REMEDIATION_CONFIRM_ACTION, button!.value, { channel: CHANNEL });
    // While it runs, the confirmed preview is replaced by how far it got, then by the outcome: the
    // progress goes to its end ("verified, <size>, <seconds>"), never left at a phase, and no Confirm is left.
    const result = await eventually(() => p.answers().find((a) => (a.text ?? '').includes('Backed up ')), 'the result', 30_000);
    const answers = p.answers();
    expect(answers.every((a) => a.replace_original === true)).toBe(true);
    expect(answers.at(-1)).toBe(result);
    expect(answers.slice(0, -1).map((a) => a.text)).toContainEqual(expect.stringMatching(/^⏳ Backing up persistence: (copying|verifying|hashing)/));
    expect(answers.map((a) => a.text).join('\n')).not.toMatch(/(verifying|hashing)[^\n]*0 %/);
    expect(result.text).toMatch(new RegExp(`Backed up persistence-2026-11-26T12-00-00Z\\.db: verified, [\\d.]+ (KB|MB|GB), \\d+ s \\(told in <#${CHANNEL}>\\)`));
    expect(confirmButton(result.blocks)).toBeUndefined();
    expect(JSON.stringify(result)).toContain('integrity ok');
    expect(readdirSync(path.join(env.deps.config.dataDir, 'backups')).sort()).toEqual(['manifest-2026-11-26T12-00-00Z.json', 'persistence-2026-11-26T12-00-00Z.db']);
    await d.delivery.drain();
    expect(d.slack.workspace.messages(CHANNEL).map((m) => m.text)).toEqual([expect.stringContaining('Backed up persistence-2026-11-26T12-00-00Z.db')]);

    const list = await (await h.command('backups', { channel: CHANNEL })).answer();
    expect(list.text).toContain('1 backup; newest persistence-2026-11-26T12-00-00Z.db');
    expect(JSON.stringify(list.blocks)).toContain('before the migration');
  });

  it('a backup of both databases ends on its outcome too, within the response_url\'s five uses', async () => {
    const c = await h.command('backup all', { channel: CHANNEL });
    const preview = await c.answer();
    const p = await h.press(REMEDIATION_CONFIRM_ACTION, confirmButton(preview.blocks)!.value, { channel: CHANNEL });
    const result = await eventually(() => p.answers().find((a) => (a.text ?? '').includes('Backed up ')), 'the result', 30_000);
    expect(result.text).toMatch(/Backed up persistence-2026-11-26T12-00-00Z\.db and metrics-2026-11-26T12-00-00Z\.db: verified, [\d.]+ (KB|MB|GB), \d+ s/);
    expect(p.answers().at(-1)).toBe(result);
    expect(p.answers().length).toBeLessThanOrEqual(5);
  });
});
