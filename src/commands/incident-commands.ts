import { z } from 'zod';
import {
  acknowledgeAlert,
  addNote,
  changeOwner,
  changeSeverity,
  declareIncident,
  escalate,
  ESCALATE_TARGETS,
  lookupIncident,
  incidentTimeline,
  listIncidents,
  markReviewDone,
  parseEta,
  postStatusUpdate,
  resolveIncident,
  reviewDraft,
  setAckDetails,
  type EscalateTarget,
} from '../incidents/incident-service.js';
import { IncidentError } from '../incidents/incident-store.js';
import { INCIDENT_STATUSES, type IncidentStatus } from '../incidents/incident-types.js';
import type { Severity } from '../incidents/severity-matrix.js';
import { incidentActionReport, incidentsReport, reviewReport, timelineReport } from '../templates/incident-messages.js';
import { problemReport, type Report } from '../templates/report.js';
import { hhmm } from '../templates/slack-time.js';
import { defineCommand, noPositionals, type CommandSpec } from './command-spec.js';

const INCIDENT_ID = /^INC-\d{8}-\d{1,4}$/i;

/** Splits off a leading incident id; without one, the service picks the only open incident. */
function takeRef(words: readonly string[]): { ref: string | undefined; rest: string[] } {
  const [first, ...rest] = words;
  return first !== undefined && INCIDENT_ID.test(first) ? { ref: first, rest } : { ref: undefined, rest: [...words] };
}

/** Runs an action; an IncidentError is the user's answer, not a failure of the bot. */
async function answer(command: string, fn: () => Promise<Report> | Report): Promise<Report> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof IncidentError) return problemReport(command, err.message);
    throw err;
  }
}

const severityWord = z
  .string()
  .transform((s, ctx): Severity => {
    const up = s.trim().toUpperCase();
    if (up === 'P0' || up === 'P1' || up === 'P2') return up;
    ctx.addIssue({ code: 'custom', message: `severity is P0, P1 or P2 (got "${s.slice(0, 10)}")` });
    return z.NEVER;
  });

const words = (max: number, message: string) => z.array(z.string()).max(max, { message });

/**
 * A person as typed: Slack's escaped mention `<@U123|name>`, `<@U123>`, `@U123`, `U123`, or a
 * login name in the terminal. Anything else goes to the service, which refuses it clearly.
 */
export function parseUserRef(word: string): string {
  const slack = /^<?@?([UW][A-Z0-9]{2,})(?:\|[^>]*)?>?$/.exec(word.trim());
  if (slack) return slack[1]!;
  return word.trim().replace(/^@/, '');
}

const ack = defineCommand({
  name: 'ack',
  summary: 'Acknowledge a firing alert: opens its incident, yours, with the initial response in the thread',
  usage: '[alert] [--impact "…"] [--eta 30m]',
  tier: 'incident',
  options: { impact: { type: 'string' }, eta: { type: 'string' } },
  args: z
    .object({ _: words(20, 'takes one alert name'), impact: z.string().optional(), eta: z.string().optional() })
    .transform(({ _, impact, eta }) => ({ alert: _.join(' '), impact, eta })),
  run: (args, deps, actor) =>
    answer('ack', async () => {
      // A bad --eta is refused before anything is acknowledged.
      if (args.eta !== undefined && !parseEta(args.eta, deps.clock())) {
        return problemReport('ack', `--eta "${args.eta.slice(0, 30)}" is not a time: give minutes (30m), hours (2h) or a UTC time (14:30).`);
      }
      const acked = await acknowledgeAlert(deps, args.alert, actor.userId);
      if (args.impact !== undefined || args.eta !== undefined) {
        const details = await setAckDetails(deps, acked.incident.id, { impact: args.impact, eta: args.eta }, actor.userId);
        return incidentActionReport('ack', `${acked.message} ${details.message}`, { incidentId: acked.incident.id });
      }
      return {
        ...incidentActionReport('ack', acked.message, { incidentId: acked.incident.id }),
        footer: `Impact and next update: being assessed, ${acked.incident.next_update_at ? hhmm(acked.incident.next_update_at) : 'on the cadence'} by default (in the terminal: --impact and --eta).`,
        modal: { kind: 'ack-details', incidentId: acked.incident.id },
      };
    }),
});

