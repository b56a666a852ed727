import { assertBlockKitLimits } from '../helpers/slack-judge.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acknowledgeAlert } from '../../src/incidents/acknowledge.js';
import { declareIncident } from '../../src/incidents/declare.js';
import { addNote, attachToTimeline, changeOwner, changeSeverity, postStatusUpdate } from '../../src/incidents/incident-changes.js';
import { AlreadyOwnerError, IncidentError, IncidentInputError } from '../../src/incidents/incident-errors.js';
import { resolveIncident } from '../../src/incidents/resolution.js';

import { attachedText, noteAddedText, ownerChangedText, refusalReport, severityChangedText, updatePostedText } from '../../src/templates/incident-answers.js';
import { at, blockText, MIN, ONCALL, openIncidentEnv, OTHER, pendingTimers as pendingOf, raiseAlert, type IncidentEnv } from '../helpers/incident-env.js';

let ie: IncidentEnv;
beforeEach(() => {
  ie = openIncidentEnv();
});
afterEach(() => ie.close());

const deps = () => ie.env.deps;
const pendingTimers = async (incidentId: string) => await pendingOf(ie, incidentId);
const timeline = async (incidentId: string) => await deps().state.timeline.list(incidentId);

async function refusal(act: () => Promise<unknown>): Promise<IncidentError> {
  try {
    await act();
  } catch (err) {
    expect(err).toBeInstanceOf(IncidentError);
    return err as IncidentError;
  }
  throw new Error('expected an IncidentError');
}

/** A P0 from the alert IpfsDown, acknowledged by ONCALL at 12:00, three minutes after it fired. */
async function p0() {
  await raiseAlert(ie, { name: 'IpfsDown', firedAt: at(-3) });
  return (await acknowledgeAlert(deps(), 'IpfsDown', ONCALL)).incident;
}

/** The newest reply in the incident's thread, once delivered. */
async function lastReply(anchor: string) {
  await ie.deliver();
  return (await ie.thread(anchor)).at(-1)!;
}

describe('postStatusUpdate', () => {
  it("posts the guide's update, moves the update-due reminder and refreshes the card", async () => {
    const incident = await p0();
    ie.env.clock.advance(20 * MIN);
    const updated = await postStatusUpdate(
      deps(),
      incident.id,
      {
        summary: 'Gateways timing out',
        completed: 'Checked w3s.link\nChecked dweb.link',
        inProgress: 'Trying a third gateway',
        blocked: 'Storacha support',
        nextSteps: 'Pin again',
        eta: '13:00',
        status: 'identified',
      },
      ONCALL,
    );
    // The ETA given (13:00) is when the next update is promised: the reminder comes then, not on the 30 min cadence.
    expect(updatePostedText(updated)).toBe("Update posted in INC-20261126-1's thread; the next one is due by 13:00 UTC.");
    expect(updated).toMatchObject({ status: 'identified', last_update_at: at(20), next_update_at: at(60) });
    expect((await pendingTimers(incident.id)).find((t) => t.kind === 'update-due')?.due_at).toBe(at(60));
    expect(ie.env.db.prepare("SELECT COUNT(*) AS n FROM timers WHERE kind = 'update-due' AND cancelled_at IS NOT NULL").get()).toEqual({ n: 1 });
    expect((await timeline(incident.id)).at(-1)).toMatchObject({ actor: ONCALL, kind: 'status-update', text: 'Update: Gateways timing out (status investigating → identified)' });

    const post = await lastReply(incident.anchor);
    expect(post.text).toBe('🔄 INC-20261126-1 update [12:20 UTC]: Gateways timing out');
    for (const part of [
      '*Incident Update* [12:20 UTC]',
      '*Summary*: Gateways timing out',
      '*Status*: identified',
      '• ✅ Checked w3s.link',
      '• ✅ Checked dweb.link',
      '• ⏳ Trying a third gateway',
      '• ⏸️ Storacha support',
      '*Next Steps*: Pin again',
      '*ETA*: 13:00',
    ]) {
      expect(blockText(post)).toContain(part);
    }
    assertBlockKitLimits('message', post.blocks!);
    const card = (await ie.anchored(incident.anchor))!;
    expect(card.text).toBe('🧭 INC-20261126-1 P0 identified: IpfsDown: All IPFS gateways failing.');
    expect(blockText(card)).toContain('*Last update* 12:20 UTC');

    await expect(postStatusUpdate(deps(), incident.id, { summary: 'done', status: 'resolved' }, ONCALL)).rejects.toThrow('`/atlas resolve` does');
    await expect(postStatusUpdate(deps(), incident.id, { summary: 'x', status: 'fixed' as never }, ONCALL)).rejects.toThrow('Status is one of investigating, identified, monitoring.');
    await expect(postStatusUpdate(deps(), incident.id, { summary: ' ' }, ONCALL)).rejects.toThrow('The summary is empty');
  });

  it('a status the incident already has is no change of status', async () => {
    const incident = await p0();
    await postStatusUpdate(deps(), incident.id, { summary: 'still looking', status: 'investigating' }, ONCALL);
    expect((await timeline(incident.id)).at(-1)!.text).toBe('Update: still looking');
  });
});

