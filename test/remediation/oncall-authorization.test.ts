/**
 * Issue 18, item 1, repeated through signed Slack requests against the real app: being put on
 * call must not grant remediation (nor any tier the person would not otherwise have). Who may
 * remediate is the `remediators` config; the on-call counts only when `remediators.onCall` says
 * so, and then only by the schedule or an override a remediator set. `oncall cover` and
 * `oncall uncover` need a remediator or the person on call handing over their own shift, and
 * every change and refusal is in the audit trail.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { REMEDIATION_CONFIRM_ACTION } from '../../src/templates/remediation-messages.js';
import { confirmButton, startSlackEnv, type SlackEnv } from '../helpers/slack-env.js';
import { insertSnapshots } from './snapshot-fixtures.js';

const CHANNEL = 'C0INCIDENT';
// The stand-in's people: U0ONCALL1 and U0ONCALL2 are the rotation's primary and secondary.
const PRIMARY = 'U0ONCALL1';
const SECONDARY = 'U0ONCALL2';
const REMEDIATOR = 'U0TECHLEAD';
const RESPONDER = 'U0RESPONDER';
const READER = 'U0READER';

const configWith = (onCall?: 'none' | 'primary' | 'primary-and-secondary') => ({
  channels: { incidents: CHANNEL },
  responders: { users: [PRIMARY, SECONDARY, REMEDIATOR, RESPONDER], channels: [CHANNEL] },
  remediators: { users: [REMEDIATOR], ...(onCall ? { onCall } : {}) },
  rotation: { start: '2026-11-02', primary: [PRIMARY], secondary: [SECONDARY] },
});

let se: SlackEnv | undefined;

afterEach(async () => {
  await se?.close();
  se = undefined;
});

async function start(onCall?: 'none' | 'primary' | 'primary-and-secondary'): Promise<SlackEnv> {
  se = await startSlackEnv({
    file: configWith(onCall),
    seed: (a) =>
      insertSnapshots(a.persistence, [
        { id: 'snap-bad', created: '2026-11-20T09:00:00.000Z' },
        { id: 'snap-good', created: '2026-08-15T09:00:00.000Z', deprecated: '2026-11-20T09:05:00.000Z' },
      ]),
  });
  return se;
}

/** `/atlas <text>` typed by `user` in the incident channel: the first answer. */
async function typed(s: SlackEnv, text: string, user: string) {
  return (await s.h.command(text, { user, channel: CHANNEL })).answer();
}

const overrides = (s: SlackEnv) => s.env.db.prepare('SELECT user_id, role, created_by, authority, removed_by FROM oncall_overrides ORDER BY id').all();
const trail = (s: SlackEnv) => s.env.db.prepare('SELECT user_id, command, outcome FROM audit_log ORDER BY id').all();

