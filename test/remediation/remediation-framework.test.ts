/**
 * The way every remediation is previewed, confirmed once and audited, through signed Slack
 * requests and the terminal. The remediation here is a fixture (it sets a value in a file of
 * the data directory) so that the framework's promises are tested apart from any one fix: the
 * token is single-use, bound to the person and the plan, expires, and a plan whose data changed
 * is refused with a new preview; a reader changes nothing; every step is in the audit log.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EXIT_CODES } from '../../src/cli.js';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { ALL_COMMANDS } from '../../src/commands/index.js';
import { CommandRegistry } from '../../src/commands/registry.js';
import { remediationCommands } from '../../src/commands/remediation-commands.js';
import { remediation } from '../../src/remediation/remediation-spec.js';
import { declareIncident } from '../../src/incidents/declare.js';
import { fingerprintOf, RemediationRefusal } from '../../src/remediation/remediation-plan.js';
import { REMEDIATION_CONFIRM_ACTION } from '../../src/templates/remediation-messages.js';
import type { DeliveryHarness } from '../helpers/delivery-harness.js';
import { assertBlockKitLimits } from '../helpers/slack-judge.js';
import { eventually, TEST_USER, type Harness } from '../helpers/slack-harness.js';
import { confirmButton, startSlackEnv, type SlackEnv } from '../helpers/slack-env.js';
import type { TestEnv } from '../helpers/test-deps.js';

const CHANNEL = 'C0INCIDENT';
const ELSEWHERE = 'C0RANDOM';
const OTHER = 'U0ONCALL2';
const READER = 'U0READER';
const CONFIG = { channels: { incidents: CHANNEL }, responders: { users: [TEST_USER, OTHER] } };

let se: SlackEnv;
let env: TestEnv;
let d: DeliveryHarness;
let h: Harness;
let registry: CommandRegistry;
let writes = 0;

const valueFile = () => path.join(env.deps.config.dataDir, 'fixture-value.txt');
const value = () => (existsSync(valueFile()) ? readFileSync(valueFile(), 'utf8') : '');

/** The fixture: `fixture set <value>` writes one file; its plan reads that file. */
const fixture = remediation(
  {
    name: 'fixture set',
    ifInterrupted: 'the fixture file',
    summary: 'Set the fixture value',
    usage: '<value>',
    args: z.object({ _: z.array(z.string().regex(/^[a-z]{1,10}$/, { message: 'takes a short lowercase word' })).length(1) }).transform((a) => ({ value: a._[0]! })),
    async plan(args) {
      const before = value();
      if (before === args.value) throw new RemediationRefusal(`The value is ${args.value} already; nothing to change.`);
      return {
        summary: `the value becomes ${args.value}`,
        changes: [{ kind: 'row', what: 'fixture', before: { value: before }, after: { value: args.value } }],
        undo: `/atlas fixture set ${before || 'none'}`,
        warnings: [],
        fingerprint: fingerprintOf(before),
      };
    },
    async apply(args) {
      writes += 1;
      writeFileSync(`${valueFile()}.tmp`, args.value);
      renameSync(`${valueFile()}.tmp`, valueFile());
      return { headline: `The value is now ${args.value}`, lines: [], undo: null };
    },
  },
  (a) => a.value,
);

beforeEach(async () => {
  writes = 0;
  se = await startSlackEnv({
    file: CONFIG,
    seed: (_atlas, dataDir) => writeFileSync(path.join(dataDir, 'fixture-value.txt'), 'old'),
    registry: (e) => (registry = new CommandRegistry([...ALL_COMMANDS.filter((c) => c.name !== 'confirm'), ...remediationCommands([fixture])], createAuthorizer(e.deps.config))),
  });
  ({ env, d, h } = se);
});

afterEach(() => se.close());
const auditRows = () => env.db.prepare('SELECT user_id, channel_id, command, outcome FROM audit_log ORDER BY id').all() as Record<string, string | null>[];

