/**
 * In the sandbox, `@alice` typed in a command reaches the bot as Slack sends it when the
 * command escapes mentions (manifest `should_escape: true`): `<@U…|alice>`. So
 * `own INC-… @bobby` hands the incident to Bobby, as in Slack. The sandbox runs whole
 * (`npm run sandbox` in a temporary directory), driven as the page drives it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_USERS } from '../../src/sandbox/workspace-directory.js';
import { eventually } from '../helpers/slack-harness.js';
import { startSandboxSession, type SandboxSession } from '../helpers/sandbox-session.js';

const INCIDENTS = 'C0INCIDENT';
let s: SandboxSession;

beforeAll(async () => {
  s = await startSandboxSession('atlas-sandbox-mentions-');
}, 60_000);
afterAll(async () => s?.close());

describe('a typed @name in the sandbox', () => {
  it('reaches the bot as Slack escapes it, so `own … @bobby` hands the incident to Bobby', async () => {
    const user = SANDBOX_USERS.primary;
    expect(await s.call('/sandbox/command', { user, channel: INCIDENTS, text: 'declare proofs failing --sev P2' })).toEqual({ ok: true });
    const incident = await eventually(async () => (await s.sandbox.bot.deps.state.incidents.open()).find((i) => i.title === 'proofs failing'), 'the incident', 20_000);
    expect(await s.call('/sandbox/command', { user, channel: INCIDENTS, text: `own ${incident.id} @bobby` })).toEqual({ ok: true });
    await eventually(async () => (await s.sandbox.bot.deps.state.incidents.get(incident.id))?.owner_id === SANDBOX_USERS.secondary, 'Bobby to own it', 20_000);
    const sent = s.sandbox.slack.workspace.directory.escapeMentions('own INC-1 @bobby, @nobody and mail@alice');
    expect(sent).toBe(`own INC-1 <@${SANDBOX_USERS.secondary}|bobby>, @nobody and mail@alice`);
  });
});
