import { drawAndShareChart } from '../charts/draw-chart.js';
import { HANDOFF_LANE } from '../presenter/event-messages.js';
import type { HandoffDeps } from './handoff-deps.js';
import { dueHandoff, dueReminder } from '../oncall/handoff-schedule.js';
import { buildHandoff, handoffNotes, handoffPeople } from './build-handoff.js';

export interface HandoffRun {
  /** The shift change whose outgoing primary was reminded in this run. */
  reminded: Date | null;
  /** The shift change whose handoff this run posted (null: none due, or another process posted it). */
  posted: Date | null;
  /** The shift the bot first started in, recorded without a post. */
  baseline: Date | null;
}

/** The outgoing primary's notes reminder, once per shift change, whichever process or tick gets there first. */
async function remindOutgoing(deps: HandoffDeps, now: Date): Promise<Date | null> {
  const due = await dueReminder(deps.rotation, deps.state.handoffs, now, deps.config.handoff.reminderMinutes);
  if (!due) return null;
  // Who is on call is read before the transaction: the rotation reads the outer store.
  const { incoming } = await handoffPeople(deps, due.shiftChange);
  return await deps.state.transaction(async (tx) => {
    if (!(await tx.handoffs.claimReminder(due.shiftChange, now))) return null;
    const notes = (await handoffNotes({ state: tx }, due.shiftChange))?.text ?? null;
    await deps.events.record(tx, { type: 'handoff-reminder', shiftChange: due.shiftChange, outgoing: due.outgoing, incoming: incoming.primary, notes, timezone: deps.rotation.timezone }, now);
    return due.shiftChange;
  });
}

/**
 * The handoff's clock, run every few seconds: the notes reminder before a shift change, and the
 * handoff at it. Each is claimed in chatops.db in the transaction that queues its message, so a
 * restart, a second bot process or a repeated tick never posts one twice; a handoff missed
 * while the bot was down is posted when it is back, late, naming any earlier ones it skipped.
 */
export async function runHandoffs(deps: HandoffDeps): Promise<HandoffRun> {
  const run: HandoffRun = { reminded: null, posted: null, baseline: null };
  // Without a handoff channel there is nothing to post, and nothing to add notes to.
  if (!deps.config.channels.handoff) return run;
  const now = deps.clock();
  run.reminded = await remindOutgoing(deps, now);
  const due = await dueHandoff(deps.rotation, deps.state.handoffs, now);
  if (due.kind === 'baseline') {
    if (await deps.state.transaction(async (tx) => await tx.handoffs.markBaseline(due.shiftChange, now))) {
      deps.logger.info({ shiftChange: due.shiftChange.toISOString() }, 'first start mid-shift: handoffs are posted from the next shift change on');
      run.baseline = due.shiftChange;
    }
    return run;
  }
  if (due.kind !== 'post') return run;
  const content = await buildHandoff(deps, due);
  const at = deps.clock();
  const { outgoing, incoming } = await handoffPeople(deps, due.shiftChange);
  const posted = await deps.state.transaction(async (tx) => {
    // Notes saved while the data was gathered are the outgoing engineer's last word: they go out too.
    const notes = await handoffNotes({ state: tx }, due.shiftChange);
    if (!(await tx.handoffs.claimPost(due.shiftChange, { outgoing: outgoing.primary, incoming: incoming.primary, late: due.late, skipped: due.skipped }, at))) return false;
    // The audit chain's head goes out with it, recorded as published in the same transaction.
    const auditHead = await tx.audit.publishHead(`handoff:${due.shiftChange.toISOString()}`, at);
    await deps.events.record(tx, { type: 'handoff-posted', handoff: { ...content, notes, auditHead }, postedBy: null, nextScheduled: null }, at);
    return true;
  });
  if (posted) {
    run.posted = due.shiftChange;
    // The week's errors and availability follow the handoff in its channel, drawn after it was queued.
    if (deps.flowCharts) void postHandoffCharts(deps, deps.config.channels.handoff);
  }
  return run;
}

/** How far back the handoff's charts look. */
export const HANDOFF_CHART_WINDOW_MS = 7 * 86_400_000;

/** The handoff's charts: errors and provider availability over 7 days, after the handoff in its lane. */
export async function postHandoffCharts(deps: HandoffDeps, channel: string): Promise<void> {
  for (const kind of ['errors', 'providers'] as const) await drawAndShareChart(deps, { kind, windowMs: HANDOFF_CHART_WINDOW_MS, channel, lane: HANDOFF_LANE });
}
