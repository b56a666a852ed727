import { z } from 'zod';
import { isSlackUserId } from '../ids.js';
import { INCIDENT_STATUSES, type IncidentStatus } from '../db/state/state-records.js';
import { acknowledgeAlert, setAckDetails } from '../incidents/acknowledge.js';
import { declareIncident } from '../incidents/declare.js';
import { escalate } from '../incidents/escalation.js';
import { findIncident } from '../incidents/find-incident.js';
import { addNote, changeOwner, changeSeverity, postStatusUpdate } from '../incidents/incident-changes.js';
import { parseEta } from '../incidents/incident-input.js';
import { markReviewDone, reopenIncident, resolveFiringAlerts, resolveIncident } from '../incidents/resolution.js';
import { ESCALATION_TARGETS, type EscalationTarget } from '../incidents/severity-matrix.js';
import {
  ackDetailsText,
  acknowledgedText,
  alertsResolvedText,
  declaredText,
  escalatedText,
  incidentActionReport,
  noteAddedText,
  ownerChangedText,
  reopenedText,
  resolvedText,
  reviewDoneText,
  severityChangedText,
  updatePostedText,
} from '../templates/incident-answers.js';
import { problemReport } from '../templates/report.js';
import { hhmm } from '../templates/slack-time.js';
import { defineCommand, type CommandSpec } from './command-spec.js';
import { answer, parseUserRef, severityWord, takeRef, words } from './incident-args.js';
import { ACK_CHART_WINDOW_MS, chartKindForAlert, postIncidentChart, postResolutionChart } from './incident-charts.js';

