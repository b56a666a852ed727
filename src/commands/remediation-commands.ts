/**
 * Remediations as subcommands: each first answers with a preview of exactly what it will change
 * (to the requester only) and stores the plan for one confirmation; Confirm (Slack) or `--yes`
 * (terminal) applies it, if the data is still what the preview read. Every preview, refusal and
 * application is appended to the audit log; applied results are told where the team sees them.
 */
import type { StateTransaction } from '../db/state/state-store.js';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Incident } from '../db/state/state-records.js';
import { RemediationRefusal, type AppliedRemediation, type RemediationPlan } from '../remediation/remediation-plan.js';
import { CONFIRM_MINUTES, type RemediationEntry, type RemediationSpec } from '../remediation/remediation-spec.js';
import { startRun } from '../remediation/remediation-runs.js';
import { appliedReport, previewReport } from '../templates/remediation-messages.js';
import { problemReport, type Report } from '../templates/report.js';
import { toSqlTime } from '../time/atlas-time.js';
import { defineCommand, type Actor, type CommandDeps, type CommandSpec } from './command-spec.js';

type AnyRemediation = RemediationSpec<unknown>;

const prefixFor = (actor: Actor) => (actor.source === 'slack' ? '/atlas' : 'atlas');

/** The incident a result goes to: the one open incident, else the newest open one; null when none is open. */
async function incidentFor(deps: CommandDeps): Promise<Incident | null> {
  const open = await deps.state.incidents.open();
  return open.at(-1) ?? null;
}

async function audit(
  deps: Pick<CommandDeps, 'clock'> & { state: Pick<StateTransaction, 'audit'> },
  actor: Actor,
  command: string,
  args: unknown,
  outcome: 'previewed' | 'applied' | 'failed' | 'refused' | 'expired' | 'stale',
  extra: { plan?: RemediationPlan | null; result?: string | null; undo?: string | null } = {},
): Promise<void> {
  await deps.state.audit.append(
    {
      source: actor.source,
      userId: actor.userId,
      channelId: actor.channelId ?? null,
      command,
      args: JSON.stringify(args ?? null),
      outcome,
      plan: extra.plan ? JSON.stringify(extra.plan) : null,
      result: extra.result ?? null,
      undo: extra.undo ?? null,
    },
    deps.clock(),
  );
}

/**
 * Applies a plan, audits it and tells the team; the report for the person who confirmed.
 * "confirmed — starting" is committed before anything runs (startRun), so a process killed
 * mid-way leaves a start without an outcome, which the next sweep reports as "outcome unknown".
 */
async function applyPlan(spec: AnyRemediation, args: unknown, plan: RemediationPlan, deps: CommandDeps, actor: Actor): Promise<Report> {
  const run = await startRun(deps, {
    source: actor.source,
    userId: actor.userId,
    channelId: actor.channelId ?? null,
    command: spec.name,
    args: JSON.stringify(args ?? null),
    plan: JSON.stringify(plan),
    checkHint: spec.ifInterrupted,
  });
  try {
    let applied: AppliedRemediation;
    try {
      applied = await spec.apply(args, plan, deps, actor);
    } catch (err) {
      const sentence = err instanceof RemediationRefusal ? err.message : `\`${spec.name}\` failed while applying (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); nothing was committed. The bot's log has the detail.`;
      if (!(err instanceof RemediationRefusal)) deps.logger.error({ err, command: spec.name }, 'remediation failed while applying');
      await deps.state.transaction(async (tx) => {
        await audit({ state: tx, clock: deps.clock }, actor, spec.name, args, err instanceof RemediationRefusal ? 'refused' : 'failed', { plan, result: sentence });
        await tx.remediationRuns.end(run.auditId, deps.clock());
      });
      return problemReport(spec.name, sentence);
    }
    const own = applied.incidentId ? await deps.state.incidents.get(applied.incidentId) : null;
    const incident = own && own.status !== 'resolved' ? own : await incidentFor(deps);
    const now = deps.clock();
    await deps.state.transaction(async (tx) => {
      await audit({ state: tx, clock: deps.clock }, actor, spec.name, args, 'applied', { plan, result: applied.headline, undo: applied.undo });
      await tx.remediationRuns.end(run.auditId, now);
      await deps.events.record(tx, { type: 'remediation-applied', command: spec.name, headline: applied.headline, lines: applied.lines, undo: applied.undo, actor: actor.userId, incident }, now);
    });
    const where = incident ? `told in ${incident.id}'s thread` : deps.config.channels.incidents ? `told in <#${deps.config.channels.incidents}>` : 'no incident channel is configured to tell';
    return appliedReport(spec.name, applied, where);
  } finally {
    run.release();
  }
}

/** A preview: planned, stored for one confirmation (Slack) or shown with the `--yes` to apply it (terminal). */
async function preview(spec: AnyRemediation, args: unknown, deps: CommandDeps, actor: Actor, shownArgs: string): Promise<Report> {
  let plan: RemediationPlan;
  try {
    plan = await spec.plan(args, deps);
  } catch (err) {
    if (!(err instanceof RemediationRefusal)) throw err;
    await audit(deps, actor, spec.name, args, 'refused', { result: err.message });
    return problemReport(spec.name, err.message);
  }
  const now = deps.clock();
  let token: string | null = null;
  if (actor.source === 'slack') {
    token = randomBytes(18).toString('base64url');
    await deps.state.confirmations.save(
      {
        token,
        user_id: actor.userId,
        channel_id: actor.channelId ?? null,
        command: spec.name,
        args: JSON.stringify(args),
        plan: JSON.stringify(plan),
        fingerprint: plan.fingerprint,
        expires_at: new Date(now.getTime() + CONFIRM_MINUTES * 60_000).toISOString(),
        // Where the preview is replaced when it expires unconfirmed (src/remediation/preview-expiry.ts).
        response_url: actor.responseUrl ?? null,
        shown_args: shownArgs || null,
      },
      now,
    );
  }
  await audit(deps, actor, spec.name, args, 'previewed', { plan, undo: plan.undo });
  return previewReport(spec.name, plan, { token, expiresMinutes: CONFIRM_MINUTES, prefix: prefixFor(actor), args: shownArgs });
}