describe('changeSeverity', () => {
  it('re-plans the timers: past deadlines come due at once, none twice', async () => {
    const declared = (await declareIncident(deps(), { title: 'slow queries', actorId: ONCALL })).incident;
    expect(await pendingTimers(declared.id)).toEqual([
      { kind: 'handoff-suggest', due_at: at(240) },
      { kind: 'update-due', due_at: at(240) },
      { kind: 'break-nudge', due_at: at(480) },
    ]);
    ie.env.clock.advance(45 * MIN);
    const r = await changeSeverity(deps(), declared.id, 'P0', ONCALL);
    expect(severityChangedText(r.incident, r.from)).toBe('INC-20261126-1 is now P0 (was P2); updates every 30–60 min, timers re-planned.');
    expect(await pendingTimers(declared.id)).toEqual([
      { kind: 'escalate-tech-lead', due_at: at(45) },
      { kind: 'update-due', due_at: at(45) },
      { kind: 'escalate-cto', due_at: at(60) },
      { kind: 'handoff-suggest', due_at: at(240) },
      { kind: 'break-nudge', due_at: at(480) },
    ]);
    expect(r.incident.next_update_at).toBe(at(30));
    expect((await timeline(declared.id)).at(-1)).toMatchObject({ kind: 'severity', text: 'Severity P2 → P0' });
    expect((await lastReply(declared.anchor)).text).toBe('⬆️ INC-20261126-1 severity P2 → P0');
    expect((await ie.anchored(declared.anchor))!.text).toBe('🔎 INC-20261126-1 P0 investigating: slow queries');
    await expect(changeSeverity(deps(), declared.id, 'P0', ONCALL)).rejects.toThrow('INC-20261126-1 is already P0.');
    await expect(changeSeverity(deps(), declared.id, 'P5' as never, ONCALL)).rejects.toThrow(IncidentInputError);

    // The tech lead escalation fired; going down and up again must not plan it a second time.
    ie.env.db.prepare("UPDATE timers SET fired_at = ? WHERE incident_id = ? AND kind = 'escalate-tech-lead' AND cancelled_at IS NULL").run(at(45), declared.id);
    await changeSeverity(deps(), declared.id, 'P1', ONCALL);
    await changeSeverity(deps(), declared.id, 'P0', ONCALL);
    expect((await pendingTimers(declared.id)).map((t) => t.kind)).toEqual(['update-due', 'escalate-cto', 'handoff-suggest', 'break-nudge']);
  });
});

