import { canonicalIncidentId } from '../ids.js';
import type { StateTransaction } from '../db/state/state-store.js';
import type { Incident } from '../db/state/state-records.js';
import { IncidentError } from './incident-errors.js';
import type { DomainDeps } from './incident-deps.js';
import { refOf } from './incident-input.js';

/**
 * The incident a person meant: an id in any case, or nothing when exactly one incident is
 * open. The error says what to type instead.
 */
export async function findIncident(state: StateTransaction, ref: unknown, opts: { mustBeOpen?: boolean } = {}): Promise<Incident> {
  const given = refOf(ref);
  let incident: Incident | null;
  if (given === undefined) {
    const open = await state.incidents.open();
    if (open.length === 0) throw new IncidentError('No incident is open. `/atlas incidents` lists them; `/atlas declare <title>` opens one.');
    if (open.length > 1) throw new IncidentError(`${open.length} incidents are open (${open.map((i) => i.id).join(', ')}); say which one.`);
    incident = open[0]!;
  } else {
    const id = canonicalIncidentId(given);
    if (!id) throw new IncidentError(`\`${given.slice(0, 40)}\` is not an incident id; they look like INC-20261126-1.`);
    incident = await state.incidents.get(id);
    if (!incident) throw new IncidentError(`No incident ${given.toUpperCase().slice(0, 40)}. \`/atlas incidents\` lists the open ones.`);
  }
  if (opts.mustBeOpen && incident.status === 'resolved') {
    throw new IncidentError(`${incident.id} is already resolved (${incident.resolved_at?.slice(0, 16).replace('T', ' ')} UTC).`);
  }
  return incident;
}

/** Runs `fn` on the incident a reference means, in one transaction, at one instant. */
export async function withIncident<T>(deps: DomainDeps, ref: unknown, opts: { mustBeOpen: boolean }, fn: (tx: StateTransaction, incident: Incident, now: Date) => Promise<T>): Promise<T> {
  const now = deps.clock();
  return await deps.state.transaction(async (tx) => await fn(tx, await findIncident(tx, ref, opts), now));
}
