/**
 * A confirmed remediation from "confirmed — starting" to its outcome, so that a crash cannot
 * leave the audit trail silent. Before anything runs, the start is written in its own committed
 * transaction (an audit row and a run held by this process with a lease, renewed while the
 * action runs); the outcome ends the run in the transaction of its own audit row. A run whose
 * lease ran out with no outcome belongs to a process that died: the next sweep (at start, then
 * every few seconds, in whichever bot process gets there first) reports it once, in the
 * channel and in `audit`, as "outcome unknown: check X", X being what the remediation names.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { DomainDeps } from '../incidents/incident-deps.js';
import type { AuditSource } from '../db/state/audit-store.js';

/** This process, as the owner of the runs it holds (never reused: a restarted process is another owner). */
const OWNER = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

/** At most this many interrupted runs are reported per sweep (the rest the next one). */
const REPORT_BATCH = 20;

export const STARTING = 'confirmed — starting';

/** How long a run's lease lasts without renewal: the bot's claim on work (delivery.leaseSeconds). */
const leaseMsOf = (deps: DomainDeps) => deps.config.delivery.leaseSeconds * 1000;

export interface RunStart {
  source: AuditSource;
  userId: string;
  channelId: string | null;
  command: string;
  /** JSON text. */
  args: string;
  plan: string;
  checkHint: string;
}

/** A run in progress: ends the lease's renewal. */
export interface HeldRun {
  auditId: number;
  release(): void;
}

/**
 * Writes "confirmed — starting" (audit row and run, committed together) and keeps the run's
 * lease while the caller applies; `release()` once the outcome is recorded (or failed to be).
 */
export async function startRun(deps: DomainDeps, run: RunStart): Promise<HeldRun> {
  const now = deps.clock();
  const leaseMs = leaseMsOf(deps);
  const auditId = await deps.state.transaction(async (tx) => {
    const row = await tx.audit.append(
      { source: run.source, userId: run.userId, channelId: run.channelId, command: run.command, args: run.args, outcome: 'started', plan: run.plan, result: STARTING, undo: null },
      now,
    );
    await tx.remediationRuns.start({
      audit_id: row.id,
      command: run.command,
      args: run.args,
      source: run.source,
      user_id: run.userId,
      channel_id: run.channelId,
      check_hint: run.checkHint,
      started_at: now.toISOString(),
      owner: OWNER,
      lease_until: new Date(now.getTime() + leaseMs).toISOString(),
    });
    return row.id;
  });
  // Renewed at a third of the lease, so one late renewal does not make a live run look dead.
  const renew = async () => {
    try {
      await deps.state.transaction(async (tx) => await tx.remediationRuns.renew(auditId, OWNER, new Date(deps.clock().getTime() + leaseMs)));
    } catch (err) {
      deps.logger.warn({ err, auditId }, 'could not renew the lease of a running remediation');
    }
  };
  const timer = setInterval(() => void renew(), Math.max(200, Math.floor(leaseMs / 3)));
  timer.unref();
  return { auditId, release: () => clearInterval(timer) };
}

/**
 * Reports every run whose process died before its outcome: an audit row "outcome unknown" and a
 * message in the channel, each once. Returns how many were reported.
 */
export async function reportInterruptedRuns(deps: DomainDeps): Promise<number> {
  const now = deps.clock();
  return await deps.state.transaction(async (tx) => {
    const runs = await tx.remediationRuns.claimAbandoned(now, REPORT_BATCH);
    for (const r of runs) {
      await tx.audit.append(
        {
          source: r.source,
          userId: r.user_id,
          channelId: r.channel_id,
          command: r.command,
          args: r.args,
          outcome: 'unknown',
          plan: null,
          result: `check ${r.check_hint} (started at ${r.started_at}, audit #${r.audit_id}; the bot stopped before its outcome was written)`,
          undo: null,
        },
        now,
      );
      await deps.events.record(tx, { type: 'remediation-interrupted', command: r.command, args: r.args, actor: r.user_id, startedAt: new Date(r.started_at), auditId: r.audit_id, check: r.check_hint, channelId: r.channel_id }, now);
    }
    if (runs.length > 0) deps.logger.warn({ runs: runs.map((r) => ({ auditId: r.audit_id, command: r.command })) }, 'remediations interrupted before their outcome: reported as outcome unknown');
    return runs.length;
  });
}
