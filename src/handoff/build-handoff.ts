import type { StateTransaction } from '../db/state/state-store.js';
import type { HandoffDeps } from './handoff-deps.js';
import type { HandoffContent, HandoffProblem } from '../oncall/handoff-content.js';
import { gatherHandoff } from './gather-handoff.js';
import type { ShiftPair } from '../oncall/rotation-source.js';
import { within } from '../time/within.js';

const NOBODY: ShiftPair = { primary: null, secondary: null };

export interface HandoffOccasion {
  /** The shift change the handoff is for. */
  shiftChange: Date;
  /** Set when it is posted after its time (the bot was down). */
  late?: boolean;
  /** Earlier shift changes missed in its favour. */
  skipped?: Date[];
}

/** Who hands over to whom at a shift change: on call just before it, and from it. */
export async function handoffPeople(deps: Pick<HandoffDeps, 'rotation'>, shiftChange: Date): Promise<{ outgoing: ShiftPair; incoming: ShiftPair }> {
  const pair = async (t: Date): Promise<ShiftPair> => {
    const on = await deps.rotation.at(t);
    return on ? { primary: on.primary, secondary: on.secondary } : NOBODY;
  };
  return { outgoing: await pair(new Date(shiftChange.getTime() - 1)), incoming: await pair(shiftChange) };
}

/** The notes kept for a shift change, as the handoff shows them. */
export async function handoffNotes(deps: { state: Pick<StateTransaction, 'handoffs'> }, shiftChange: Date): Promise<{ text: string; by: string; at: Date } | null> {
  const row = await deps.state.handoffs.get(shiftChange);
  return row?.notes && row.notes_by && row.notes_at ? { text: row.notes, by: row.notes_by, at: new Date(row.notes_at) } : null;
}

/** How long the handoff waits for Slack to say who is still in the workspace: it is posted on time regardless. */
const PEOPLE_BOUND_MS = 3_000;

/**
 * Who the handoff names that Slack no longer knows, and whether the outgoing primary's notes
 * reminder was given up. Slack not answering in time says nothing: the handoff goes out.
 */
async function peopleProblems(deps: HandoffDeps, shiftChange: Date, people: { outgoing: ShiftPair; incoming: ShiftPair }): Promise<HandoffProblem[]> {
  const named = new Map<string, string>();
  for (const [role, id] of [
    ['outgoing primary', people.outgoing.primary],
    ['incoming primary', people.incoming.primary],
    ['incoming secondary', people.incoming.secondary],
  ] as const) {
    if (id && !named.has(id)) named.set(id, role);
  }
  const problems: HandoffProblem[] = [];
  const exists = deps.userExists;
  if (exists) {
    const answers = await Promise.all([...named].map(async ([id, role]) => ({ id, role, exists: await within(exists(id).catch(() => null), PEOPLE_BOUND_MS, () => null) })));
    for (const a of answers) if (a.exists === false) problems.push({ kind: 'user-gone', userId: a.id, role: a.role });
  }
  const outgoing = people.outgoing.primary;
  if (outgoing) {
    const since = new Date(shiftChange.getTime() - (deps.config.handoff.reminderMinutes + 5) * 60_000);
    const error = await deps.state.outbox.failureTo(outgoing, since);
    if (error) problems.push({ kind: 'reminder-undelivered', userId: outgoing, error });
  }
  return problems;
}

/** The handoff for a shift change, filled in from the data as of now. */
export async function buildHandoff(deps: HandoffDeps, occasion: HandoffOccasion): Promise<HandoffContent> {
  const people = await handoffPeople(deps, occasion.shiftChange);
  return gatherHandoff(deps, {
    shiftChange: occasion.shiftChange,
    ...people,
    notes: await handoffNotes(deps, occasion.shiftChange),
    late: occasion.late ? { scheduled: occasion.shiftChange } : null,
    skipped: occasion.skipped ?? [],
    now: deps.clock(),
    problems: await peopleProblems(deps, occasion.shiftChange, people),
  });
}
