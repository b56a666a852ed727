/**
 * Issue 18, item 2, through signed slash commands against the real app: a channel id beginning
 * with D is a DM, but only the caller's own IM with the bot (as Slack answers conversations.open
 * for them) counts as "a DM with the bot" for `responders.channels` and `remediators.channels`.
 * A slash command typed in a DM between two people is refused; when Slack does not answer, the
 * request is refused in one sentence (fail closed); the answer is cached.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { confirmButton, startSlackEnv, type SlackEnv } from '../helpers/slack-env.js';

const CHANNEL = 'C0INCIDENT';
/** A DM between two people: Slack sends its id with a slash command typed there. */
const PEOPLE_DM = 'D0BETWEEN2';
const RESPONDER = 'U0RESPONDER';
const REMEDIATOR = 'U0TECHLEAD';
const CONFIG = {
  channels: { incidents: CHANNEL },
  responders: { users: [RESPONDER, REMEDIATOR], channels: [CHANNEL] },
  remediators: { users: [REMEDIATOR] },
};

let se: SlackEnv;

beforeEach(async () => {
  se = await startSlackEnv({ file: CONFIG });
});

afterEach(() => se.close());

/** The IM the stand-in keeps between `user` and the bot: what conversations.open answers for them. */
const imWithBot = (user: string) => se.d.slack.workspace.directory.openConversation([user]).channel.id;
const typed = async (text: string, user: string, channel: string) => (await se.h.command(text, { user, channel })).answer();
const opens = () => se.d.slack.workspace.calls('conversations.open').length;
const runs = () => se.env.db.prepare('SELECT user_id, channel_id, outcome FROM command_runs ORDER BY id').all();

describe('a DM is the bot’s own DM only', () => {
  it('refuses an incident command typed in a DM between two people, and runs it in the caller’s DM with the bot', async () => {
    const between = await typed('oncall uncover 99', RESPONDER, PEOPLE_DM);
    expect(between.text).toBe(`❌ \`oncall uncover\` runs in <#${CHANNEL}> or a DM with the bot, where the team sees it.`);
    const mine = imWithBot(RESPONDER);
    const inDm = await typed('oncall uncover 99', RESPONDER, mine);
    expect(inDm.text).toContain('There is no override #99');
    // Someone else's IM with the bot is not the caller's.
    expect((await typed('oncall uncover 99', RESPONDER, imWithBot(REMEDIATOR))).text).toContain('runs in <#C0INCIDENT> or a DM with the bot');
    expect(runs()).toEqual([
      { user_id: RESPONDER, channel_id: PEOPLE_DM, outcome: 'denied' },
      { user_id: RESPONDER, channel_id: mine, outcome: 'error' },
      { user_id: RESPONDER, channel_id: imWithBot(REMEDIATOR), outcome: 'denied' },
    ]);
  });

  it('offers no Confirm on a remediation typed in a DM between two people; the remediator’s DM with the bot does', async () => {
    const between = await typed('backup persistence', REMEDIATOR, PEOPLE_DM);
    expect(confirmButton(between.blocks)).toBeUndefined();
    expect(between.text).toContain(`\`backup\` runs in <#${CHANNEL}> or a DM with the bot, where the team sees it`);
    expect(confirmButton((await typed('backup persistence', REMEDIATOR, imWithBot(REMEDIATOR))).blocks)).toBeDefined();
    expect(se.env.db.prepare('SELECT user_id, channel_id, outcome FROM audit_log ORDER BY id').all()).toEqual([
      { user_id: REMEDIATOR, channel_id: PEOPLE_DM, outcome: 'refused' },
      { user_id: REMEDIATOR, channel_id: imWithBot(REMEDIATOR), outcome: 'previewed' },
    ]);
  });

  it('refuses in one sentence when Slack does not answer conversations.open, and asks Slack once per person while the answer is fresh', async () => {
    const mine = imWithBot(RESPONDER);
    const fault = se.d.slack.faults.inject({ method: 'conversations.open', kind: 'error', error: 'internal_error', times: 1 });
    const refused = await typed('oncall uncover 99', RESPONDER, mine);
    expect(refused.text).toBe(`❌ Slack did not confirm in time that this is your DM with the bot; try \`oncall uncover\` again in a moment, or in <#${CHANNEL}>.`);
    expect(fault.hits).toBe(1);
    const before = opens();
    expect((await typed('oncall uncover 99', RESPONDER, mine)).text).toContain('There is no override #99');
    expect((await typed('oncall uncover 98', RESPONDER, mine)).text).toContain('There is no override #98');
    expect(opens()).toBe(before + 1);
  });

  it('needs no answer from Slack in a listed channel', async () => {
    se.d.slack.faults.inject({ method: 'conversations.open', kind: 'error', error: 'internal_error', times: 10 });
    expect((await typed('oncall uncover 99', RESPONDER, CHANNEL)).text).toContain('There is no override #99');
    expect(opens()).toBe(0);
  });
});
