/**
 * What one person's App Home tab shows, as plain data (src/templates/home-view.ts lays it out):
 * who is on call, the open incidents, the firing alerts, the health verdict, the next handoff
 * and the diagnostics they may run. Each part is shown only to someone who may run the command
 * that answers the same question, so the Home never shows more than `/atlas` would.
 */
import type { DomainDeps } from '../incidents/incident-deps.js';
import type { AlertRecord } from '../db/state/state-records.js';
import { listIncidents, type IncidentSummary } from '../incidents/incident-queries.js';
import type { OnCallRole } from '../oncall/rotation-source.js';
import { readReplicaViews, type ReplicaView } from '../replicas/replica-presence.js';
import { homeHealth, type HomeHealth } from './home-health.js';

/** What a Home reads: the domain's state, and outbound HTTP for the health checks. */
export type HomeDeps = DomainDeps & { fetch: typeof fetch; replicaId?: string };

/** The diagnostics the Home offers as buttons, in this order; each is the subcommand of that name. */
export const HOME_DIAGNOSTICS = ['health', 'alerts', 'jobs', 'incidents', 'oncall'] as const;
export type HomeDiagnostic = (typeof HOME_DIAGNOSTICS)[number];

/** The Acknowledge button stands for this subcommand. */
const ACK_COMMAND = 'ack';
/** The Acknowledge handler takes alert keys up to this long (src/handlers/buttons.ts). */
const ACK_KEY_MAX = 200;

/** Who is on call, from the viewer's side. */
export type HomeOnCall =
  | { kind: 'no-rotation' }
  /** The rotation's first shift is still ahead. */
  | { kind: 'not-started'; startsAt: Date }
  /** The viewer is on call; `partner` holds the other role; `coveringFor` whom the rotation put there, when the viewer covers. */
  | { kind: 'you'; role: OnCallRole; until: Date; partner: string | null; coveringFor: string | null }
  | { kind: 'others'; primary: string | null; secondary: string | null; until: Date };

export interface HomeAlert {
  key: string;
  name: string;
  severity: AlertRecord['severity'];
  firedAt: string;
  message: string;
  /** The incident it belongs to, once acknowledged. */
  incidentId: string | null;
  /** Offer Acknowledge: firing, nobody's yet, the viewer may acknowledge, and the key fits the button. */
  acknowledge: boolean;
}

export interface HomeHandoff {
  at: Date;
  outgoing: string | null;
  incoming: string | null;
  notes: { text: string; by: string | null; at: string | null } | null;
}

export interface HomeContent {
  viewer: string;
  now: Date;
  onCall: HomeOnCall;
  /** Open incidents, worst first; null when the viewer may not list incidents. */
  incidents: IncidentSummary[] | null;
  /** Firing alerts, those waiting for an acknowledgement first; null when the viewer may not list alerts. */
  alerts: HomeAlert[] | null;
  /** null when the viewer may not run health. */
  health: HomeHealth | null;
  /** null without a rotation. */
  handoff: HomeHandoff | null;
  /** The diagnostics buttons the viewer may press. */
  diagnostics: HomeDiagnostic[];
  /**
   * The bot processes sharing the state, for whoever may run `doctor`: only when there are
   * several, or none reaches the service's data (one replica that works is nothing to read at 3 a.m.).
   */
  replicas: ReplicaView[] | null;
}

export interface HomeContentOptions {
  /** How long a Home waits for the very first health run before saying it is being checked. */
  healthWaitMs: number;
}

async function onCallFor(deps: HomeDeps, viewer: string, now: Date): Promise<HomeOnCall> {
  const at = await deps.rotation.at(now);
  if (!at) {
    const first = deps.rotation.nextShiftChange(now);
    return first ? { kind: 'not-started', startsAt: first } : { kind: 'no-rotation' };
  }
  const role: OnCallRole | null = at.primary === viewer ? 'primary' : at.secondary === viewer ? 'secondary' : null;
  if (!role) return { kind: 'others', primary: at.primary, secondary: at.secondary, until: at.until };
  const scheduled = at.shift.scheduled[role];
  const coveringFor = at.covering[role]?.user === viewer && scheduled !== viewer ? scheduled : null;
  return { kind: 'you', role, until: await stintEnd(deps, viewer, role, at.until), partner: role === 'primary' ? at.secondary : at.primary, coveringFor };
}

/** Change points looked through for the end of someone's stint (a rotation of one person never ends). */
const STINT_LOOKAHEAD = 50;

/**
 * When `viewer` stops holding `role`: `at.until` is when anyone's role changes (the partner's
 * override may begin first), so the change points are walked until the role is someone else's.
 */
async function stintEnd(deps: HomeDeps, viewer: string, role: OnCallRole, from: Date): Promise<Date> {
  let t = from;
  for (let i = 0; i < STINT_LOOKAHEAD; i++) {
    const next = await deps.rotation.at(t);
    if (!next || next[role] !== viewer || next.until <= t) return t;
    t = next.until;
  }
  return t;
}

async function nextHandoff(deps: HomeDeps, now: Date): Promise<HomeHandoff | null> {
  const at = deps.rotation.nextShiftChange(now);
  if (!at) return null;
  const row = await deps.state.handoffs.get(at);
  const notes = row?.notes ? { text: row.notes, by: row.notes_by, at: row.notes_at } : null;
  return { at, outgoing: (await deps.rotation.at(now))?.primary ?? null, incoming: (await deps.rotation.at(at))?.primary ?? null, notes };
}

async function firingAlerts(deps: HomeDeps, mayAcknowledge: boolean): Promise<HomeAlert[]> {
  const alerts = (await deps.state.alerts.firing()).map(
    (a): HomeAlert => ({
      key: a.key,
      name: a.name,
      severity: a.severity,
      firedAt: a.fired_at,
      message: a.message,
      incidentId: a.incident_id,
      acknowledge: mayAcknowledge && a.incident_id === null && a.key.length <= ACK_KEY_MAX,
    }),
  );
  // What still needs someone comes first, worst first, newest first.
  return alerts.sort(
    (x, y) => Number(x.incidentId !== null) - Number(y.incidentId !== null) || x.severity.localeCompare(y.severity) || y.firedAt.localeCompare(x.firedAt),
  );
}

/**
 * The Home of `viewer` now. `may` holds the subcommands they may run, decided as for a press on
 * the Home (in their DM with the bot), so a button shown is a button that works.
 */
export async function homeContent(deps: HomeDeps, may: ReadonlySet<string>, viewer: string, opts: HomeContentOptions): Promise<HomeContent> {
  const now = deps.clock();
  return {
    viewer,
    now,
    onCall: await onCallFor(deps, viewer, now),
    incidents: may.has('incidents') ? await listIncidents(deps.state, now) : null,
    alerts: may.has('alerts') ? await firingAlerts(deps, may.has(ACK_COMMAND)) : null,
    health: may.has('health') ? await homeHealth(deps, opts.healthWaitMs) : null,
    handoff: await nextHandoff(deps, now),
    diagnostics: HOME_DIAGNOSTICS.filter((c) => may.has(c)),
    replicas: may.has('doctor') ? worthShowing(await readReplicaViews(deps.state, now, deps.replicaId ?? null)) : null,
  };
}

function worthShowing(replicas: ReplicaView[]): ReplicaView[] | null {
  return replicas.length > 1 || !replicas.some((r) => r.reachesData) ? replicas : null;
}
