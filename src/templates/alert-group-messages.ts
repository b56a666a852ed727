/**
 * What the lead alert's thread and message say about its group: an alert that joined (no new
 * message, no new page), an alert of the group that resolved, and the last one (the group is
 * resolved). The group's other alerts are listed as one line on the lead's message or card.
 */
import type { types } from '@slack/bolt';
import type { AlertRecord } from '../db/state/state-records.js';
import { safeMrkdwn, type SlackMessage } from './block-kit.js';
import { fallback, section } from './message-parts.js';

type KnownBlock = types.KnownBlock;

/** "provider census-tiger", "label service=api", "Alertmanager group …": how a group is named in a sentence. */
export function groupName(groupKey: string | null): string {
  if (!groupKey) return 'this group';
  const colon = groupKey.indexOf(':');
  const kind = groupKey.slice(0, colon);
  const rest = groupKey.slice(colon + 1);
  if (kind === 'provider') return `provider ${rest}`;
  if (kind === 'label') return `label ${rest}`;
  return `Alertmanager group ${rest}`;
}

const names = (list: readonly string[]) => list.map((n) => `*${safeMrkdwn(n, 150)}*`).join(', ');

export interface GroupChange {
  change: 'joined' | 'resolved';
  alert: AlertRecord;
  stillFiring: string[];
}

/** The reply in the lead's thread. */
export function alertGroupMessage(e: GroupChange): SlackMessage {
  const a = e.alert;
  const name = safeMrkdwn(a.name, 150);
  const group = safeMrkdwn(groupName(a.group_key), 200);
  if (e.change === 'joined') {
    const head = a.message.split(/\r?\n/).find((l) => l.trim() !== '')?.trim() ?? '';
    const text = `➕ *${name}* joined ${group} (${safeMrkdwn(a.group_reason ?? '', 200)}): no new message and no new page.${head ? ` ${safeMrkdwn(head, 300)}` : ''}`;
    return { text: fallback(`${name} joined ${group}: no new message and no new page.`), blocks: [section(text)] };
  }
  if (e.stillFiring.length === 0) {
    const text = `✅ *${name}* resolved: it was the last firing alert of ${group}. The group is resolved.`;
    return { text: fallback(`${name} resolved: the last firing alert of ${group}; the group is resolved.`), blocks: [section(text)] };
  }
  const text = `✅ *${name}* resolved; still firing in ${group}: ${names(e.stillFiring)}.`;
  return { text: fallback(`${name} resolved; ${e.stillFiring.length} still firing in ${group}.`), blocks: [section(text)] };
}

/** The line on the lead's message or card: "Also in provider census-tiger: watchdog_… (firing), ProviderDown (resolved)". */
export function groupLineBlock(groupKey: string | null, members: readonly Pick<AlertRecord, 'name' | 'status'>[]): KnownBlock | null {
  if (members.length === 0) return null;
  const shown = members.slice(0, 10).map((m) => `${safeMrkdwn(m.name, 100)} (${m.status})`);
  const more = members.length > 10 ? `, and ${members.length - 10} more` : '';
  return { type: 'context', elements: [{ type: 'mrkdwn', verbatim: true, text: `Also in ${safeMrkdwn(groupName(groupKey), 200)}: ${shown.join(', ')}${more}` }] };
}
