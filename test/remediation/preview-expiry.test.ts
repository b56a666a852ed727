/**
 * A preview nobody confirms is replaced when it expires: "Expired at … — nothing was run", with
 * no Confirm button left. Driven by the injected clock and the expiry sweep (a bot job), through
 * the real Bolt receiver and the Slack stand-in's response_url; the expiry is a row in chatops.db,
 * so another process (or a restart) sweeps it, and it is said exactly once.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { ALL_COMMANDS } from '../../src/commands/index.js';
import { CommandRegistry } from '../../src/commands/registry.js';
import { remediationCommands } from '../../src/commands/remediation-commands.js';
import { fingerprintOf, RemediationRefusal } from '../../src/remediation/remediation-plan.js';
import { remediation } from '../../src/remediation/remediation-spec.js';
import { expirePreviews } from '../../src/remediation/preview-expiry.js';
import { REMEDIATION_CONFIRM_ACTION } from '../../src/templates/remediation-messages.js';
import type { DeliveryHarness } from '../helpers/delivery-harness.js';
import { eventually, TEST_USER, type Answer, type Harness, type Interaction } from '../helpers/slack-harness.js';
import { confirmButton, startSlackEnv, type SlackEnv } from '../helpers/slack-env.js';
import { testDeps, type TestEnv } from '../helpers/test-deps.js';

const CHANNEL = 'C0INCIDENT';
const CONFIG = { channels: { incidents: CHANNEL }, responders: { users: [TEST_USER] } };

let se: SlackEnv;
let env: TestEnv;
let d: DeliveryHarness;
let h: Harness;
let writes = 0;

const valueFile = () => path.join(env.deps.config.dataDir, 'fixture-value.txt');
const value = () => (existsSync(valueFile()) ? readFileSync(valueFile(), 'utf8') : '');

const fixture = remediation(
  {
    name: 'fixture set',
    ifInterrupted: 'the fixture file',
    summary: 'Set the fixture value',
    usage: '<value>',
    args: z.object({ _: z.array(z.string().regex(/^[a-z]{1,10}$/)).length(1) }).transform((a) => ({ value: a._[0]! })),
    async plan(args) {
      const before = value();
      if (before === args.value) throw new RemediationRefusal(`The value is ${args.value} already.`);
      return {
        summary: `the value becomes ${args.value}`,
        changes: [{ kind: 'row', what: 'fixture', before: { value: before }, after: { value: args.value } }],
        undo: null,
        warnings: [],
        fingerprint: fingerprintOf(before),
      };
    },
    async apply(args) {
      writes += 1;
      writeFileSync(valueFile(), args.value);
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
    registry: (e) => new CommandRegistry([...ALL_COMMANDS.filter((c) => c.name !== 'confirm'), ...remediationCommands([fixture])], createAuthorizer(e.deps.config)),
  });
  ({ env, d, h } = se);
});

afterEach(() => se.close());

/** `/atlas fixture set <v>`: the interaction and its preview's token. */
async function preview(v: string): Promise<{ c: Interaction; token: string }> {
  const c = await h.command(`fixture set ${v}`, { channel: CHANNEL });
  const answer = await c.answer();
  const token = confirmButton(answer.blocks)?.value;
  expect(token, 'a Confirm button on the preview').toBeDefined();
  return { c, token: token! };
}

/** The ephemeral message the preview is, as the person sees it now. */
const shownPreview = () => d.slack.workspace.ephemerals({ channel: CHANNEL, user: TEST_USER }).at(-1)!;

const expiryText = (a: Answer | undefined) => a?.text ?? '';

