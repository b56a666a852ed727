import type { types } from '@slack/bolt';
import { button } from './message-parts.js';

/**
 * The action ids of the handoff's buttons. Each stands for a subcommand run through the registry:
 * Take over (value: the incident id) is `take-over`; Add handoff notes (value: the shift change,
 * an ISO instant) opens the notes form, whose submission is `handoff-notes`; Post now is
 * `handoff --post`.
 */
export const HANDOFF_TAKE_OVER_ACTION = 'atlas_handoff_take_over';
export const HANDOFF_NOTES_ACTION = 'atlas_handoff_notes';
export const HANDOFF_POST_NOW_ACTION = 'atlas_handoff_post_now';

/** The preview's buttons: Post now (responders) and Add notes, for the shift change it previews. */
export function handoffPreviewButtons(shiftChange: Date): types.KnownBlock[] {
  return [
    {
      type: 'actions',
      block_id: 'atlas_handoff_preview',
      elements: [button(HANDOFF_POST_NOW_ACTION, 'Post now', 'now', 'primary'), button(HANDOFF_NOTES_ACTION, 'Add notes', shiftChange.toISOString())],
    },
  ];
}
