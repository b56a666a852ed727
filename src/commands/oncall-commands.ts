/** `/atlas oncall` (who is on call, someone's shifts, the schedule) and its overrides: `oncall cover`, `oncall uncover`. */
import type { StateTransaction } from '../db/state/state-store.js';
import { z } from 'zod';
import type { OverrideAuthority } from '../db/state/override-store.js';
import { isSlackUserId } from '../ids.js';
import { coveredPeople, firstStretchAs, onCallSummary, shiftsOf } from '../oncall/oncall-queries.js';
import { overrideOfRow, type OnCallRole, type RotationSource } from '../oncall/rotation-source.js';
import {
  coverNothingReport,
  coverOverlapReport,
  coverRefusal,
  coverReport,
  noRotationReport,
  onCallNowReport,
  personShiftsReport,
  scheduleReport,
  stamp,
  uncoverNotAllowed,
  uncoverRefusal,
  uncoverReport,
  type Surface,
} from '../templates/oncall-report.js';
import { quoteInput } from '../text/quote-input.js';
import { problemReport } from '../templates/report.js';
import { parseWhen, resolveSpan, WHEN_EXPECTED, type When } from '../time/when.js';
import { defineCommand, type Actor, type CommandDeps, type CommandSpec, type Standing } from './command-spec.js';
import { parseUserRef } from './incident-args.js';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** `--weeks`: how far ahead the schedule or someone's shifts go. */
const MAX_WEEKS = 26;
/** `oncall @user` looks this far ahead unless --weeks says, and lists this many. */
const PERSON_WEEKS = 26;
const PERSON_SHIFTS = 8;
/** An override may run until this far ahead. */
const COVER_MAX_AHEAD_MS = 90 * DAY_MS;
/** A --from typed a few minutes ago is read as now. */
const FROM_TOLERANCE_MS = 5 * 60_000;

const surfaceOf = (actor: Actor): Surface => (actor.source === 'slack' ? 'slack' : 'terminal');

const NOT_A_USER = (word: string) => `"${quoteInput(word, 30)}" is not a Slack user: mention them (@name) or give their user ID (U012ABC3DEF)`;

/** A person as typed: `<@U123|ann>`, `<@U123>`, `@U123` or `U123`. */
function slackUser(word: string, ctx: z.RefinementCtx, hint = ''): string | typeof z.NEVER {
  const user = parseUserRef(word);
  if (isSlackUserId(user)) return user;
  ctx.addIssue({ code: 'custom', message: `${NOT_A_USER(word)}${hint}` });
  return z.NEVER;
}

/** `--from`, `--until`: an ISO time with its offset, now, or a duration from now. */
const whenArg = z.string().transform((text, ctx): When => {
  const when = parseWhen(text);
  if (when) return when;
  ctx.addIssue({ code: 'custom', message: `${WHEN_EXPECTED} (got "${quoteInput(text, 30)}")` });
  return z.NEVER;
});

const roleArg = z
  .string({ error: 'needed: primary or secondary' })
  .transform((text, ctx): OnCallRole => {
    const role = text.trim().toLowerCase();
    if (role === 'primary' || role === 'secondary') return role;
    ctx.addIssue({ code: 'custom', message: `takes primary or secondary (got "${quoteInput(text, 20)}")` });
    return z.NEVER;
  });

/** `--weeks N`, 1 to MAX_WEEKS; undefined when not given. */
export const weeksArg = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1 || n > MAX_WEEKS) {
      ctx.addIssue({ code: 'custom', message: `takes a whole number of weeks from 1 to ${MAX_WEEKS} (got "${quoteInput(text, 20)}")` });
      return z.NEVER;
    }
    return n;
  });

/** Whether a rotation is configured at all: one without any shift change is none. */
const hasRotation = (rotation: RotationSource, now: Date) => rotation.nextShiftChange(now) !== null;

