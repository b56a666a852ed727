import { z } from 'zod';
import { setAckDetails } from '../incidents/acknowledge.js';
import { attachToTimeline } from '../incidents/incident-changes.js';
import { snoozeTimer } from '../incidents/snooze.js';
import { ackDetailsText, attachedText, incidentActionReport, snoozedText } from '../templates/incident-answers.js';
import { defineCommand, type CommandSpec } from './command-spec.js';
import { answer } from './incident-args.js';

/** The acknowledge form's answers; the form is its only way in. */
const ackDetails = defineCommand({
  name: 'ack-details',
  summary: 'Impact and next update time of a just-acknowledged incident (the form after Acknowledge)',
  usage: '<INC> [--impact "…"] [--eta 30m]',
  tier: 'incident',
  group: 'Incidents',
  hidden: true,
  options: { impact: { type: 'string' }, eta: { type: 'string' } },
  args: z.object({ _: z.array(z.string()).length(1, { message: 'takes an incident id' }), impact: z.string().optional(), eta: z.string().optional() }),
  run: (args, deps, actor) =>
    answer('ack-details', async () => {
      const r = await setAckDetails(deps, args._[0]!, { impact: args.impact, eta: args.eta }, actor.userId);
      return incidentActionReport('ack-details', ackDetailsText(r), { incidentId: r.incident.id });
    }),
});

/** "Add to INC-…" on a diagnostic answer. */
const attach = defineCommand({
  name: 'attach',
  summary: "Put a diagnostic's answer on an incident's timeline (the Add to INC button)",
  usage: '<INC> --command <subcommand> --headline "…"',
  tier: 'incident',
  group: 'Incidents',
  hidden: true,
  options: { command: { type: 'string' }, headline: { type: 'string' } },
  args: z.object({ _: z.array(z.string()).length(1, { message: 'takes an incident id' }), command: z.string().max(200), headline: z.string().max(1500) }),
  run: (args, deps, actor) =>
    answer('attach', async () => {
      const r = await attachToTimeline(deps, args._[0]!, { headline: args.headline, command: args.command }, actor.userId);
      return incidentActionReport('attach', attachedText(r.incident, r.command), { incidentId: r.incident.id });
    }),
});

/** The Snooze buttons of a reminder. */
const snooze = defineCommand({
  name: 'snooze',
  summary: 'Snooze a reminder (the Snooze buttons on reminders)',
  usage: '<reminder id> <minutes>',
  tier: 'incident',
  group: 'Incidents',
  hidden: true,
  args: z
    .object({ _: z.tuple([z.string().regex(/^\d{1,12}$/), z.string().regex(/^\d{1,4}$/)]) })
    .transform(({ _ }) => ({ timerId: Number(_[0]), minutes: Number(_[1]) })),
  run: (args, deps, actor) =>
    answer('snooze', async () => {
      const r = await snoozeTimer(deps, args.timerId, args.minutes, actor.userId);
      return incidentActionReport('snooze', snoozedText(r), r);
    }),
});

/** The subcommands that stand only behind buttons and forms (hidden from help, authorized and audited like the rest). */
export const incidentFormCommands: CommandSpec[] = [ackDetails, attach, snooze];