const ack = defineCommand({
  name: 'ack',
  summary: 'Acknowledge a firing alert: opens its incident, yours, with the initial response in the thread',
  usage: '[alert] [--impact "…"] [--eta 30m]',
  tier: 'incident',
  examples: ['ack provider_down --eta 30m'],
  group: 'Incidents',
  options: { impact: { type: 'string' }, eta: { type: 'string' } },
  args: z
    .object({ _: words(20, 'takes one alert name'), impact: z.string().optional(), eta: z.string().optional() })
    .transform(({ _, impact, eta }) => ({ alert: _.join(' '), impact, eta })),
  run: (args, deps, actor) =>
    answer('ack', async () => {
      // A bad --eta is refused before anything is acknowledged.
      if (args.eta !== undefined && !parseEta(args.eta, deps.clock())) {
        return { ...problemReport('ack', `--eta "${args.eta.slice(0, 30)}" is not a time: give minutes (30m), hours (2h) or a UTC time (14:30).`), field: 'eta' };
      }
      const acked = await acknowledgeAlert(deps, args.alert, actor.userId);
      // The metric's chart follows in the thread, drawn after this answer (by the running bot only:
      // the terminal's process ends with its answer).
      const chart = chartKindForAlert(acked.alert.name, acked.alert.message);
      if (chart && deps.flowCharts) void postIncidentChart(deps, acked.incident, chart, ACK_CHART_WINDOW_MS, new Date(acked.alert.fired_at));
      const data = { incidentId: acked.incident.id };
      if (args.impact !== undefined || args.eta !== undefined) {
        const details = await setAckDetails(deps, acked.incident.id, { impact: args.impact, eta: args.eta }, actor.userId);
        return incidentActionReport('ack', `${acknowledgedText(acked)} ${ackDetailsText(details)}`, data);
      }
      return {
        ...incidentActionReport('ack', acknowledgedText(acked), data),
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
  group: 'Incidents',
  options: { sev: { type: 'string' } },
  args: z
    .object({ _: z.array(z.string()).min(1, { message: 'needs a title, e.g. `declare tiger down --sev P1`' }), sev: severityWord.optional() })
    .transform(({ _, sev }) => ({ title: _.join(' '), sev })),
  run: (args, deps, actor) =>
    answer('declare', async () => {
      const r = await declareIncident(deps, { title: args.title, ...(args.sev ? { severity: args.sev } : {}), actorId: actor.userId });
      return incidentActionReport('declare', declaredText(r), { incidentId: r.incident.id, severity: r.incident.severity });
    }),
});

const statusWord = z.string().transform((s, ctx): IncidentStatus => {
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
  examples: ['update --summary "TIGER answers 503; retrying from cache" --next "check again at 04:00"'],
  group: 'Incidents',
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
        const incident = await findIncident(deps.state, args._[0], { mustBeOpen: true });
        return {
          command: 'update',
          level: 'info',
          headline: `Status update for ${incident.id}: the form opens in Slack; in the terminal give --summary "…" (and --completed, --in-progress, --blocked, --next, --eta).`,
          sections: [],
          modal: { kind: 'update', incidentId: incident.id },
        };
      }
      const incident = await postStatusUpdate(
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
      return incidentActionReport('update', updatePostedText(incident), { incidentId: incident.id });
    }),
});

const sev = defineCommand({
  name: 'sev',
  summary: "Change an incident's severity; the update cadence and escalation deadlines follow (a form in Slack)",
  usage: '[INC] <P0|P1|P2>',
  tier: 'incident',
  group: 'Incidents',
  args: z
    .object({ _: z.array(z.string()).max(2, { message: 'takes an incident id and a severity' }) })
    .transform(({ _ }, ctx) => {
      const { ref, rest } = takeRef(_);
      if (rest.length === 0) {
        // `sev INC-…` alone (the card's Severity button): the form asks; with nothing at all, say what is missing.
        if (ref === undefined) {
          ctx.addIssue({ code: 'custom', message: 'needs the new severity: `sev INC-… P1`' });
          return z.NEVER;
        }
        return { ref, severity: undefined };
      }
      const parsed = severityWord.safeParse(rest[0] ?? '');
      if (rest.length !== 1 || !parsed.success) {
        ctx.addIssue({ code: 'custom', message: parsed.success ? 'takes an incident id and a severity' : (parsed.error.issues[0]?.message ?? 'needs a severity') });
        return z.NEVER;
      }
      return { ref, severity: parsed.data };
    }),
  run: (args, deps, actor) =>
    answer('sev', async () => {
      if (args.severity === undefined) {
        const incident = await findIncident(deps.state, args.ref, { mustBeOpen: true });
        return {
          command: 'sev',
          level: 'info',
          headline: `Severity of ${incident.id} (now ${incident.severity}): the form opens in Slack; in the terminal give it, \`sev ${incident.id} P1\`.`,
          sections: [],
          modal: { kind: 'sev', incidentId: incident.id },
        };
      }
      const r = await changeSeverity(deps, args.ref ?? '', args.severity, actor.userId);
      return incidentActionReport('sev', severityChangedText(r.incident, r.from), { incidentId: r.incident.id, severity: r.incident.severity });
    }),
});

const own = defineCommand({
  name: 'own',
  summary: 'Hand an incident to someone (@user), or take it yourself',
  usage: '[INC] [@user]',
  tier: 'incident',
  group: 'Incidents',
  args: z.object({ _: words(2, 'takes an incident id and one user') }).transform(({ _ }, ctx) => {
    const { ref, rest } = takeRef(_);
    if (rest.length > 1) {
      ctx.addIssue({ code: 'custom', message: 'takes an incident id and one user' });
      return z.NEVER;
    }
    const user = rest[0] === undefined ? undefined : parseUserRef(rest[0]);
    if (user !== undefined && !isSlackUserId(user)) {
      ctx.addIssue({ code: 'custom', message: `"${user.slice(0, 30)}" is not a Slack user: mention them (@name) or give their user ID (U012ABC3DEF)` });
      return z.NEVER;
    }
    return { ref, user };
  }),
  run: (args, deps, actor) =>
    answer('own', async () => {
      const r = await changeOwner(deps, args.ref ?? '', args.user ?? actor.userId, actor.userId);
      return incidentActionReport('own', ownerChangedText(r.incident), { incidentId: r.incident.id, ownerId: r.incident.owner_id });
    }),
});

const note = defineCommand({
  name: 'note',
  summary: "Add a note to an incident's timeline and thread (notes become review action items)",
  usage: '[INC] <text…>',
  tier: 'incident',
  group: 'Incidents',
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
      const incident = await addNote(deps, args.ref ?? '', args.text, actor.userId);
      return incidentActionReport('note', noteAddedText(incident), { incidentId: incident.id });
    }),
});