const oncall = defineCommand({
  name: 'oncall',
  summary: "Who is on call now and next, and the overrides; with @user that person's shifts; with --weeks the schedule",
  usage: '[@user] [--weeks N]',
  tier: 'read',
  examples: ['oncall', 'oncall --weeks 4'],
  group: 'On call and handoff',
  options: { weeks: { type: 'string' } },
  args: z
    .object({ _: z.array(z.string()).max(1, { message: 'takes one person (`oncall @user`) or --weeks N' }), weeks: weeksArg })
    .transform(({ _, weeks }, ctx) => {
      const word = _[0];
      if (word === undefined) return { user: undefined, weeks };
      const user = slackUser(word, ctx, '; overrides are `oncall cover` and `oncall uncover`');
      return { user, weeks };
    }),
  async run(args, deps, actor) {
    const now = deps.clock();
    const { rotation } = deps;
    const surface = surfaceOf(actor);
    if (args.user !== undefined) {
      if (!hasRotation(rotation, now)) return noRotationReport('oncall');
      const weeks = args.weeks ?? PERSON_WEEKS;
      const shifts = await shiftsOf(rotation, args.user, now, new Date(now.getTime() + weeks * WEEK_MS), PERSON_SHIFTS);
      return personShiftsReport(args.user, shifts, PERSON_SHIFTS, now, rotation.timezone, weeks, surface);
    }
    if (args.weeks !== undefined) {
      if (!hasRotation(rotation, now)) return noRotationReport('oncall');
      return scheduleReport(await rotation.shifts(now, new Date(now.getTime() + args.weeks * WEEK_MS)), now, rotation.timezone, args.weeks, surface);
    }
    return onCallNowReport(await onCallSummary(rotation, now), now, rotation.timezone, surface, rotation.stale ?? null);
  },
});

/**
 * A change of who is on call, or a refusal of one, in the audit trail beside the remediations:
 * in the same transaction as the change when there is one.
 */
async function auditOnCallChange(
  deps: Pick<CommandDeps, 'clock'> & { state: Pick<StateTransaction, 'audit'> },
  actor: Actor,
  command: 'oncall cover' | 'oncall uncover',
  args: unknown,
  entry: { outcome: 'applied' | 'refused'; plan?: unknown; result: string; undo?: string | null },
): Promise<void> {
  await deps.state.audit.append(
    {
      source: actor.source,
      userId: actor.userId,
      channelId: actor.channelId ?? null,
      command,
      args: JSON.stringify(args),
      outcome: entry.outcome,
      plan: entry.plan === undefined ? null : JSON.stringify(entry.plan),
      result: entry.result,
      undo: entry.undo ?? null,
    },
    deps.clock(),
  );
}

/** The registry always passes a standing to these commands; without one only the terminal counts as a remediator. */
const remediatorOf = (actor: Actor, standing: Standing | undefined): boolean | null => (standing ? standing.remediator : actor.source === 'cli');

const cover = defineCommand({
  name: 'oncall cover',
  summary: 'Someone covers primary or secondary for a span (a swap, a holiday); set by a remediator, or by the on-call for their own shift',
  usage: '@user --role primary|secondary [--from <when>] --until <when>',
  tier: 'incident',
  changesWhoMayAct: true,
  group: 'On call and handoff',
  options: { role: { type: 'string' }, from: { type: 'string' }, until: { type: 'string' } },
  args: z
    .object({
      _: z
        .array(z.string())
        .min(1, { message: 'needs the person who covers: `oncall cover @user --role primary --until 3d`' })
        .max(1, { message: 'takes one person; the span is --from and --until' }),
      role: roleArg,
      from: whenArg.optional(),
      until: z.string({ error: `needed: ${WHEN_EXPECTED.replace(/^takes /, '')}` }).pipe(whenArg),
    })
    .transform(({ _, role, from, until }, ctx) => ({ user: slackUser(_[0]!, ctx), role, from, until })),
  async run(args, deps, actor, standing) {
    const now = deps.clock();
    const { rotation } = deps;
    const tz = rotation.timezone;
    const surface = surfaceOf(actor);
    if (!hasRotation(rotation, now)) return noRotationReport('oncall cover', 'error');
    const span = resolveSpan(args.from, args.until, now, { maxAheadMs: COVER_MAX_AHEAD_MS, pastToleranceMs: FROM_TOLERANCE_MS, show: (t) => stamp(t, now, tz, false) });
    if (!span.ok) return { ...problemReport('oncall cover', span.message), field: span.field };
    // Planned overrides (the config's) are not in chatops.db: the rotation knows them.
    const planned = (await rotation.shifts(span.from, span.until))
      .flatMap((s) => s.overrides)
      .find((o) => o.id === null && o.role === args.role && o.from < span.until && span.from < o.until);
    if (planned) return coverOverlapReport(planned, args.role, surface);
    const scheduled = new Set((await rotation.shifts(span.from, span.until)).map((s) => s.scheduled[args.role]));
    if (scheduled.size === 1 && scheduled.has(args.user)) return coverNothingReport(args.user, args.role);
    // Who is on call is who may act (as far as the config lets them): a remediator may change it,
    // or the person on call in that role for the whole span may hand over their own shift.
    const onCallThen = await coveredPeople(rotation, { role: args.role, from: span.from, until: span.until });
    const remediator = remediatorOf(actor, standing);
    const ownShift = onCallThen.length > 0 && onCallThen.every((u) => u === actor.userId);
    const audited = { user: args.user, role: args.role, from: span.from.toISOString(), until: span.until.toISOString() };
    if (remediator !== true && !ownShift) {
      const refusal = coverRefusal(args.role, onCallThen, standing?.remediators ?? 'the remediators in the config', remediator === null);
      await auditOnCallChange(deps, actor, 'oncall cover', audited, { outcome: 'refused', result: refusal.headline });
      return refusal;
    }
    const authority: OverrideAuthority = remediator === true ? 'remediator' : 'own-shift';
    const added = await deps.state.transaction(async (tx) => {
      const row = await tx.overrides.add({ user: args.user, role: args.role, from: span.from, until: span.until, createdBy: actor.userId, authority }, now);
      if ('id' in row) {
        await auditOnCallChange({ state: tx, clock: deps.clock }, actor, 'oncall cover', audited, {
          outcome: 'applied',
          plan: { override: row.id, ...audited, authority },
          result: `${args.user} covers ${args.role} from ${audited.from} until ${audited.until} (override #${row.id}, set ${authority === 'remediator' ? 'by a remediator' : 'by the person on call for their own shift'}).`,
          undo: `/atlas oncall uncover ${row.id}`,
        });
      }
      return row;
    });
    if ('overlaps' in added) return coverOverlapReport(overrideOfRow(added.overlaps), args.role, surface);
    const other: OnCallRole = args.role === 'primary' ? 'secondary' : 'primary';
    return coverReport(
      { id: added.id, user: args.user, role: args.role, from: span.from, until: span.until, fromNow: args.from === undefined || span.from.getTime() === now.getTime(), authority },
      onCallThen.filter((u) => u !== args.user),
      await firstStretchAs(rotation, args.user, other, span.from, span.until),
      now,
      tz,
      surface,
    );
  },
});

