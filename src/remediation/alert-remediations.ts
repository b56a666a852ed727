/**
 * `alert clear <name>` and `alert ack <name>`: the on-call guide's "clear stuck alerts" and its
 * acknowledgement, written to metrics.db in its own timestamp format; the bot's alert and the
 * open incident linked to it follow (clear: the alert is resolved the bot's way, its card and
 * the incident's thread are updated; ack: an unacknowledged alert is acknowledged the bot's
 * way, which opens its incident as the Acknowledge button does).
 */
import { z } from 'zod';
import { ingestAlert } from '../alerts/alert-ingest.js';
import type { RemediationDeps } from './remediation-spec.js';
import { remediation, type RemediationEntry } from './remediation-spec.js';
import { alertChange, AlertChangedError, readAtlasAlertRow, writeAtlasAlert, type AtlasAlertRow } from '../db/alert-writes.js';
import { DbProblemError } from '../db/sqlite-problem.js';
import { byPerson } from '../db/state/resolved-by.js';
import { alertKey, type AlertRecord, type Incident } from '../db/state/state-records.js';
import { acknowledgeAlert } from '../incidents/acknowledge.js';
import { IncidentError } from '../incidents/incident-errors.js';
import { quoteInput } from '../text/quote-input.js';
import { fingerprintOf, RemediationRefusal, type AppliedRemediation, type PlanChange, type RemediationPlan } from './remediation-plan.js';

const MAX_NAME = 200;

/** The alert's name: the words after the subcommand, one space between them. */
const alertArgs = z
  .object({ _: z.array(z.string()).min(1, { message: 'takes the alert name (`/atlas alerts` lists them)' }), yes: z.boolean().optional() })
  .transform((a) => ({ name: a._.join(' ').trim(), ...(a.yes ? { yes: true } : {}) }))
  .refine((a) => a.name.length > 0 && a.name.length <= MAX_NAME, { message: `takes an alert name of 1 to ${MAX_NAME} characters` })
  .refine((a) => !/\p{Cc}/u.test(a.name), { message: 'takes an alert name without control characters' });

interface AlertArgs {
  name: string;
}

interface AlertRead {
  name: string;
  row: AtlasAlertRow | null;
  bot: AlertRecord | null;
  incident: Incident | null;
}

async function readAlert(deps: RemediationDeps, name: string): Promise<AlertRead> {
  let row: AtlasAlertRow | null;
  try {
    row = readAtlasAlertRow(deps.atlas.metrics, name);
  } catch (err) {
    if (err instanceof DbProblemError) throw new RemediationRefusal(`${err.problem.message.replace(/\.$/, '')}; nothing was changed.`);
    throw err;
  }
  const bot = await deps.state.alerts.get(alertKey(name)) ?? null;
  const incident = bot?.incident_id ? (await deps.state.incidents.get(bot.incident_id) ?? null) : null;
  return { name, row, bot, incident };
}

const fingerprintParts = (r: AlertRead) => ({ row: r.row, bot: r.bot, incident: r.incident ? { id: r.incident.id, status: r.incident.status } : null });

/** The columns a change sets, before and after. */
function rowChange(row: AtlasAlertRow, kind: 'resolve' | 'acknowledge', now: Date): PlanChange {
  const after = alertChange(kind, now);
  const before = Object.fromEntries(Object.keys(after).map((k) => [k, row[k] ?? null]));
  return { kind: 'row', what: `metrics.db alerts ${row.name} (id ${row.id})`, before, after };
}

async function rereadUnchanged(deps: RemediationDeps, name: string, plan: RemediationPlan): Promise<AlertRead> {
  const r = await readAlert(deps, name);
  if (fingerprintOf(fingerprintParts(r)) !== plan.fingerprint) {
    throw new RemediationRefusal(`Alert ${quoteInput(name, 80)} changed since the preview, so nothing was changed; run the subcommand again for a new preview.`);
  }
  return r;
}

async function writeRow(deps: RemediationDeps, row: AtlasAlertRow, kind: 'resolve' | 'acknowledge', now: Date): Promise<AtlasAlertRow> {
  try {
    return await writeAtlasAlert(deps.atlas.metrics, row, kind, now);
  } catch (err) {
    if (err instanceof AlertChangedError) throw new RemediationRefusal(`${err.message} (the service wrote meanwhile?), so nothing was changed; run the subcommand again.`);
    if (err instanceof DbProblemError) throw new RemediationRefusal(`${err.problem.message.replace(/\.$/, '')}; nothing was changed.`);
    throw err;
  }
}