/** A remediation as a registry entry: tier `remediate`, the terminal's `--yes` added. */
function defineRemediation<A extends object>(spec: RemediationSpec<A>, shown: (args: A) => string): CommandSpec {
  const any = spec as unknown as AnyRemediation;
  // `--yes` is the framework's, not the remediation's: taken off before its own schema reads the rest.
  const args = z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null).transform((raw, ctx) => {
    const { yes, ...rest } = raw;
    const parsed = spec.args.safeParse(rest);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
      return z.NEVER;
    }
    return { args: parsed.data, yes: yes === true };
  });
  return defineCommand({
    name: spec.name,
    summary: spec.summary,
    usage: `${spec.usage} [--yes]`.trim(),
    tier: 'remediate',
    group: 'Remediation',
    ...(spec.slow ? { slow: true } : {}),
    options: { ...(spec.options ?? {}), yes: { type: 'boolean' } },
    args,
    async run({ args: rest, yes }, deps, actor) {
      if (yes && actor.source === 'slack') return problemReport(spec.name, '`--yes` is for the terminal; in Slack, press Confirm on the preview.');
      if (!yes) return preview(any, rest, deps, actor, shown(rest));
      // The terminal: the same plan, applied at once (the person typed --yes after reading it).
      let plan: RemediationPlan;
      try {
        plan = await any.plan(rest, deps);
      } catch (err) {
        if (!(err instanceof RemediationRefusal)) throw err;
        await audit(deps, actor, spec.name, rest, 'refused', { result: err.message });
        return problemReport(spec.name, err.message);
      }
      return applyPlan(any, rest, plan, deps, actor);
    },
  });
}

/** The Confirm button: the stored plan, for the person it was made for, once, if the data is unchanged. */
function confirmCommand(remediations: ReadonlyMap<string, AnyRemediation>): CommandSpec {
  return defineCommand({
    name: 'confirm',
    summary: 'Apply a previewed remediation (its Confirm button)',
    usage: '<token>',
    tier: 'remediate',
    group: 'Remediation',
    hidden: true,
    args: z.object({ _: z.array(z.string().regex(/^[A-Za-z0-9_-]{10,64}$/, { message: 'takes the token of a preview' })).length(1, { message: 'takes the token of a preview' }) }),
    async run(args, deps, actor) {
      const token = (args as { _: string[] })._[0]!;
      const now = deps.clock();
      const claim = await deps.state.confirmations.claim(token, actor.userId, now);
      switch (claim.kind) {
        case 'unknown':
          return problemReport('confirm', 'That confirmation is not one the bot made; run the subcommand again for a new preview.');
        case 'not-yours':
          await audit(deps, actor, claim.row.command, JSON.parse(claim.row.args), 'refused', { result: 'confirmation pressed by someone else' });
          return problemReport('confirm', `Only <@${claim.row.user_id}>, who asked for this preview, can confirm it; run \`/atlas ${claim.row.command}\` for a preview of your own.`);
        case 'used':
          return problemReport('confirm', `This was confirmed already at ${toSqlTime(new Date(claim.row.used_at!))} UTC; it is applied once.`);
        case 'expired':
          await audit(deps, actor, claim.row.command, JSON.parse(claim.row.args), 'expired');
          return problemReport('confirm', `This preview expired (${CONFIRM_MINUTES} min); run \`/atlas ${claim.row.command}\` again for a fresh one.`);
        case 'claimed':
          break;
      }
      const row = claim.row;
      const spec = remediations.get(row.command);
      if (!spec) return problemReport('confirm', `\`${row.command}\` is no longer a remediation this bot knows; nothing was changed.`);
      const stored = JSON.parse(row.args) as unknown;
      let plan: RemediationPlan;
      try {
        plan = await spec.plan(stored, deps);
      } catch (err) {
        if (!(err instanceof RemediationRefusal)) throw err;
        await audit(deps, actor, spec.name, stored, 'refused', { result: err.message });
        return problemReport(spec.name, err.message);
      }
      if (plan.fingerprint !== row.fingerprint) {
        await audit(deps, actor, spec.name, stored, 'stale', { plan });
        const fresh = await preview(spec, stored, deps, actor, '');
        return { ...fresh, headline: `The data changed since the preview, so nothing was applied. ${fresh.headline}` };
      }
      return applyPlan(spec, stored, plan, deps, actor);
    },
  });
}

/** Every remediation as registry entries, and the Confirm that applies their previews. */
export function remediationCommands(entries: readonly RemediationEntry[]): CommandSpec[] {
  const byName = new Map<string, AnyRemediation>(entries.map((e) => [e.spec.name, e.spec as unknown as AnyRemediation]));
  return [...entries.map((e) => defineRemediation(e.spec, e.shown)), confirmCommand(byName)];
}

export { CONFIRM_MINUTES };
