import type { types } from '@slack/bolt';
import { z } from 'zod';
import { SLACK_CHANNEL_ID } from '../ids.js';
import { safeMrkdwn } from './block-kit.js';
import { shiftChangeText } from '../oncall/handoff-content.js';

export const HANDOFF_NOTES_CALLBACK = 'atlas_handoff_notes';
export const HANDOFF_NOTES_BLOCK = 'notes';
export const HANDOFF_NOTES_INPUT = 'value';
export const HANDOFF_NOTES_MAX = 2000;

/** What the form carries to its submission: the shift change, and where it was opened (part of who may save). */
export const handoffNotesMetadata = z.object({
  shiftChange: z.iso.datetime(),
  channel: z.string().regex(SLACK_CHANNEL_ID).optional(),
});
export type HandoffNotesMetadata = z.infer<typeof handoffNotesMetadata>;

const plain = (text: string): types.PlainTextElement => ({ type: 'plain_text', text });

export interface HandoffNotesForm {
  shiftChange: Date;
  timezone: string;
  incoming: string | null;
  notes: string | null;
  channel?: string;
}

/** The notes form: one optional text box, filled with the notes so far (empty clears them). */
export function handoffNotesModal(f: HandoffNotesForm): types.ModalView {
  const to = f.incoming ? ` to <@${f.incoming}>` : '';
  const metadata: HandoffNotesMetadata = { shiftChange: f.shiftChange.toISOString(), ...(f.channel ? { channel: f.channel } : {}) };
  return {
    type: 'modal',
    callback_id: HANDOFF_NOTES_CALLBACK,
    title: plain('Handoff notes'),
    submit: plain('Save notes'),
    close: plain('Cancel'),
    private_metadata: JSON.stringify(metadata),
    blocks: [
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            verbatim: true,
            text: `*For the handoff at ${safeMrkdwn(shiftChangeText(f.shiftChange, f.timezone), 100)}${to}.* The bot fills in incidents, alerts, jobs and watch items; write what the data cannot say.`,
          },
        ],
      },
      {
        type: 'input',
        block_id: HANDOFF_NOTES_BLOCK,
        optional: true,
        label: plain('Notes for the next shift'),
        hint: plain('Work in progress, things to watch, who to call. Leave empty to clear.'),
        element: {
          type: 'plain_text_input',
          action_id: HANDOFF_NOTES_INPUT,
          multiline: true,
          max_length: HANDOFF_NOTES_MAX,
          ...(f.notes ? { initial_value: f.notes.slice(0, HANDOFF_NOTES_MAX) } : {}),
        },
      },
    ],
  };
}

/** The notes typed into the form ('' when left empty). */
export function readHandoffNotes(values: unknown): string | null {
  const parsed = z
    .object({ [HANDOFF_NOTES_BLOCK]: z.object({ [HANDOFF_NOTES_INPUT]: z.object({ value: z.string().nullish() }) }) })
    .safeParse(values);
  return parsed.success ? (parsed.data[HANDOFF_NOTES_BLOCK]![HANDOFF_NOTES_INPUT]!.value ?? '') : null;
}
