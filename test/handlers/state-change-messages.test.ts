/**
 * Messages that describe a state change change with it (issue 17 §4): the post-incident
 * checklist is edited as its items get done; a snooze is told in the thread and shown on the
 * card; saved handoff notes are confirmed to whoever saved them. Through the real receiver
 * (signed presses, commands and form submissions) and delivery into the Slack stand-in.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlert } from '../../src/alerts/alert-ingest.js';
import { acknowledgeAlert } from '../../src/incidents/acknowledge.js';
import { declareIncident } from '../../src/incidents/declare.js';
import { resolveIncident } from '../../src/incidents/resolution.js';
import { sweepTimers } from '../../src/incidents/timer-sweeper.js';
import { checklistAnchor } from '../../src/presenter/event-messages.js';
import { alertAnchor } from '../../src/db/state/state-records.js';
import { INCIDENT_RESOLVE_ALERTS_ACTION, INCIDENT_REVIEW_DONE_ACTION, TIMER_SNOOZE_ACTION } from '../../src/templates/incident-buttons.js';
import { HANDOFF_NOTES_CALLBACK } from '../../src/templates/handoff-notes-modal.js';
import { TEST_USER } from '../helpers/slack-harness.js';
import { startSlackEnv, type SlackEnv } from '../helpers/slack-env.js';

const CHANNEL = 'C0INCIDENT';
const HANDOFF = 'C0HANDOFF';
const MIN = 60_000;
const CONFIG = {
  channels: { incidents: CHANNEL, handoff: HANDOFF },
  responders: { users: [TEST_USER] },
  rotation: { start: '2026-11-02', primary: [TEST_USER, 'U0ONCALL2'] },
};

let se: SlackEnv;
beforeEach(async () => {
  se = await startSlackEnv({ file: CONFIG });
});
afterEach(() => se.close());

const state = () => se.env.deps.state;
const text = (m: { blocks?: unknown[] } | undefined) => JSON.stringify(m?.blocks ?? []);

/** The message an anchor names, as Slack shows it now: top-level, or a reply in a thread. */
async function anchored(anchor: string) {
  await se.d.delivery.drain();
  const posted = await state().slackMessages.get(anchor);
  if (!posted) return undefined;
  const ws = se.d.slack.workspace;
  const top = ws.messages(posted.channel);
  return [...top, ...top.flatMap((m) => ws.replies(posted.channel, m.ts))].find((m) => m.ts === posted.ts);
}

async function thread(incidentId: string) {
  await se.d.delivery.drain();
  const posted = (await state().slackMessages.get((await state().incidents.get(incidentId))!.anchor))!;
  return se.d.slack.workspace.replies(posted.channel, posted.ts);
}

describe('the post-incident checklist stays true', () => {
  it('is one reply in the thread, edited as the alerts are cleared and the review is done', async () => {
    const firedAt = se.env.clock();
    await ingestAlert(se.env.deps, { name: 'replica_lag', status: 'firing', message: 'Replica behind', source: 'atlas-webhook', severityHint: 'critical', firedAt });
    se.atlas.metrics.prepare("INSERT INTO alerts (name, status, message, fired_at) VALUES ('replica_lag', 'firing', 'Replica behind', ?)").run(firedAt.toISOString().replace('T', ' ').slice(0, 19));
    const { incident } = await acknowledgeAlert(se.env.deps, 'replica_lag', TEST_USER);
    await resolveIncident(se.env.deps, incident.id, { resolution: 'replica caught up' }, TEST_USER);
    const before = await anchored(checklistAnchor(incident.id));
    expect(before?.text).toBe(`📋 ${incident.id} post-incident checklist`);
    expect(text(before)).toContain('☐ Clear any firing alerts: 1 still firing (replica_lag)');
    const checklists = async () => (await thread(incident.id)).filter((m) => m.text.includes('post-incident checklist'));
    expect(await checklists()).toHaveLength(1);

    await se.h.press(INCIDENT_RESOLVE_ALERTS_ACTION, incident.id);
    await expectEventually(async () => text(await anchored(checklistAnchor(incident.id))).includes('✅ Clear any firing alerts: none firing'));
    await se.h.press(INCIDENT_REVIEW_DONE_ACTION, incident.id);
    await expectEventually(async () => text(await anchored(checklistAnchor(incident.id))).includes('✅ Review marked done'));
    // Edited in place: still one checklist in the thread, and none in the channel.
    expect(await checklists()).toHaveLength(1);
    expect(se.d.slack.workspace.messages(CHANNEL).filter((m) => m.text.includes('checklist'))).toHaveLength(0);
  });
});

