/**
 * People named, not numbered, wherever they are read outside Slack (the review draft, GitHub
 * issues, the terminal's handoff): Slack's display or real name from users.info, kept in the
 * state with the time it was asked. A name younger than NAME_TTL_MS is used as is; an older one
 * is asked again when Slack can be asked (the bot), and still used when it cannot (the terminal,
 * Slack down). Only someone never seen stays their user ID. Inside Slack, mentions stay `<@U…>`.
 */
import type { Clock } from '../clock.js';
import type { StateStore } from '../db/state/state-store.js';
import { isSlackUserId } from '../ids.js';
import { within } from '../time/within.js';
import type { UserName } from './workspace-people.js';

/** A day: people rarely change their display name, and a stale name is still a name. */
export const NAME_TTL_MS = 24 * 60 * 60_000;
/** All the users.info calls of one rendering together wait at most this long. */
const LOOKUP_BOUND_MS = 4_000;

export interface NameSources {
  state: StateStore;
  clock: Clock;
  /** users.info; absent in the terminal. */
  userName?: UserName;
}

/**
 * The names of `ids`, from the state, asking Slack (bounded in time) for those never seen or
 * seen too long ago; each answer is kept for next time and for the terminal.
 */
export async function peopleNames(src: NameSources, ids: Iterable<string | null | undefined>): Promise<(userId: string | null | undefined) => string> {
  const now = src.clock();
  const names = new Map<string, string>();
  const ask: string[] = [];
  for (const id of new Set([...ids].filter((x): x is string => typeof x === 'string' && isSlackUserId(x)))) {
    const known = await src.state.people.get(id);
    if (known) names.set(id, known.name);
    if (!known || now.getTime() - new Date(known.fetched_at).getTime() >= NAME_TTL_MS) ask.push(id);
  }
  const lookup = src.userName;
  if (lookup && ask.length > 0) {
    // Each answer is kept as it comes, even one that arrives after this rendering stopped waiting.
    const asked = Promise.all(
      ask.map(async (id) => {
        const name = await lookup(id).catch(() => null);
        if (name === null) return;
        await src.state.transaction(async (tx) => await tx.people.put(id, name, now));
        names.set(id, name);
      }),
    );
    await within(asked, LOOKUP_BOUND_MS, () => undefined);
  }
  // A copy: answers arriving later must not change a rendering half-way.
  const settled = new Map(names);
  return (id) => (!id ? 'nobody' : (settled.get(id) ?? id));
}

/** Remembers one person's name now (the bot, when someone acts), so the terminal can name them later. Never throws. */
export async function rememberName(src: NameSources, userId: string): Promise<void> {
  try {
    await peopleNames(src, [userId]);
  } catch {
    // A name is a courtesy: the ID serves until the next time.
  }
}