const declare = defineCommand({
  name: 'declare',
  summary: 'Open an incident without an alert; the severity comes from the title unless --sev says',
  usage: '<title> [--sev P0|P1|P2]',
  tier: 'incident',
  options: { sev: { type: 'string' } },
  args: z
    .object({ _: z.array(z.string()).min(1, { message: 'needs a title, e.g. `declare tiger down --sev P1`' }), sev: severityWord.optional() })
    .transform(({ _, sev }) => ({ title: _.join(' '), sev })),
  run: (args, deps, actor) =>
    answer('declare', async () => {
      const r = await declareIncident(deps, { title: args.title, ...(args.sev ? { severity: args.sev } : {}), actorId: actor.userId });
      return incidentActionReport('declare', r.message, { incidentId: r.incident.id, severity: r.incident.severity });
    }),
});

const statusWord = z
  .string()
  .transform((s, ctx): IncidentStatus => {
    const found = INCIDENT_STATUSES.find((x) => x === s.trim().toLowerCase() && x !== 'resolved');
    if (found) return found;
    ctx.addIssue({ code: 'custom', message: 'takes investigating, identified or monitoring (`resolve` closes an incident)' });
    return z.NEVER;
  });

const update = defineCommand({
  name: 'update',
  summary: 'Post the guide\'s "Incident Update [HH:MM UTC]" in the thread (a form in Slack)',
  usage: '[INC] [--summary "…"] [--completed "…"] [--in-progress "…"] [--blocked "…"] [--next "…"] [--eta "…"] [--status identified]',
  tier: 'incident',
  options: {
    summary: { type: 'string' },
    completed: { type: 'string' },
    'in-progress': { type: 'string' },
    blocked: { type: 'string' },
    next: { type: 'string' },
    eta: { type: 'string' },
    status: { type: 'string' },
  },
  args: z.object({
    _: words(1, 'takes at most an incident id'),
    summary: z.string().optional(),
    completed: z.string().optional(),
    'in-progress': z.string().optional(),
    blocked: z.string().optional(),
    next: z.string().optional(),
    eta: z.string().optional(),
    status: statusWord.optional(),
  }),
  run: (args, deps, actor) =>
    answer('update', async () => {
      if (args.summary === undefined) {
        const incident = lookupIncident(deps, args._[0], { mustBeOpen: true });
        return {
          command: 'update',
          level: 'info',
          headline: `Status update for ${incident.id}: the form opens in Slack; in the terminal give --summary "…" (and --completed, --in-progress, --blocked, --next, --eta).`,
          sections: [],
          modal: { kind: 'update', incidentId: incident.id },
        };
      }
      const r = await postStatusUpdate(
        deps,
        args._[0] ?? '',
        {
          summary: args.summary,
          completed: args.completed,
          inProgress: args['in-progress'],
          blocked: args.blocked,
          nextSteps: args.next,
          eta: args.eta,
          ...(args.status ? { status: args.status } : {}),
        },
        actor.userId,
      );
      return incidentActionReport('update', r.message, { incidentId: r.incident.id });
    }),
});