describe('owner, notes and attachments', () => {
  it('hands over, takes notes, and attaches diagnostics, each on the timeline and in the thread', async () => {
    const incident = await p0();
    const own = await changeOwner(deps(), incident.id, OTHER, ONCALL);
    expect(ownerChangedText(own.incident)).toBe('<@U0ONCALL2> now owns INC-20261126-1.');
    expect(own.previous).toBe(ONCALL);
    let post = await lastReply(incident.anchor);
    expect(post.text).toBe('👤 INC-20261126-1 now owned by <@U0ONCALL2>');
    expect(blockText(post)).toContain('(was <@U0ONCALL1>) (set by <@U0ONCALL1>)');
    expect(blockText(await ie.anchored(incident.anchor))).toContain('*Owner* <@U0ONCALL2>');
    const again = await refusal(async () => await changeOwner(deps(), incident.id, OTHER, ONCALL));
    expect(again).toBeInstanceOf(AlreadyOwnerError);
    expect(refusalReport('own', again).headline).toBe('<@U0ONCALL2> already owns INC-20261126-1.');
    const notUser = await refusal(async () => await changeOwner(deps(), incident.id, '<!channel>', ONCALL));
    expect(notUser.message).toContain('is not a Slack user');
    expect((notUser as IncidentInputError).field).toBe('owner');
    // From the terminal, whoever runs it may take it under their login name.
    expect((await changeOwner(deps(), incident.id, 'alice', 'alice')).incident.owner_id).toBe('alice');
    await expect(changeOwner(deps(), incident.id, 'bob', 'alice')).rejects.toThrow('is not a Slack user');

    const noted = await addNote(deps(), incident.id, 'Gateway w3s returns 504', OTHER);
    expect(noteAddedText(noted)).toBe("Note added to INC-20261126-1's timeline.");
    post = await lastReply(incident.anchor);
    expect(post.text).toBe('📝 INC-20261126-1 note from <@U0ONCALL2>: Gateway w3s returns 504');
    const attached = await attachToTimeline(deps(), incident.id, { headline: 'IPFS retrieval 41 s (alert > 30 s)', command: 'health' }, OTHER);
    expect(attachedText(attached.incident, attached.command)).toBe("Added `/atlas health` to INC-20261126-1's timeline.");
    post = await lastReply(incident.anchor);
    expect(post.text).toBe('📎 INC-20261126-1: <@U0ONCALL2> added `/atlas health`');
    expect((await timeline(incident.id)).slice(-4).map((e) => [e.kind, e.actor, e.text])).toEqual([
      ['owner', ONCALL, 'Owner U0ONCALL1 → U0ONCALL2'],
      ['owner', 'alice', 'Owner U0ONCALL2 → alice'],
      ['note', OTHER, 'Gateway w3s returns 504'],
      ['attached', OTHER, '/atlas health: IPFS retrieval 41 s (alert > 30 s)'],
    ]);
  });

  it('takes notes and attachments after the resolution too (they feed the review), but no other change', async () => {
    const incident = await p0();
    await resolveIncident(deps(), incident.id, { resolution: 'Switched gateway' }, ONCALL);
    const pending = await pendingTimers(incident.id);
    await addNote(deps(), incident.id, 'Alert on pin failures', ONCALL);
    await attachToTimeline(deps(), incident.id, { headline: 'all ok', command: '/atlas health' }, ONCALL);
    expect(await pendingTimers(incident.id)).toEqual(pending);
    expect((await timeline(incident.id)).slice(-2).map((e) => e.kind)).toEqual(['note', 'attached']);
    expect((await lastReply(incident.anchor)).text).toBe('📎 INC-20261126-1: <@U0ONCALL1> added `/atlas health`');
    await expect(changeOwner(deps(), incident.id, OTHER, ONCALL)).rejects.toThrow('already resolved');
  });

  it('escapes hostile text, cuts 5,000 characters where shown, and refuses more', async () => {
    const incident = await p0();
    await addNote(deps(), incident.id, '<!channel> <@U999|boss> *ping* & <https://evil.example|click>', ONCALL);
    let post = await lastReply(incident.anchor);
    const shown = blockText(post) + post.text;
    expect(shown).not.toContain('<!channel>');
    expect(shown).not.toContain('<https://evil');
    expect(shown).toContain('&lt;!channel&gt; &lt;@U999|boss&gt; *ping* &amp; &lt;https://evil.example|click&gt;');

    const long = 'y'.repeat(5000);
    await addNote(deps(), incident.id, long, ONCALL);
    expect((await timeline(incident.id)).at(-1)!.text).toHaveLength(5000);
    post = await lastReply(incident.anchor);
    assertBlockKitLimits('message', post.blocks!);
    expect(blockText(post)).toContain('…');
    const tooLong = await refusal(async () => await addNote(deps(), incident.id, `${long}y`, ONCALL));
    expect(tooLong.message).toBe('The note is 5,001 characters; at most 5,000.');
    expect((tooLong as IncidentInputError).field).toBe('note');

    await postStatusUpdate(deps(), incident.id, { summary: long, completed: `${'a'.repeat(400)}\n`.repeat(12), nextSteps: long, eta: 'x'.repeat(200) }, ONCALL);
    post = await lastReply(incident.anchor);
    assertBlockKitLimits('message', post.blocks!);
    expect(blockText(post)).toContain('*ETA*');
    expect(ie.harness!.slack.workspace.calls('chat.postMessage').every((c) => c.status === 200)).toBe(true);
  });

  it('answers unknown ids and malformed references with a sentence', async () => {
    await expect(addNote(deps(), 'INC-20261126-9', 'x', ONCALL)).rejects.toThrow('No incident INC-20261126-9.');
    await expect(addNote(deps(), 'drop table', 'x', ONCALL)).rejects.toThrow('is not an incident id');
    await expect(addNote(deps(), 'x'.repeat(500), 'x', ONCALL)).rejects.toThrow(IncidentInputError);
    await expect(addNote(deps(), '', 'x', ONCALL)).rejects.toThrow('No incident is open.');
    await declareIncident(deps(), { title: 'one', actorId: ONCALL });
    await declareIncident(deps(), { title: 'two', actorId: ONCALL });
    await expect(addNote(deps(), '', 'x', ONCALL)).rejects.toThrow('2 incidents are open (INC-20261126-1, INC-20261126-2); say which one.');
    // An id in any case.
    expect((await addNote(deps(), 'inc-20261126-2', 'x', ONCALL)).id).toBe('INC-20261126-2');
  });
});
