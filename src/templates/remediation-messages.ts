/** A remediation's preview and result as Reports: what changes, how to undo it, and the one button that applies it. */
import type { types } from '@slack/bolt';
import type { AppliedRemediation, PlanChange, RemediationPlan } from '../remediation/remediation-plan.js';
import { safeMrkdwn, type SlackMessage } from './block-kit.js';
import { context, fallback, section } from './message-parts.js';
import { hhmm } from './slack-time.js';
import type { Report } from './report.js';

export const REMEDIATION_CONFIRM_ACTION = 'atlas_remediation_confirm';

const MB = 1024 * 1024;
const size = (bytes: number) => (bytes >= 1024 * MB ? `${(bytes / 1024 / MB).toFixed(1)} GB` : `${(bytes / MB).toFixed(1)} MB`);

/** A row's columns, short: "deprecated_at: null". */
function columns(row: Record<string, unknown> | null): string {
  if (!row) return '(none)';
  return Object.entries(row)
    .map(([k, v]) => `${k}: ${v === null ? 'null' : String(v)}`)
    .join(', ');
}

/** Each change in plain words, one line each (the terminal prints them as they are; Slack escapes them). */
export function changeLines(changes: readonly PlanChange[]): string[] {
  return changes.map((c) => {
    switch (c.kind) {
      case 'row':
        return `${c.what}: ${columns(c.before)} → ${columns(c.after)}`;
      case 'file':
        return `writes ${c.path} (${c.note})`;
      case 'command':
        return `runs ${JSON.stringify(c.argv)} (${c.note})`;
      case 'space':
        return `${c.what}: needs ${size(c.needBytes)}, ${size(c.freeBytes)} free`;
    }
  });
}

/** The preview: only to the requester; nothing is written until Confirm (Slack) or `--yes` (terminal). */
export function previewReport(command: string, plan: RemediationPlan, opts: { token: string | null; expiresMinutes: number; prefix: string; args: string }): Report {
  const how = opts.token ? `Nothing changes until you press Confirm (valid ${opts.expiresMinutes} min, once).` : `Nothing changed: run \`${opts.prefix} ${command}${opts.args ? ` ${opts.args}` : ''} --yes\` to apply it.`;
  const report: Report = {
    command,
    level: 'info',
    headline: `Preview of \`${command}\`: ${plan.summary}. ${how}`,
    sections: [
      { title: 'What changes', lines: changeLines(plan.changes) },
      { title: 'Undo', lines: [plan.undo ?? 'Not undoable from the data: the preview above is what will be lost.'] },
      ...(plan.warnings.length > 0 ? [{ title: 'Warnings', lines: plan.warnings }] : []),
    ],
    data: { plan },
  };
  if (opts.token) report.blocks = previewBlocks(command, plan, opts.token, opts.expiresMinutes);
  return report;
}

function previewBlocks(command: string, plan: RemediationPlan, token: string, expiresMinutes: number): types.KnownBlock[] {
  const lines = changeLines(plan.changes).map((l) => `• ${safeMrkdwn(l, 600)}`);
  const blocks: types.KnownBlock[] = [section(`*What changes*\n${lines.join('\n')}`.slice(0, 2900))];
  blocks.push(section(`*Undo*: ${safeMrkdwn(plan.undo ?? 'not undoable from the data', 1500)}`));
  if (plan.warnings.length > 0) blocks.push(section(`⚠️ ${plan.warnings.map((w) => safeMrkdwn(w, 500)).join('\n⚠️ ')}`.slice(0, 2900)));
  blocks.push({
    type: 'actions',
    block_id: 'atlas_remediation',
    elements: [
      {
        type: 'button',
        action_id: REMEDIATION_CONFIRM_ACTION,
        style: 'danger',
        text: { type: 'plain_text', text: 'Confirm' },
        value: token,
        confirm: {
          title: { type: 'plain_text', text: 'Apply this change?' },
          text: { type: 'mrkdwn', text: safeMrkdwn(`${command}: ${plan.summary}`, 290) },
          confirm: { type: 'plain_text', text: 'Apply' },
          deny: { type: 'plain_text', text: 'Cancel' },
          style: 'danger',
        },
      },
    ],
  });
  blocks.push(context(`Only you can confirm, once, within ${expiresMinutes} min; if the data changes first, you get a new preview.`));
  return blocks;
}

/** The applied result, for the person who confirmed. */
export function appliedReport(command: string, applied: AppliedRemediation, postedWhere: string): Report {
  return {
    command,
    level: 'ok',
    headline: `${applied.headline} (${postedWhere})`,
    sections: [...(applied.lines.length > 0 ? [{ lines: applied.lines }] : []), { title: 'Undo', lines: [applied.undo ?? 'Not undoable from the data.'] }],
  };
}

export interface RemediationNotice {
  command: string;
  headline: string;
  lines: string[];
  undo: string | null;
  actor: string;
}

/** What the team sees where the incident is handled: who applied what, and the undo. */
export function remediationAppliedMessage(n: RemediationNotice): SlackMessage {
  const who = /^[UW][A-Z0-9]+$/.test(n.actor) ? `<@${n.actor}>` : safeMrkdwn(n.actor, 60);
  const head = `🛠️ ${safeMrkdwn(n.headline, 500)}`;
  const blocks: types.KnownBlock[] = [section(`*${head}*${n.lines.length > 0 ? `\n${n.lines.map((l) => `• ${safeMrkdwn(l, 400)}`).join('\n')}` : ''}`.slice(0, 2900))];
  blocks.push(context(`\`${safeMrkdwn(n.command, 60)}\` applied by ${who} · undo: ${safeMrkdwn(n.undo ?? 'not undoable from the data', 500)}`));
  return { text: fallback(head), blocks };
}

export interface InterruptedNotice {
  command: string;
  args: string;
  actor: string;
  startedAt: Date;
  auditId: number;
  check: string;
}

/** A remediation the bot was running when it stopped: how it ended is not known, and what to check. */
export function remediationInterruptedMessage(n: InterruptedNotice): SlackMessage {
  const who = /^[UW][A-Z0-9]+$/.test(n.actor) ? `<@${n.actor}>` : safeMrkdwn(n.actor, 60);
  const when = `${n.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const head = `⚠️ \`${safeMrkdwn(n.command, 60)}\`: outcome unknown: check ${safeMrkdwn(n.check, 600)}`;
  const blocks: types.KnownBlock[] = [
    section(head.slice(0, 2900)),
    context(`confirmed by ${who} at ${when} (audit #${n.auditId}); the bot stopped while it ran, before its outcome was written. \`/atlas audit\` shows it.`),
  ];
  return { text: fallback(`\`${n.command}\`: outcome unknown: check ${n.check}`), blocks };
}

/**
 * What an expired preview becomes: when it expired, that nothing ran, and the command to preview
 * anew. No button is left on it.
 */
export function previewExpiredMessage(p: { command: string; shownArgs: string | null; expiredAt: Date }): SlackMessage {
  const again = `/atlas ${p.command}${p.shownArgs ? ` ${p.shownArgs}` : ''}`;
  const line = `⌛ Expired at ${hhmm(p.expiredAt)} — nothing was run. Run \`${safeMrkdwn(again, 300)}\` again to preview anew.`;
  return { text: line, blocks: [section(line)] };
}