describe('an expired preview', () => {
  it('is replaced by "Expired at … — nothing was run" without its Confirm button, and Confirm still answers as before', async () => {
    const { c, token } = await preview('new');
    expect(confirmButton(shownPreview().blocks as unknown[])).toBeDefined();

    // Not yet: a sweep before the 10 minutes leaves it.
    env.clock.advance(9 * 60_000);
    expect(await expirePreviews(env.deps)).toBe(0);

    env.clock.advance(60_000);
    expect(await expirePreviews(env.deps)).toBe(1);
    const replaced = await c.answer(2);
    expect(replaced.replace_original).toBe(true);
    expect(expiryText(replaced)).toBe('⌛ Expired at 12:10 UTC — nothing was run. Run `/atlas fixture set new` again to preview anew.');
    expect(confirmButton(replaced.blocks)).toBeUndefined();
    // What the person sees: the preview itself, replaced.
    expect(shownPreview().text).toContain('Expired at 12:10 UTC');
    expect(confirmButton(shownPreview().blocks as unknown[])).toBeUndefined();

    // Later sweeps say nothing more.
    env.clock.advance(60_000);
    expect(await expirePreviews(env.deps)).toBe(0);
    await d.delivery.drain();
    expect(c.answers()).toHaveLength(2);

    // A Confirm pressed anyway (a stale client) answers as it always did, and runs nothing.
    const p = await h.press(REMEDIATION_CONFIRM_ACTION, token, { channel: CHANNEL });
    expect((await p.answer()).text).toContain('This preview expired (10 min)');
    expect(value()).toBe('old');
    expect(writes).toBe(0);
  });

  it('is never replaced once confirmed', async () => {
    const { c, token } = await preview('done');
    await (await h.press(REMEDIATION_CONFIRM_ACTION, token, { channel: CHANNEL })).answer();
    expect(value()).toBe('done');
    env.clock.advance(20 * 60_000);
    expect(await expirePreviews(env.deps)).toBe(0);
    await d.delivery.drain();
    expect(c.answers()).toHaveLength(1);
    expect(env.db.prepare('SELECT COUNT(*) AS n FROM remediation_confirmations WHERE expired_at IS NOT NULL').get()).toEqual({ n: 0 });
    // Settled: the response_url is not kept.
    expect(env.db.prepare('SELECT COUNT(*) AS n FROM remediation_confirmations WHERE response_url IS NOT NULL').get()).toEqual({ n: 0 });
  });

  it('a fresh preview offered because the data changed expires on the message it replaced', async () => {
    const { token } = await preview('fresh');
    writeFileSync(valueFile(), 'changed');
    const p = await h.press(REMEDIATION_CONFIRM_ACTION, token, { channel: CHANNEL });
    expect((await p.answer()).text).toContain('The data changed since the preview');
    env.clock.advance(10 * 60_000);
    expect(await expirePreviews(env.deps)).toBe(1);
    const replaced = await p.answer(2);
    expect(expiryText(replaced)).toContain('Expired at 12:10 UTC — nothing was run. Run `/atlas fixture set` again to preview anew.');
    expect(confirmButton(replaced.blocks)).toBeUndefined();
  });

  it('survives a restart and is said once when two processes sweep the same chatops.db', async () => {
    const { c } = await preview('twice');
    // Another process on the same file, with nothing of the first one's memory.
    const other = testDeps(env.deps.config.dataDir, { clock: env.clock, file: CONFIG });
    try {
      env.clock.advance(11 * 60_000);
      const swept = [await expirePreviews(other.deps), await expirePreviews(env.deps), await expirePreviews(other.deps)];
      expect(swept).toEqual([1, 0, 0]);
      // Both delivery loops look at the outbox; the replacement goes out once.
      d.startDelivery({ state: other.deps.state });
      await eventually(() => c.answers().length >= 2, 'the preview replaced');
      await d.delivery.drain();
      expect(c.answers().map(expiryText).filter((t) => t.includes('Expired at'))).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('is only marked expired, with nothing sent, when its response_url is past Slack’s 30 minutes', async () => {
    const { c } = await preview('late');
    // The bot was down for an hour: Slack no longer takes the URL.
    env.clock.advance(60 * 60_000);
    expect(await expirePreviews(env.deps)).toBe(1);
    await d.delivery.drain();
    expect(c.answers()).toHaveLength(1);
    expect(env.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE op = 'call'").get()).toEqual({ n: 0 });
    expect(env.db.prepare('SELECT COUNT(*) AS n FROM remediation_confirmations WHERE response_url IS NOT NULL').get()).toEqual({ n: 0 });
  });
});
