/** The messages around the handoff itself: the outgoing primary's reminder and the note on a handoff posted by hand. */
import type { types } from '@slack/bolt';
import type { SlackMessage } from './block-kit.js';
import { safeMrkdwn } from './block-kit.js';
import { HANDOFF_NOTES_ACTION } from './handoff-buttons.js';
import { button, context, fallback, section } from './message-parts.js';
import { shiftChangeText } from '../oncall/handoff-content.js';
import { since } from './slack-time.js';

export interface HandoffReminder {
  shiftChange: Date;
  outgoing: string;
  incoming: string | null;
  notes: string | null;
  timezone: string;
}

/** The DM to the outgoing primary before the shift change: add notes, with the button that opens the form. */
export function handoffReminderMessage(r: HandoffReminder, now: Date): SlackMessage {
  const inWhat = since(now, r.shiftChange);
  const to = r.incoming ? `<@${r.incoming}>` : 'the next shift (nobody is on call for it)';
  const head = `🔄 Your shift ends at ${shiftChangeText(r.shiftChange, r.timezone)} (in ${inWhat}): add handoff notes for ${to}`;
  const blocks: types.KnownBlock[] = [section(`*${head}*`)];
  if (r.notes) blocks.push(section(`Your notes so far:\n>${safeMrkdwn(r.notes, 2500).replace(/\n/g, '\n>')}`));
  blocks.push({ type: 'actions', block_id: 'atlas_handoff_reminder', elements: [button(HANDOFF_NOTES_ACTION, r.notes ? 'Edit handoff notes' : 'Add handoff notes', r.shiftChange.toISOString(), 'primary')] });
  blocks.push(context('The bot posts the handoff in the handoff channel at the shift change with incidents, alerts, jobs and watch items filled in; your notes can be changed until then.'));
  return { text: fallback(head), blocks };
}

/** A handoff posted by hand before its time says who posted it, and that the scheduled one still comes. */
export function postedByHand(m: SlackMessage, by: string, scheduled: Date | null, timezone: string): SlackMessage {
  const when = scheduled ? `; the scheduled handoff still goes out at ${shiftChangeText(scheduled, timezone)}` : '';
  return { ...m, blocks: [...m.blocks, context(`Posted by <@${by}> with Post now${when}.`)] };
}
