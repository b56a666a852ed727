import { z } from 'zod';
import { buildHandoff, handoffPeople } from '../handoff/build-handoff.js';
import { handoffFileName, handoffMarkdown, peopleInHandoff } from '../templates/handoff-markdown.js';
import { peopleNames } from '../slack/people-names.js';
import { handoffMessage } from '../templates/handoff-message.js';
import { handoffPreviewButtons } from '../templates/handoff-buttons.js';
import { HANDOFF_NOTES_MAX as NOTES_MAX } from '../templates/handoff-notes-modal.js';
import { shiftChangeText } from '../oncall/handoff-content.js';
import { problemReport, type Report } from '../templates/report.js';
import { defineCommand, noPositionals, type Actor, type CommandDeps, type CommandSpec } from './command-spec.js';
import { quoteInput } from '../text/quote-input.js';

const NO_ROTATION = 'No rotation is configured, so there is no shift change to hand off at: set `rotation.start` and `rotation.primary` in the config.';
const NO_CHANNEL = 'No handoff channel is configured: set `channels.handoff` in the config (the ID of #ops-handoff).';


const prefixFor = (actor: Actor) => (actor.source === 'slack' ? '/atlas' : 'atlas');

/** The next shift change, or the sentence that says why there is none. */
function nextChange(deps: CommandDeps): Date | string {
  return deps.rotation.nextShiftChange(deps.clock()) ?? NO_ROTATION;
}

const shiftChangeArg = z.string().transform((text, ctx) => {
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/.test(text) ? new Date(text) : null;
  if (!at || Number.isNaN(at.getTime())) {
    ctx.addIssue({ code: 'custom', message: `names a shift change as an ISO instant (got "${quoteInput(text, 40)}")` });
    return z.NEVER;
  }
  return at;
});

export const handoffCommands: CommandSpec[] = [
  defineCommand({
    name: 'handoff',
    summary: 'The shift handoff as it would be posted now, with Post now and Add notes',
    usage: '[--markdown]',
    tier: 'read',
    examples: ['handoff', 'handoff --markdown'],
    group: 'On call and handoff',
    options: { markdown: { type: 'boolean' } },
    args: z.object({ _: noPositionals, markdown: z.boolean().optional() }),
    async run(args, deps, actor): Promise<Report> {
      const change = nextChange(deps);
      if (typeof change === 'string') return problemReport('handoff', change);
      const content = await buildHandoff(deps, { shiftChange: change });
      const when = shiftChangeText(change, deps.rotation.timezone);
      // The file is read outside Slack: people by name.
      const markdown = handoffMarkdown(content, await peopleNames(deps, peopleInHandoff(content)));
      const headline = `Handoff for the shift change at ${when}, as it would be posted now (only you see this)`;
      return {
        command: 'handoff',
        level: 'info',
        headline,
        sections: [],
        blocks: [...handoffMessage(content).blocks, ...handoffPreviewButtons(change)],
        // The terminal: `--markdown` is the guide's handoff file as is, for a redirect.
        plainText: args.markdown ? markdown : `${headline.replace(' (only you see this)', '')}\nSave it: ${prefixFor(actor)} handoff --markdown > ${handoffFileName(content)}\n\n${markdown}`,
        data: content,
      };
    },
  }),
  defineCommand({
    name: 'handoff-post',
    summary: 'Post the handoff in the handoff channel now (the scheduled one still goes out)',
    usage: '',
    tier: 'incident',
    group: 'On call and handoff',
    hidden: true,
    args: z.object({ _: noPositionals }),
    async run(_args, deps, actor): Promise<Report> {
      const change = nextChange(deps);
      if (typeof change === 'string') return problemReport('handoff-post', change);
      const channel = deps.config.channels.handoff;
      if (!channel) return problemReport('handoff-post', NO_CHANNEL);
      const content = await buildHandoff(deps, { shiftChange: change });
      const now = deps.clock();
      await deps.state.transaction(async (tx) => {
        // A handoff posted by hand publishes the audit chain's head too (its own occasion: the scheduled one still does).
        const auditHead = await tx.audit.publishHead(`handoff-by-hand:${now.toISOString()}`, now);
        await deps.events.record(tx, { type: 'handoff-posted', handoff: { ...content, auditHead }, postedBy: actor.userId, nextScheduled: change }, now);
      });
      return { command: 'handoff-post', level: 'ok', headline: `Handoff posted in <#${channel}>; the scheduled one still goes out at ${shiftChangeText(change, deps.rotation.timezone)}.`, sections: [] };
    },
  }),
  defineCommand({
    name: 'handoff-notes',
    summary: "Save the outgoing engineer's notes for a shift's handoff",
    usage: '<shift change> --notes <text>',
    tier: 'incident',
    group: 'On call and handoff',
    hidden: true,
    options: { notes: { type: 'string' } },
    args: z.object({
      _: z.array(z.string()).length(1, { message: 'takes the shift change the notes are for' }).transform((w) => w[0]!).pipe(shiftChangeArg),
      notes: z.string().trim().max(NOTES_MAX, { message: `takes at most ${NOTES_MAX} characters` }).default(''),
    }),
    async run(args, deps, actor): Promise<Report> {
      const now = deps.clock();
      const change = args._;
      const isChange = deps.rotation.shiftChanges(new Date(change.getTime() - 1), change).some((c) => c.getTime() === change.getTime());
      if (!isChange) return { ...problemReport('handoff-notes', 'That is not a shift change of the rotation; open the notes again from `/atlas handoff`.'), field: 'notes' };
      if (change <= now && (await deps.state.handoffs.get(change))?.status !== 'pending') {
        return { ...problemReport('handoff-notes', `That handoff has gone out already; notes now go with the next one (\`/atlas handoff\`).`), field: 'notes' };
      }
      const saved = await deps.state.transaction(async (tx) => await tx.handoffs.saveNotes(change, args.notes, actor.userId, now));
      if (!saved) return { ...problemReport('handoff-notes', 'That handoff has gone out already; notes now go with the next one (`/atlas handoff`).'), field: 'notes' };
      const { incoming } = await handoffPeople(deps, change);
      const to = incoming.primary ? ` for <@${incoming.primary}>` : '';
      const what = args.notes === '' ? 'Handoff notes cleared' : 'Handoff notes saved';
      return { command: 'handoff-notes', level: 'ok', headline: `${what}${to}; they go out with the handoff at ${shiftChangeText(change, deps.rotation.timezone)}.`, sections: [] };
    },
  }),
];