/** `/atlas fixture set <v>` as `user`; the preview's token. */
async function previewAs(v: string, user = TEST_USER): Promise<string> {
  const c = await h.command(`fixture set ${v}`, { user, channel: CHANNEL });
  const answer = await c.answer();
  expect(answer.response_type).toBe('ephemeral');
  const button = confirmButton(answer.blocks);
  expect(button, 'a Confirm button on the preview').toBeDefined();
  return button!.value;
}

describe('a remediation in Slack', () => {
  it('previews only to the requester, changes nothing until Confirm, then applies once and tells the channel', async () => {
    const c = await h.command('fixture set new', { channel: CHANNEL });
    const preview = await c.answer();
    expect(preview.text).toContain('Preview of `fixture set`: the value becomes new. Nothing changes until you press Confirm (valid 10 min, once).');
    assertBlockKitLimits('message', preview.blocks as unknown[]);
    const button = confirmButton(preview.blocks)!;
    expect(button).toMatchObject({ style: 'danger', confirm: { title: { text: 'Apply this change?' } } });
    expect(JSON.stringify(preview.blocks)).toContain('fixture: value: old → value: new');
    expect(JSON.stringify(preview.blocks)).not.toContain('Post to channel');
    expect(value()).toBe('old');

    const p = await h.press(REMEDIATION_CONFIRM_ACTION, button.value, { channel: CHANNEL });
    expect((await p.answer()).text).toContain(`The value is now new (told in <#${CHANNEL}>)`);
    expect(value()).toBe('new');
    await d.delivery.drain();
    const told = d.slack.workspace.messages(CHANNEL).map((m) => m.text);
    expect(told).toEqual([expect.stringContaining('The value is now new')]);
    expect(JSON.stringify(d.slack.workspace.messages(CHANNEL)[0]!.blocks)).toContain(`applied by <@${TEST_USER}>`);

    // The same token again: applied once.
    const again = await h.press(REMEDIATION_CONFIRM_ACTION, button.value, { channel: CHANNEL });
    expect((await again.answer()).text).toContain('was confirmed already');
    expect(writes).toBe(1);
    expect(auditRows().map((r) => r.outcome)).toEqual(['previewed', 'started', 'applied']);
  });

  it('applies a double click once', async () => {
    const token = await previewAs('twice');
    const [a, b] = await Promise.all([h.press(REMEDIATION_CONFIRM_ACTION, token, { channel: CHANNEL }), h.press(REMEDIATION_CONFIRM_ACTION, token, { channel: CHANNEL })]);
    const texts = [(await a.answer()).text, (await b.answer()).text];
    expect(texts.filter((t) => t?.includes('The value is now twice'))).toHaveLength(1);
    expect(texts.filter((t) => t?.includes('was confirmed already'))).toHaveLength(1);
    expect(writes).toBe(1);
  });

  it('refuses a Confirm from someone other than the requester, and from a reader, changing nothing', async () => {
    const token = await previewAs('mine');
    const other = await h.press(REMEDIATION_CONFIRM_ACTION, token, { user: OTHER, channel: CHANNEL });
    expect((await other.answer()).text).toContain(`Only <@${TEST_USER}>, who asked for this preview, can confirm it`);
    const reader = await h.press(REMEDIATION_CONFIRM_ACTION, token, { user: READER, channel: CHANNEL });
    expect((await reader.answer()).text).toContain('changes Shadow Atlas data: it may be run by');
    expect(value()).toBe('old');
    // The requester's own press still works: the others did not use it up.
    await (await h.press(REMEDIATION_CONFIRM_ACTION, token, { channel: CHANNEL })).answer();
    expect(value()).toBe('mine');
    expect(auditRows().map((r) => [r.user_id, r.outcome])).toEqual([
      [TEST_USER, 'previewed'],
      [OTHER, 'refused'],
      [READER, 'refused'],
      [TEST_USER, 'started'],
      [TEST_USER, 'applied'],
    ]);
  });

  it('refuses a reader and a remediator in the wrong channel at the command, saying who may and where; both audited', async () => {
    const reader = await h.command('fixture set x', { user: READER, channel: CHANNEL });
    expect((await reader.answer()).text).toBe(`❌ \`fixture set\` changes Shadow Atlas data: it may be run by <@${TEST_USER}>, <@${OTHER}>, in <#${CHANNEL}> or a DM with the bot.`);
    const elsewhere = await h.command('fixture set x', { channel: ELSEWHERE });
    expect((await elsewhere.answer()).text).toContain(`runs in <#${CHANNEL}> or a DM with the bot, where the team sees it`);
    expect(value()).toBe('old');
    expect(auditRows()).toEqual([
      { user_id: READER, channel_id: CHANNEL, command: 'fixture set', outcome: 'refused' },
      { user_id: TEST_USER, channel_id: ELSEWHERE, command: 'fixture set', outcome: 'refused' },
    ]);
  });

  it('refuses a Confirm after 10 minutes', async () => {
    const token = await previewAs('late');
    env.clock.advance(10 * 60_000);
    const p = await h.press(REMEDIATION_CONFIRM_ACTION, token, { channel: CHANNEL });
    expect((await p.answer()).text).toContain('This preview expired (10 min)');
    expect(value()).toBe('old');
    expect(auditRows().map((r) => r.outcome)).toEqual(['previewed', 'expired']);
  });

  it('refuses a Confirm when the data changed since the preview, and offers a new preview', async () => {
    const token = await previewAs('fresh');
    writeFileSync(valueFile(), 'changed');
    const p = await h.press(REMEDIATION_CONFIRM_ACTION, token, { channel: CHANNEL });
    const answer = await p.answer();
    expect(answer.text).toContain('The data changed since the preview, so nothing was applied.');
    expect(JSON.stringify(answer.blocks)).toContain('fixture: value: changed → value: fresh');
    const next = confirmButton(answer.blocks)!.value;
    expect(next).not.toBe(token);
    expect(value()).toBe('changed');
    await (await h.press(REMEDIATION_CONFIRM_ACTION, next, { channel: CHANNEL })).answer();
    expect(value()).toBe('fresh');
    expect(auditRows().map((r) => r.outcome)).toEqual(['previewed', 'stale', 'previewed', 'started', 'applied']);
  });

  it("answers a refusal of the plan in one sentence, and tells the open incident's thread when one is open", async () => {
    const same = await h.command('fixture set old', { channel: CHANNEL });
    expect((await same.answer()).text).toBe('❌ The value is old already; nothing to change.');
    const { incident } = await declareIncident(env.deps, { title: 'TIGER down', actorId: TEST_USER });
    const token = await previewAs('fix');
    await (await h.press(REMEDIATION_CONFIRM_ACTION, token, { channel: CHANNEL })).answer();
    expect((await env.deps.state.timeline.list(incident.id)).map((e) => [e.kind, e.text])).toContainEqual(['remediation', 'fixture set: The value is now fix']);
    await d.delivery.drain();
    const card = (await env.deps.state.slackMessages.get(incident.anchor))!;
    await eventually(() => d.slack.workspace.replies(card.channel, card.ts).some((m) => m.text.includes('The value is now fix')), 'the result in the thread');
  });

  it('keeps --yes for the terminal', async () => {
    const c = await h.command('fixture set now --yes', { channel: CHANNEL });
    expect((await c.answer()).text).toBe('❌ `--yes` is for the terminal; in Slack, press Confirm on the preview.');
    expect(value()).toBe('old');
  });
});

describe('a remediation in the terminal', () => {
  it('prints the preview with the --yes that applies it, and applies with --yes', async () => {
    const actor = { source: 'cli' as const, userId: 'alice' };
    const preview = await registry.run(['fixture', 'set', 'term'], actor, env.deps);
    expect(preview.report.headline).toBe('Preview of `fixture set`: the value becomes term. Nothing changed: run `atlas fixture set term --yes` to apply it.');
    expect(value()).toBe('old');
    const applied = await registry.run(['fixture', 'set', 'term', '--yes'], actor, env.deps);
    expect(EXIT_CODES[applied.outcome]).toBe(0);
    expect(value()).toBe('term');
    expect(auditRows().map((r) => [r.user_id, r.outcome])).toEqual([
      ['alice', 'previewed'],
      ['alice', 'started'],
      ['alice', 'applied'],
    ]);
  });
});