const uncover = defineCommand({
  name: 'oncall uncover',
  summary: 'Remove an override set with `oncall cover` (its number is in `oncall`): a remediator, whoever covers, or whoever handed it over',
  usage: '<id>',
  tier: 'incident',
  changesWhoMayAct: true,
  group: 'On call and handoff',
  args: z
    .object({ _: z.array(z.string()).length(1, { message: 'takes the number of one override, such as 12 (`oncall` lists them)' }) })
    .transform(({ _ }, ctx) => {
      const m = /^#?(\d{1,9})$/.exec(_[0]!.trim());
      if (!m) {
        ctx.addIssue({
          code: 'custom',
          message: `takes the number of an override, such as 12 (got "${quoteInput(_[0]!, 20)}"); one planned in the config (rotation.overrides) is removed by editing the config`,
        });
        return z.NEVER;
      }
      return { id: Number(m[1]) };
    }),
  async run(args, deps, actor, standing) {
    const now = deps.clock();
    const before = await deps.state.overrides.get(args.id);
    if (!before || before.removed_at || before.until_at <= now.toISOString()) return uncoverRefusal(args.id, before, surfaceOf(actor));
    // Removing an override hands the shift back to the schedule: a remediator may, the person
    // covering may give it back, and whoever handed over their own shift may take it back.
    const remediator = remediatorOf(actor, standing);
    const handedOverBy = before.authority !== 'remediator' && before.created_by === actor.userId;
    if (remediator !== true && before.user_id !== actor.userId && !handedOverBy) {
      const refusal = uncoverNotAllowed(before, standing?.remediators ?? 'the remediators in the config', remediator === null);
      await auditOnCallChange(deps, actor, 'oncall uncover', { id: args.id }, { outcome: 'refused', result: refusal.headline });
      return refusal;
    }
    const removed = await deps.state.transaction(async (tx) => {
      const done = await tx.overrides.remove(args.id, actor.userId, now);
      if (done) {
        await auditOnCallChange({ state: tx, clock: deps.clock }, actor, 'oncall uncover', { id: args.id }, {
          outcome: 'applied',
          plan: { override: before.id, user: before.user_id, role: before.role, from: before.from_at, until: before.until_at, authority: before.authority },
          result: `Override #${before.id} removed: ${before.user_id} no longer covers ${before.role} from ${before.from_at} until ${before.until_at}.`,
          undo: `/atlas oncall cover <@${before.user_id}> --role ${before.role} --from ${before.from_at} --until ${before.until_at} (by a remediator, to count as before)`,
        });
      }
      return done;
    });
    const row = await deps.state.overrides.get(args.id);
    if (!removed || !row) return uncoverRefusal(args.id, row, surfaceOf(actor));
    return uncoverReport(row, (await deps.rotation.at(now))?.[row.role] ?? null, now, deps.rotation.timezone);
  },
});

/** Who is on call, and the overrides for swaps and holidays. */
export const oncallCommands: CommandSpec[] = [oncall, cover, uncover];
