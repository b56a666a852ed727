/**
 * The shift handoff in the sandbox: "Next shift change" moves the bot's clock to the change, and
 * the handoff appears in #ops-handoff, once, filled in from the demo data and the calendar; the
 * preview and its buttons work through the page's actions as through Slack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/sandbox/run-sandbox.js';
import { SANDBOX_USERS } from '../../src/sandbox/slack-stand-in.js';
import { startSandboxSession, type SandboxSession } from '../helpers/sandbox-session.js';
import { eventually } from '../helpers/slack-harness.js';

const HANDOFF = 'C0HANDOFF';

let session: SandboxSession;
let sandbox: RunningSandbox;
const call = (pathname: string, body: unknown) => session.call(pathname, body);

beforeAll(async () => {
  session = await startSandboxSession('atlas-sandbox-handoff-');
  ({ sandbox } = session);
});

afterAll(() => session?.close());

const text = (m: { text?: string; blocks?: unknown[] }) => `${m.text ?? ''}\n${JSON.stringify(m.blocks ?? [])}`;

describe('the handoff in the sandbox', () => {
  it('is posted in #ops-handoff at the next shift change, once, with the demo story and the calendar in it', async () => {
    const rotation = sandbox.bot.deps.rotation;
    const outgoing = (await rotation.at(sandbox.clock()))!.primary;
    const change = rotation.nextShiftChange(sandbox.clock())!;
    expect(sandbox.slack.workspace.messages(HANDOFF)).toEqual([]);

    expect(await call('/sandbox/clock', { advance: 'shift' })).toEqual({ ok: true });
    // The day's audit-chain line may come to the same channel at the same tick: the handoff is the one that says so.
    const handoffs = () => sandbox.slack.workspace.messages(HANDOFF).filter((m) => (m.text ?? '').includes('On-Call Handoff'));
    const [posted] = await eventually(() => {
      const m = handoffs();
      return m.length > 0 ? m : null;
    }, 'the handoff in #ops-handoff');
    const incoming = (await rotation.at(change))!.primary;
    expect(incoming).not.toBe(outgoing);
    expect(posted!.text).toContain(`On-Call Handoff: <@${outgoing}> → <@${incoming}>`);
    const all = text(posted!);
    expect(all).toContain('provider_down');
    expect(all).toContain('Census TIGER maintenance window');
    expect(all).not.toContain('Posted late');

    // Another tick at the same time posts nothing more.
    await sandbox.bot.tick();
    await new Promise((r) => setTimeout(r, 300));
    expect(handoffs()).toHaveLength(1);
  });

  it('previews the next handoff with /atlas handoff, and Post now posts it', async () => {
    const user = SANDBOX_USERS.techLead;
    expect(await call('/sandbox/command', { user, channel: HANDOFF, text: 'handoff' })).toEqual({ ok: true });
    const preview = await eventually(() => sandbox.slack.workspace.ephemerals({ channel: HANDOFF, user }).find((e) => (e.text ?? '').includes('as it would be posted now')), 'the preview');
    const actions = (preview.blocks ?? []) as { type: string; block_id?: string; elements?: { action_id: string; text: { text: string } }[] }[];
    const row = actions.find((b) => b.type === 'actions' && b.elements?.some((e) => e.text.text === 'Post now'))!;
    const postNow = row.elements!.find((e) => e.text.text === 'Post now')!;
    const before = sandbox.slack.workspace.messages(HANDOFF).length;
    const pressed = await call('/sandbox/press', { user, container: { type: 'ephemeral', ts: preview.ts }, channel: HANDOFF, blockId: row.block_id, actionId: postNow.action_id });
    expect(pressed).toEqual({ ok: true });
    const posted = await eventually(() => sandbox.slack.workspace.messages(HANDOFF).slice(before)[0], 'the handoff posted by hand');
    expect(text(posted)).toContain(`Posted by <@${user}> with Post now`);
  });
});