const sev = defineCommand({
  name: 'sev',
  summary: 'Change an incident\'s severity; the update cadence and escalation deadlines follow',
  usage: '[INC] <P0|P1|P2>',
  tier: 'incident',
  args: z
    .object({ _: z.array(z.string()).min(1, { message: 'needs the new severity: `sev INC-… P1`' }).max(2, { message: 'takes an incident id and a severity' }) })
    .transform(({ _ }, ctx) => {
      const { ref, rest } = takeRef(_);
      const parsed = severityWord.safeParse(rest[0] ?? '');
      if (rest.length !== 1 || !parsed.success) {
        ctx.addIssue({ code: 'custom', message: parsed.success ? 'takes an incident id and a severity' : (parsed.error.issues[0]?.message ?? 'needs a severity') });
        return z.NEVER;
      }
      return { ref, severity: parsed.data };
    }),
  run: (args, deps, actor) =>
    answer('sev', async () => {
      const r = await changeSeverity(deps, args.ref ?? '', args.severity, actor.userId);
      return incidentActionReport('sev', r.message, { incidentId: r.incident.id, severity: r.incident.severity });
    }),
});

const own = defineCommand({
  name: 'own',
  summary: 'Hand an incident to someone (@user), or take it yourself',
  usage: '[INC] [@user]',
  tier: 'incident',
  args: z
    .object({ _: words(2, 'takes an incident id and one user') })
    .transform(({ _ }, ctx) => {
      const { ref, rest } = takeRef(_);
      if (rest.length > 1) {
        ctx.addIssue({ code: 'custom', message: 'takes an incident id and one user' });
        return z.NEVER;
      }
      return { ref, user: rest[0] === undefined ? undefined : parseUserRef(rest[0]) };
    }),
  run: (args, deps, actor) =>
    answer('own', async () => {
      const r = await changeOwner(deps, args.ref ?? '', args.user ?? actor.userId, actor.userId);
      return incidentActionReport('own', r.message, { incidentId: r.incident.id, ownerId: r.incident.owner_id });
    }),
});

const note = defineCommand({
  name: 'note',
  summary: 'Add a note to an incident\'s timeline and thread (notes become review action items)',
  usage: '[INC] <text…>',
  tier: 'incident',
  args: z.object({ _: z.array(z.string()) }).transform(({ _ }, ctx) => {
    const { ref, rest } = takeRef(_);
    if (rest.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'needs the text of the note' });
      return z.NEVER;
    }
    return { ref, text: rest.join(' ') };
  }),
  run: (args, deps, actor) =>
    answer('note', async () => {
      const r = await addNote(deps, args.ref ?? '', args.text, actor.userId);
      return incidentActionReport('note', r.message, { incidentId: r.incident.id });
    }),
});

const escalateCommand = defineCommand({
  name: 'escalate',
  summary: 'Post the guide\'s escalation message in the thread, mentioning the contact (a form in Slack)',
  usage: `[INC] [${ESCALATE_TARGETS.join('|')}] [--need "…"] [--why "…"]`,
  tier: 'incident',
  options: { need: { type: 'string' }, why: { type: 'string' } },
  args: z
    .object({ _: words(2, 'takes an incident id and a contact'), need: z.string().optional(), why: z.string().optional() })
    .transform(({ _, need, why }, ctx) => {
      const { ref, rest } = takeRef(_);
      const word = (rest[0] ?? 'techlead').toLowerCase().replace(/[-\s]/g, '');
      const target = ESCALATE_TARGETS.find((t) => t === word);
      if (rest.length > 1 || !target) {
        ctx.addIssue({ code: 'custom', message: `escalates to one of ${ESCALATE_TARGETS.join(', ')}` });
        return z.NEVER;
      }
      return { ref, target: target as EscalateTarget, need, why };
    }),
  run: (args, deps, actor) =>
    answer('escalate', async () => {
      if (args.need === undefined) {
        const incident = lookupIncident(deps, args.ref, { mustBeOpen: true });
        return {
          command: 'escalate',
          level: 'info',
          headline: `Escalating ${incident.id} to the ${args.target}: the form opens in Slack; in the terminal give --need "…" (and --why "…").`,
          sections: [],
          modal: { kind: 'escalate', incidentId: incident.id, target: args.target },
        };
      }
      const r = await escalate(deps, args.ref ?? '', args.target, { need: args.need, why: args.why }, actor.userId);
      return incidentActionReport('escalate', r.message, { incidentId: r.incident.id, contactId: r.contactId }, r.contactId ? 'ok' : 'warn');
    }),
});