describe('a snooze is shown', () => {
  it('in the thread (who, which, until when) and on the card until the reminder comes back', async () => {
    const { incident } = await declareIncident(se.env.deps, { title: 'proofs failing', actorId: TEST_USER });
    se.env.clock.advance(30 * MIN);
    const reminder = (await sweepTimers(se.env.deps)).reminders.find((r) => r.kind === 'update-due')!;
    const p = await se.h.press(`${TIMER_SNOOZE_ACTION}:30`, `${reminder.timerId}:30`);
    expect((await p.answer()).text).toContain('Snoozed until 13:00 UTC');
    const replies = await thread(incident.id);
    expect(replies.at(-1)!.text).toBe(`⏰ <@${TEST_USER}> snoozed the status update reminder of ${incident.id} for 30 min, until 13:00 UTC`);
    const card = await anchored(incident.anchor);
    expect(text(card)).toContain(`⏰ Status update reminder snoozed by <@${TEST_USER}> until 13:00 UTC`);
    // Once it has come back, the card no longer says it is snoozed.
    se.env.clock.advance(31 * MIN);
    await sweepTimers(se.env.deps);
    expect(text(await anchored(incident.anchor))).not.toContain('snoozed by');
  });
});

describe("an unacknowledged alert's snooze is shown on its channel message", () => {
  /** An alert firing, its message posted, and its ack reminder come and snoozed for 30 min by TEST_USER. */
  async function snoozedAlert() {
    const { alert } = await ingestAlert(se.env.deps, { name: 'provider_down', status: 'firing', message: 'census-tiger down', source: 'atlas-webhook', severityHint: 'critical', firedAt: se.env.clock() });
    const anchor = alertAnchor(alert!);
    expect(text(await anchored(anchor))).not.toContain('Snoozed by');
    se.env.clock.advance(5 * MIN);
    const reminder = (await sweepTimers(se.env.deps)).reminders.find((r) => r.kind === 'ack-reminder')!;
    const p = await se.h.press(`${TIMER_SNOOZE_ACTION}:30`, `${reminder.timerId}:30`);
    expect((await p.answer()).text).toContain('Snoozed until 12:35 UTC');
    return { alert: alert!, anchor };
  }

  it('says who and until when, and no longer once the reminder has come back', async () => {
    const { anchor } = await snoozedAlert();
    const message = await anchored(anchor);
    expect(text(message)).toContain(`⏰ Snoozed by <@${TEST_USER}> until 12:35 UTC`);
    // Still the alert's own message, with its Acknowledge button.
    expect(text(message)).toContain('Acknowledge');
    se.env.clock.advance(31 * MIN);
    expect((await sweepTimers(se.env.deps)).reminders.map((r) => r.kind)).toContain('ack-reminder');
    await expectEventually(async () => !text(await anchored(anchor)).includes('Snoozed by'));
  });

  it('is gone once the alert is acknowledged, or resolved', async () => {
    const { anchor } = await snoozedAlert();
    await expectEventually(async () => text(await anchored(anchor)).includes('Snoozed by'));
    await acknowledgeAlert(se.env.deps, 'provider_down', TEST_USER);
    await expectEventually(async () => {
      const t = text(await anchored(anchor));
      return t.includes('Take over') && !t.includes('Snoozed by');
    });

    se.env.clock.advance(MIN);
    const second = await snoozedAlertNamed('replica_lag');
    await expectEventually(async () => text(await anchored(second)).includes('Snoozed by'));
    await ingestAlert(se.env.deps, { name: 'replica_lag', status: 'resolved', message: 'caught up', source: 'atlas-webhook', firedAt: se.env.clock() });
    await expectEventually(async () => {
      const t = text(await anchored(second));
      return t.includes('resolved at') && !t.includes('Snoozed by');
    });
  });

  async function snoozedAlertNamed(name: string): Promise<string> {
    const { alert } = await ingestAlert(se.env.deps, { name, status: 'firing', message: `${name} firing`, source: 'atlas-webhook', severityHint: 'warning', firedAt: se.env.clock() });
    await anchored(alertAnchor(alert!));
    se.env.clock.advance(5 * MIN);
    const reminder = (await sweepTimers(se.env.deps)).reminders.find((r) => r.kind === 'ack-reminder' && r.alertKey === alert!.key)!;
    await (await se.h.press(`${TIMER_SNOOZE_ACTION}:30`, `${reminder.timerId}:30`)).answer();
    return alertAnchor(alert!);
  }
});

describe('handoff notes', () => {
  it('are confirmed privately to whoever saved them, where they opened the form', async () => {
    const monday = '2026-11-30T00:00:00.000Z';
    const sent = await se.h.submit(HANDOFF_NOTES_CALLBACK, { shiftChange: monday, channel: HANDOFF }, { notes: { value: { type: 'plain_text_input', value: 'Batch paused.' } } });
    expect(sent).toEqual({ status: 200, body: {} });
    const confirmation = await expectEventually(() => se.d.slack.workspace.ephemerals({ channel: HANDOFF, user: TEST_USER }).find((e) => (e.text ?? '').includes('Handoff notes saved')));
    expect(confirmation.text).toMatch(/^✅ Handoff notes saved.*they go out with the handoff at 2026-11-30 00:00 UTC\.$/);
  });
});

async function expectEventually<T>(check: () => T | Promise<T>, ms = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
