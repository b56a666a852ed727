/** `/atlas audit` (the latest remediations and refusals) and `audit verify` (is the hash chain whole?). */
import { existsSync } from 'node:fs';
import type { AuditAnchor } from '../db/state/audit-store.js';
import { z } from 'zod';
import { isSlackUserId } from '../ids.js';
import { stateFileOf } from '../db/state/state-file.js';
import { auditListReport, auditVerifyReport, noAuditLogReport } from '../templates/audit-report.js';
import { quoteInput } from '../text/quote-input.js';
import { defineCommand, limitArg, noPositionals, type CommandDeps, type CommandSpec } from './command-spec.js';
import { parseUserRef } from './incident-args.js';

/** `--user`: someone in Slack, as a mention or a user ID. */
const userArg = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined) return undefined;
    const user = parseUserRef(text);
    if (isSlackUserId(user)) return user;
    ctx.addIssue({ code: 'custom', message: `"${quoteInput(text, 30)}" is not a Slack user: mention them (@name) or give their user ID (U012ABC3DEF)` });
    return z.NEVER;
  });

/**
 * The terminal keeps a missing data directory's state in memory (runtime.ts): an empty log
 * there would read as "intact", so both subcommands say there is no log instead.
 */
function missingLogFile(deps: CommandDeps): string | null {
  const file = stateFileOf(deps.config);
  return existsSync(file) ? null : file;
}

// Tier incident, not read: the trail says who did what where, which is for responders.
const audit = defineCommand({
  name: 'audit',
  summary: 'The latest remediations and refusals: who, where, what, how it ended, the undo',
  usage: '[--limit N] [--user @user]',
  tier: 'incident',
  group: 'Remediation',
  options: { limit: { type: 'string' }, user: { type: 'string' } },
  args: z.object({ _: noPositionals, limit: limitArg(20, 200), user: userArg }),
  async run(args, deps, actor) {
    const missing = missingLogFile(deps);
    if (missing) return noAuditLogReport('audit', missing);
    let rows: Awaited<ReturnType<typeof deps.state.audit.latest>>;
    let total: number;
    try {
      rows = await deps.state.audit.latest({ limit: args.limit, ...(args.user ? { userId: args.user } : {}) });
      total = await deps.state.audit.count(args.user);
    } catch (err) {
      // A dropped table is damage to name, as `audit verify` names it, not an unexpected error.
      if (err instanceof Error && /no such table: (main\.)?audit_log\b/.test(err.message)) return auditVerifyReport(await deps.state.audit.verify());
      throw err;
    }
    return auditListReport({ rows, total, ...(args.user ? { userId: args.user } : {}) }, actor.source === 'slack' ? 'slack' : 'terminal');
  },
});

/** `--head 123:3f1c…`: a head as published in Slack (the whole hash, or its first 8 or more hex digits). */
const headArg = z
  .string()
  .optional()
  .transform((text, ctx): AuditAnchor | undefined => {
    if (text === undefined) return undefined;
    const m = /^#?(\d{1,12}):([0-9a-fA-F]{8,64})$/.exec(text.trim());
    if (!m) {
      ctx.addIssue({ code: 'custom', message: `"${quoteInput(text, 40)}" is not a head: give it as posted in Slack, number:hash (e.g. 123:3f1c9a0b…, at least 8 hex digits of the hash)` });
      return z.NEVER;
    }
    return { seq: Number(m[1]), hash: m[2]!.toLowerCase(), from: `the head given (--head ${m[1]}:${m[2]!.slice(0, 12)}…)` };
  });

const verify = defineCommand({
  name: 'audit verify',
  summary: "Checks the audit log's hash chain, and against the heads published in Slack: intact, or the first row edited, inserted, deleted or added",
  usage: '[--head N:hash]',
  tier: 'incident',
  group: 'Remediation',
  options: { head: { type: 'string' } },
  args: z.object({ _: noPositionals, head: headArg }),
  async run(args, deps) {
    const missing = missingLogFile(deps);
    if (missing) return noAuditLogReport('audit verify', missing);
    return auditVerifyReport(await deps.state.audit.verify(args.head ? [args.head] : []));
  },
});

/** The remediation audit trail. */
export const auditCommands: CommandSpec[] = [audit, verify];