const resolve = defineCommand({
  name: 'resolve',
  summary: 'Close an incident with the guide\'s resolution message and checklist (a form in Slack)',
  usage: '[INC] [--resolution "…"] [--impact "…"]',
  tier: 'incident',
  options: { resolution: { type: 'string' }, impact: { type: 'string' } },
  args: z.object({ _: words(1, 'takes at most an incident id'), resolution: z.string().optional(), impact: z.string().optional() }),
  run: (args, deps, actor) =>
    answer('resolve', async () => {
      if (args.resolution === undefined) {
        const incident = lookupIncident(deps, args._[0], { mustBeOpen: true });
        return {
          command: 'resolve',
          level: 'info',
          headline: `Resolving ${incident.id}: the form opens in Slack; in the terminal give --resolution "…" (and --impact "…").`,
          sections: [],
          modal: { kind: 'resolve', incidentId: incident.id },
        };
      }
      const r = await resolveIncident(deps, args._[0] ?? '', { resolution: args.resolution, impact: args.impact }, actor.userId);
      return incidentActionReport('resolve', r.message, { incidentId: r.incident.id, firingAlerts: r.firingAlerts }, r.firingAlerts.length > 0 ? 'warn' : 'ok');
    }),
});

const review = defineCommand({
  name: 'review',
  summary: 'A post-incident review draft from the timeline, in markdown for a GitHub issue',
  usage: '[INC]',
  tier: 'read',
  args: z.object({ _: words(2, 'takes an incident id') }).transform(({ _ }, ctx) => {
    const { ref, rest } = takeRef(_);
    const done = rest.length === 1 && rest[0]!.toLowerCase() === 'done';
    if (rest.length > 0 && !done) {
      ctx.addIssue({ code: 'custom', message: 'takes an incident id' });
      return z.NEVER;
    }
    return { ref, done };
  }),
  run: (args, deps) =>
    answer('review', () => {
      const incident = lookupIncident(deps, args.ref, { mustBeOpen: false });
      if (args.done) {
        // Printing is for anyone; marking done is a responder's act, so it is its own command with its own tier.
        return problemReport('review', `Marking the review done is \`review-done ${incident.id}\` (for responders).`);
      }
      return reviewReport(incident, reviewDraft(deps, incident.id));
    }),
});

const reviewDone = defineCommand({
  name: 'review-done',
  summary: 'Mark an incident\'s post-incident review done (stops the 48 h reminder)',
  usage: '[INC]',
  tier: 'incident',
  args: z.object({ _: words(1, 'takes an incident id') }),
  run: (args, deps, actor) =>
    answer('review-done', async () => {
      const r = await markReviewDone(deps, args._[0] ?? '', actor.userId);
      return incidentActionReport('review-done', r.message, { incidentId: r.incident.id });
    }),
});

const incidents = defineCommand({
  name: 'incidents',
  summary: 'Open incidents: id, severity, owner, age, next deadline',
  usage: '',
  tier: 'read',
  args: z.object({ _: noPositionals }),
  run: async (_args, deps) => incidentsReport(listIncidents(deps)),
});

const timelineCommand = defineCommand({
  name: 'timeline',
  summary: 'Everything that happened in an incident, with time (UTC) and who',
  usage: '[INC]',
  tier: 'read',
  args: z.object({ _: words(1, 'takes an incident id') }),
  run: (args, deps) =>
    answer('timeline', () => {
      const { incident, events } = incidentTimeline(deps, args._[0]);
      return timelineReport(incident, events, deps.clock());
    }),
});

/** The incident lifecycle: acting commands for responders, lists and drafts for anyone. */
export const incidentCommands: CommandSpec[] = [
  ack,
  declare,
  update,
  sev,
  own,
  note,
  escalateCommand,
  resolve,
  incidents,
  timelineCommand,
  review,
  reviewDone,
];