describe('being put on call does not grant remediation', () => {
  it('refuses a responder who puts themself on call, and their backup offers no Confirm', async () => {
    const s = await start('primary-and-secondary');
    const cover = await typed(s, 'oncall cover <@U0RESPONDER> --role secondary --until 2h', RESPONDER);
    expect(cover.text).toContain(`Changing who is on call as secondary then needs a remediator (<@${REMEDIATOR}>, the on-call primary and secondary) or <@${SECONDARY}>`);
    expect(overrides(s)).toEqual([]);
    const backup = await typed(s, 'backup persistence', RESPONDER);
    expect(confirmButton(backup.blocks)).toBeUndefined();
    expect(backup.text).toContain('`backup` changes Shadow Atlas data: it may be run by');
    expect(trail(s)).toEqual([
      { user_id: RESPONDER, command: 'oncall cover', outcome: 'refused' },
      { user_id: RESPONDER, command: 'backup', outcome: 'refused' },
    ]);
  });

  it('with remediators.onCall, the scheduled primary remediates and a handover they set passes it on; a non-remediator’s handover passes nothing', async () => {
    const s = await start('primary');
    // The scheduled primary is a remediator by remediators.onCall: the schedule counts.
    expect(confirmButton((await typed(s, 'backup persistence', PRIMARY)).blocks)).toBeDefined();
    // The secondary (no remediator) hands over their own shift: stored and audited, but it grants nothing.
    const handed = await typed(s, 'oncall cover <@U0READER> --role secondary --until 2h', SECONDARY);
    expect(handed.text).toContain('<@U0READER> covers secondary from now');
    expect(JSON.stringify(handed.blocks)).toContain('Handed over by the secondary on call, not by a remediator');
    expect((await s.env.deps.rotation.at(s.env.clock()))?.secondary).toBe(READER);
    expect((await typed(s, 'declare "reader on call"', READER)).text).toContain('`declare` is for responders');
    // The primary, a remediator now, hands the primary shift to the responder: that override counts.
    expect((await typed(s, 'oncall cover <@U0RESPONDER> --role primary --until 2h', PRIMARY)).text).toContain('override #2');
    const preview = await typed(s, 'backup persistence', RESPONDER);
    const button = confirmButton(preview.blocks);
    expect(button, preview.text).toBeDefined();
    expect(confirmButton((await typed(s, 'backup persistence', PRIMARY)).blocks)).toBeUndefined();
    // Confirm is authorized again when pressed: the override ended, so the press is refused.
    s.env.clock.advance(3 * 3_600_000);
    const late = await (await s.h.press(REMEDIATION_CONFIRM_ACTION, button!.value, { user: RESPONDER, channel: CHANNEL })).answer();
    expect(late.text).toContain('changes Shadow Atlas data: it may be run by');
    expect(overrides(s)).toEqual([
      { user_id: READER, role: 'secondary', created_by: SECONDARY, authority: 'own-shift', removed_by: null },
      { user_id: RESPONDER, role: 'primary', created_by: PRIMARY, authority: 'remediator', removed_by: null },
    ]);
    const changes = s.env.db.prepare("SELECT user_id, command, outcome, plan, undo FROM audit_log WHERE command LIKE 'oncall %' ORDER BY id").all() as Record<string, string>[];
    expect(changes.map((c) => [c.user_id, c.command, c.outcome, c.undo])).toEqual([
      [SECONDARY, 'oncall cover', 'applied', '/atlas oncall uncover 1'],
      [PRIMARY, 'oncall cover', 'applied', '/atlas oncall uncover 2'],
    ]);
    expect(JSON.parse(changes[0]!.plan!)).toMatchObject({ override: 1, user: READER, role: 'secondary', authority: 'own-shift' });
  });

  it('gives a non-responder put on call no snapshot rollback and no incident tier', async () => {
    const s = await start();
    // A responder may not put someone else on call over the primary's shift.
    const refused = await typed(s, 'oncall cover <@U0READER> --role primary --until 1d', RESPONDER);
    expect(refused.text).toContain(`needs a remediator (<@${REMEDIATOR}>) or <@${PRIMARY}>, on call as primary then, handing over their own shift`);
    // The primary (a responder, no remediator) may hand over their own shift; the reader is then on call, and still only a reader.
    expect((await typed(s, 'oncall cover <@U0READER> --role primary --until 1d', PRIMARY)).text).toContain('<@U0READER> covers primary');
    expect((await s.env.deps.rotation.at(s.env.clock()))?.primary).toBe(READER);
    const rollback = await typed(s, 'snapshot rollback', READER);
    expect(confirmButton(rollback.blocks)).toBeUndefined();
    expect(rollback.text).toContain('`snapshot rollback` changes Shadow Atlas data');
    expect((await typed(s, 'oncall uncover 1', READER)).text).toContain('`oncall uncover` is for responders');
    expect((await typed(s, 'declare "reader was here"', READER)).text).toContain('`declare` is for responders');
    expect(s.env.db.prepare('SELECT COUNT(*) AS n FROM incidents').get()).toEqual({ n: 0 });
    expect(trail(s)).toEqual([
      { user_id: RESPONDER, command: 'oncall cover', outcome: 'refused' },
      { user_id: PRIMARY, command: 'oncall cover', outcome: 'applied' },
      { user_id: READER, command: 'snapshot rollback', outcome: 'refused' },
      { user_id: READER, command: 'oncall uncover', outcome: 'refused' },
    ]);
  });

  it('by default (remediators.onCall unset) the on-call primary is no remediator', async () => {
    const s = await start();
    const backup = await typed(s, 'backup persistence', PRIMARY);
    expect(confirmButton(backup.blocks)).toBeUndefined();
    expect(backup.text).toBe(`❌ \`backup\` changes Shadow Atlas data: it may be run by <@${REMEDIATOR}>, in <#${CHANNEL}> or a DM with the bot.`);
    expect(confirmButton((await typed(s, 'backup persistence', REMEDIATOR)).blocks)).toBeDefined();
  });
});