const notFound = (name: string) => `No alert named "${quoteInput(name, 80)}" in metrics.db or the bot; \`/atlas alerts\` lists them. Nothing was changed.`;

const alertClear = remediation<AlertArgs>(
  {
    name: 'alert clear',
    ifInterrupted: '`alerts --all` (is the alert resolved, in metrics.db and the bot?) and the incident\'s thread',
    summary: "Resolve a stuck alert in metrics.db (the guide's \"clear stuck alerts\"), and the bot's alert with it",
    usage: '<alert-name>',
    args: alertArgs,
    async plan({ name }, deps) {
      const r = await readAlert(deps, name);
      if (!r.row && !r.bot) throw new RemediationRefusal(notFound(name));
      const rowFiring = r.row?.status === 'firing';
      const botFiring = r.bot?.status === 'firing';
      if (!rowFiring && !botFiring) {
        const when = r.row?.resolved_at ?? r.bot?.resolved_at;
        throw new RemediationRefusal(`Alert ${quoteInput(r.row?.name ?? r.bot!.name, 80)} is already resolved${typeof when === 'string' ? ` (${when})` : ''}; there is nothing to clear.`);
      }
      if (rowFiring && !deps.atlas.metrics.hasColumn('alerts', 'resolved_at')) throw new RemediationRefusal('metrics.db alerts has no resolved_at column, so the bot will not write it; nothing was changed.');
      const now = deps.clock();
      const changes: PlanChange[] = [];
      if (rowFiring) changes.push(rowChange(r.row!, 'resolve', now));
      if (botFiring) changes.push({ kind: 'row', what: `the bot's alert ${r.bot!.name} (its message updated)`, before: { status: 'firing' }, after: { status: 'resolved' } });
      if (botFiring && r.incident && r.incident.status !== 'resolved') {
        changes.push({ kind: 'row', what: `incident ${r.incident.id} (${r.incident.status})`, before: { alert: 'firing' }, after: { alert: 'resolved, noted in its thread' } });
      }
      const warnings: string[] = [];
      if (!rowFiring) warnings.push(r.row ? `metrics.db has it resolved already (${String(r.row.resolved_at)}); only the bot's alert changes.` : "metrics.db has no row of this name; only the bot's alert changes.");
      if (rowFiring && !botFiring) warnings.push(r.bot ? "The bot's alert is resolved already; only metrics.db changes." : 'The bot never saw this alert; only metrics.db changes.');
      warnings.push('If the condition still holds, the service fires it again.');
      return {
        summary: `alert ${quoteInput(name, 80)} → resolved`,
        changes,
        undo: rowFiring
          ? `None by command: the service fires it again if the condition returns; by hand, set status 'firing' and resolved_at NULL on metrics.db alerts id ${String(r.row!.id)}.`
          : 'None by command: the alert is posted anew when it fires again.',
        warnings,
        fingerprint: fingerprintOf(fingerprintParts(r)),
      };
    },
    async apply({ name }, plan, deps, actor): Promise<AppliedRemediation> {
      const r = await rereadUnchanged(deps, name, plan);
      const now = deps.clock();
      const lines: string[] = [];
      if (r.row?.status === 'firing') {
        const after = await writeRow(deps, r.row, 'resolve', now);
        lines.push(`metrics.db: status resolved, resolved_at ${String(after.resolved_at)}`);
      }
      if (r.bot?.status === 'firing') {
        // An engineer's resolution: it stands whatever the alert's sources say, recorded with their name.
        const outcome = await ingestAlert(deps, { name: r.bot.name, status: 'resolved', message: '', source: 'command', resolvedAt: now, resolvedBy: byPerson(actor.userId) });
        lines.push(outcome.action === 'resolved' ? `the bot's alert resolved${r.incident ? ` (${r.incident.id} told in its thread)` : ''}` : "the bot's alert was resolved meanwhile");
      }
      return { headline: `Alert ${quoteInput(r.row?.name ?? r.bot?.name ?? name, 80)} cleared`, lines, undo: plan.undo, ...(r.incident ? { incidentId: r.incident.id } : {}) };
    },
  },
  (a) => a.name,
);

