import type { Clock } from '../clock.js';
import { iso } from '../db/state/state-records.js';
import type { LeaseRow } from '../db/state/lease-store.js';
import type { ReplicaRow } from '../db/state/replica-store.js';
import type { StateStore } from '../db/state/state-store.js';
import type { ReplicaIdentity } from './replica-identity.js';

/** How often a replica says it is there; one not heard from for three of these is gone. */
export const PRESENCE_CRON = '*/10 * * * * *';
export const PRESENCE_STALE_MS = 30_000;
/** Rows of replicas gone this long are forgotten. */
const FORGET_AFTER_MS = 7 * 24 * 3_600_000;

export async function reportPresence(state: StateStore, me: ReplicaIdentity, reaches: boolean, clock: Clock): Promise<void> {
  const now = clock();
  await state.replicas.report({ id: me.id, name: me.name, host: me.host, pid: me.pid, reaches_data: reaches ? 1 : 0, started_at: iso(me.startedAt) }, now);
  await state.replicas.prune(new Date(now.getTime() - FORGET_AFTER_MS));
}

/** A replica as /healthz, doctor and App Home show it: what it reaches and which jobs it holds. */
export interface ReplicaView {
  name: string;
  host: string;
  id: string;
  reachesData: boolean;
  seenSecondsAgo: number;
  /** The jobs whose lease it holds now. */
  leases: string[];
  self: boolean;
}

/** The live replicas and the leases in force, as one view. */
export function replicaViews(replicas: readonly ReplicaRow[], leases: readonly LeaseRow[], now: Date, selfId: string | null): ReplicaView[] {
  const inForce = leases.filter((l) => l.expires_at > iso(now));
  return replicas.map((r) => ({
    name: r.name,
    host: r.host,
    id: r.id,
    reachesData: r.reaches_data === 1,
    seenSecondsAgo: Math.max(0, Math.round((now.getTime() - Date.parse(r.seen_at)) / 1000)),
    leases: inForce.filter((l) => l.holder === r.id).map((l) => l.name.replace(/^job:/, '')),
    self: r.id === selfId,
  }));
}

/** Reads the live replicas and the leases from the state. */
export async function readReplicaViews(state: StateStore, now: Date, selfId: string | null): Promise<ReplicaView[]> {
  const [replicas, leases] = await Promise.all([state.replicas.live(new Date(now.getTime() - PRESENCE_STALE_MS)), state.leases.list()]);
  return replicaViews(replicas, leases, now, selfId);
}

/** ok while a live replica reaches the service's data; warn when none does (or none runs). */
export function replicasLevel(replicas: readonly ReplicaView[]): 'ok' | 'warn' {
  return replicas.some((r) => r.reachesData) ? 'ok' : 'warn';
}

/** One line: each live replica, what it reaches and the jobs it holds. */
export function describeReplicas(replicas: readonly ReplicaView[]): string {
  if (replicas.length === 0) return `no bot process has reported in the last ${PRESENCE_STALE_MS / 1000} s: is the bot running?`;
  const each = replicas.map((r) => {
    const reach = r.reachesData ? 'reaches the service data' : 'no service data';
    // Alone, it runs whatever it can: naming a dozen jobs would only be noise.
    const jobs = replicas.length > 1 && r.leases.length > 0 ? ` (runs ${r.leases.join(', ')})` : '';
    return `${r.name}${r.self ? ' (this one)' : ''} on ${r.host}: ${reach}${jobs}`;
  });
  const none = replicas.some((r) => r.reachesData) ? '' : ' — none reaches the service data: alerts are not read and remediation cannot run';
  return `${each.join(' · ')}${none}`;
}