const escalateCommand = defineCommand({
  name: 'escalate',
  summary: "Post the guide's escalation message in the thread, mentioning the contact (a form in Slack)",
  usage: `[INC] [${ESCALATION_TARGETS.join('|')}] [--need "…"] [--why "…"]`,
  tier: 'incident',
  group: 'Incidents',
  options: { need: { type: 'string' }, why: { type: 'string' } },
  args: z
    .object({ _: words(2, 'takes an incident id and a contact'), need: z.string().optional(), why: z.string().optional() })
    .transform(({ _, need, why }, ctx) => {
      const { ref, rest } = takeRef(_);
      const word = (rest[0] ?? 'techlead').toLowerCase().replace(/[-\s]/g, '');
      const target = ESCALATION_TARGETS.find((t) => t === word);
      if (rest.length > 1 || !target) {
        ctx.addIssue({ code: 'custom', message: `escalates to one of ${ESCALATION_TARGETS.join(', ')}` });
        return z.NEVER;
      }
      // Named: the form is for that contact; not named (the card's Escalate): the form asks, the tech lead first.
      return { ref, target: target as EscalationTarget, chosen: rest.length === 1, need, why };
    }),
  run: (args, deps, actor) =>
    answer('escalate', async () => {
      if (args.need === undefined) {
        const incident = await findIncident(deps.state, args.ref, { mustBeOpen: true });
        return {
          command: 'escalate',
          level: 'info',
          headline: `Escalating ${incident.id} to the ${args.target}: the form opens in Slack; in the terminal give --need "…" (and --why "…").`,
          sections: [],
          modal: { kind: 'escalate', incidentId: incident.id, ...(args.chosen ? { target: args.target } : {}) },
        };
      }
      const r = await escalate(deps, args.ref ?? '', args.target, { need: args.need, why: args.why }, actor.userId);
      return incidentActionReport('escalate', escalatedText(r), { incidentId: r.incident.id, contactId: r.contactId }, r.contactId ? 'ok' : 'warn');
    }),
});

const resolve = defineCommand({
  name: 'resolve',
  summary: "Close an incident with the guide's resolution message and checklist (a form in Slack)",
  usage: '[INC] [--resolution "…"] [--impact "…"]',
  tier: 'incident',
  examples: ['resolve INC-20261207-1 --resolution "TIGER back since 04:10"'],
  group: 'Incidents',
  options: { resolution: { type: 'string' }, impact: { type: 'string' } },
  args: z.object({ _: words(1, 'takes at most an incident id'), resolution: z.string().optional(), impact: z.string().optional() }),
  run: (args, deps, actor) =>
    answer('resolve', async () => {
      if (args.resolution === undefined) {
        const incident = await findIncident(deps.state, args._[0], { mustBeOpen: true });
        return {
          command: 'resolve',
          level: 'info',
          headline: `Resolving ${incident.id}: the form opens in Slack; in the terminal give --resolution "…" (and --impact "…").`,
          sections: [],
          modal: { kind: 'resolve', incidentId: incident.id },
        };
      }
      const r = await resolveIncident(deps, args._[0] ?? '', { resolution: args.resolution, impact: args.impact }, actor.userId);
      // The chart over the incident's window follows the resolution message in the thread.
      if (deps.flowCharts) void postResolutionChart(deps, r.incident);
      const level = r.firingAlerts.length > 0 ? 'warn' : 'ok';
      return incidentActionReport('resolve', resolvedText(r, deps.clock()), { incidentId: r.incident.id, firingAlerts: r.firingAlerts }, level);
    }),
});

const resolveAlerts = defineCommand({
  name: 'resolve-alerts',
  summary: "Resolve an incident's alerts that still fire, in metrics.db too",
  usage: '[INC]',
  tier: 'incident',
  group: 'Incidents',
  args: z.object({ _: words(1, 'takes at most an incident id') }),
  run: (args, deps, actor) =>
    answer('resolve-alerts', async () => {
      const r = await resolveFiringAlerts(deps, args._[0] ?? '', actor.userId);
      return incidentActionReport('resolve-alerts', alertsResolvedText(r), { incidentId: r.incident.id, resolved: r.resolved }, r.notWritten.length > 0 ? 'warn' : 'ok');
    }),
});

const reopen = defineCommand({
  name: 'reopen',
  summary: 'Open a resolved incident again: investigating, its reminders running again',
  usage: '<INC>',
  tier: 'incident',
  group: 'Incidents',
  args: z.object({ _: z.array(z.string()).length(1, { message: 'takes the id of the resolved incident' }) }),
  run: (args, deps, actor) =>
    answer('reopen', async () => {
      const incident = await reopenIncident(deps, args._[0]!, actor.userId);
      return incidentActionReport('reopen', reopenedText(incident), { incidentId: incident.id });
    }),
});

const reviewDone = defineCommand({
  name: 'review-done',
  summary: "Mark an incident's post-incident review done (stops the 48 h reminder)",
  usage: '[INC]',
  tier: 'incident',
  group: 'Incidents',
  args: z.object({ _: words(1, 'takes an incident id') }),
  run: (args, deps, actor) =>
    answer('review-done', async () => {
      const incident = await markReviewDone(deps, args._[0] ?? '', actor.userId);
      return incidentActionReport('review-done', reviewDoneText(incident), { incidentId: incident.id });
    }),
});

/** The incident lifecycle's acting commands, for responders. */
export const incidentCommands: CommandSpec[] = [ack, declare, update, sev, own, note, escalateCommand, resolve, reopen, resolveAlerts, reviewDone];
