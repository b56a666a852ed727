/**
 * What can happen to the stood-in Shadow Atlas service, one story each: the sandbox page's
 * scenario picker starts one at the sandbox's present. A scenario is a plan of conditions in
 * time (providers down, a batch job that runs long); the running service (running-service.ts)
 * writes the metrics, job rows and alerts those conditions produce as the clock moves.
 */
import type { ProviderOutage } from './generate-atlas-data.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** A batch job whose extractions each take minutes (the guide's alert line is 120 s) from `from` until `until`. */
export interface SlowJobPlan {
  from: number;
  until: number;
}

export interface ServicePlan {
  outages: ProviderOutage[];
  slowJob: SlowJobPlan | null;
}

export interface ServiceScenario {
  id: string;
  /** What the page's picker says. */
  label: string;
  /** One sentence: what happens, and when, from the moment it starts. */
  description: string;
  /** The plan from `at` on (a 5-minute boundary of the service's ticks). */
  plan(at: number): ServicePlan;
}

const UNAVAILABLE = '503 Service Unavailable';

export const SERVICE_SCENARIOS: readonly ServiceScenario[] = [
  {
    id: 'provider-outage',
    label: 'P1 · ArcGIS Hub outage, recovers after 1 h',
    description: 'ArcGIS Hub answers 503 from now; provider_down fires 5 min later and resolves when Hub is back, 1 h from now.',
    plan: (at) => ({ outages: [{ provider: 'ArcGIS Hub', error: UNAVAILABLE, from: at, until: at + HOUR }], slowJob: null }),
  },
  {
    id: 'long-outage',
    label: 'P1 · Census TIGER down for 10 h (escalation, handoff, 8-hour nudge)',
    description:
      'Census TIGER answers 503 for 10 h: provider_down fires 5 min from now and stays, long enough for the unacknowledged escalation, the update reminders, a shift change and the 8-hour nudge; then it resolves.',
    plan: (at) => ({ outages: [{ provider: 'Census TIGER', error: UNAVAILABLE, from: at, until: at + 10 * HOUR }], slowJob: null }),
  },
  {
    id: 'long-job',
    label: 'P2 · A batch job that runs for 3 h',
    description: 'A batch job starts now and its extractions take minutes each; job_duration_regression fires after 30 min and resolves when the job completes, 3 h from now.',
    plan: (at) => ({ outages: [], slowJob: { from: at, until: at + 3 * HOUR } }),
  },
  {
    id: 'all-clear',
    label: 'All clear · every provider answers, jobs finish',
    description: 'Whatever was planted ends now (the demo’s Census TIGER outage too): the service’s alerts resolve at its next check.',
    plan: () => ({ outages: [], slowJob: null }),
  },
];