const alertAck = remediation<AlertArgs>(
  {
    name: 'alert ack',
    ifInterrupted: '`alerts` (is the alert acknowledged, in metrics.db and the bot?) and `incidents` (was its incident opened?)',
    summary: "Mark a firing alert acknowledged in metrics.db; the bot's unacknowledged alert is acknowledged too",
    usage: '<alert-name>',
    args: alertArgs,
    async plan({ name }, deps) {
      const r = await readAlert(deps, name);
      if (!r.row) throw new RemediationRefusal(r.bot ? `metrics.db has no alert named "${quoteInput(name, 80)}" (the bot has it from ${r.bot.sources}); \`/atlas ack ${quoteInput(r.bot.name, 60)}\` acknowledges it in the bot. Nothing was changed.` : notFound(name));
      if (!deps.atlas.metrics.hasColumn('alerts', 'acknowledged_at')) throw new RemediationRefusal('metrics.db alerts has no acknowledged_at column, so there is nothing to mark; nothing was changed.');
      if (r.row.status !== 'firing') throw new RemediationRefusal(`Alert ${quoteInput(r.row.name, 80)} is ${r.row.status}${typeof r.row.resolved_at === 'string' ? ` (${r.row.resolved_at})` : ''}; there is nothing to acknowledge.`);
      if (r.row.acknowledged_at !== null && r.row.acknowledged_at !== undefined) {
        throw new RemediationRefusal(`Alert ${quoteInput(r.row.name, 80)} was acknowledged in metrics.db already (${String(r.row.acknowledged_at)}); nothing was changed.`);
      }
      const now = deps.clock();
      const changes: PlanChange[] = [rowChange(r.row, 'acknowledge', now)];
      const warnings: string[] = [];
      const botWaiting = r.bot?.status === 'firing' && !r.bot.incident_id;
      if (botWaiting) {
        changes.push({ kind: 'row', what: `the bot's alert ${r.bot!.name}`, before: { acknowledged: 'no' }, after: { acknowledged: 'by you; its incident opens, owned by you (as Acknowledge does)' } });
      } else if (r.incident) {
        warnings.push(`The bot's alert is acknowledged already (${r.incident.id}, ${r.incident.status}); only metrics.db changes.`);
      } else {
        warnings.push(r.bot ? "The bot's alert is not firing; only metrics.db changes." : 'The bot never saw this alert; only metrics.db changes.');
      }
      return {
        summary: `alert ${quoteInput(r.row.name, 80)} acknowledged in metrics.db`,
        changes,
        undo: `By hand: set acknowledged_at NULL on metrics.db alerts id ${String(r.row.id)}${botWaiting ? '; the incident it opens is closed with `resolve`' : ''}.`,
        warnings,
        fingerprint: fingerprintOf(fingerprintParts(r)),
      };
    },
    async apply({ name }, plan, deps, actor): Promise<AppliedRemediation> {
      const r = await rereadUnchanged(deps, name, plan);
      const now = deps.clock();
      const after = await writeRow(deps, r.row!, 'acknowledge', now);
      const lines = [`metrics.db: acknowledged_at ${String(after.acknowledged_at)}`];
      let incidentId = r.incident?.id;
      if (r.bot?.status === 'firing' && !r.bot.incident_id) {
        if (actor.source !== 'slack') {
          lines.push("the bot's alert stays unacknowledged: the terminal has no Slack user to own its incident; press Acknowledge in Slack");
        } else {
          try {
            const acked = await acknowledgeAlert(deps, r.bot.name, actor.userId);
            lines.push(`the bot's alert acknowledged: ${acked.incident.id} opened`);
            incidentId = acked.incident.id;
          } catch (err) {
            if (!(err instanceof IncidentError)) throw err;
            lines.push(`the bot's alert: ${err.message}`);
          }
        }
      }
      return { headline: `Alert ${quoteInput(r.row!.name, 80)} acknowledged`, lines, undo: plan.undo, ...(incidentId ? { incidentId } : {}) };
    },
  },
  (a) => a.name,
);

export const alertRemediations: readonly RemediationEntry[] = [alertClear, alertAck];
