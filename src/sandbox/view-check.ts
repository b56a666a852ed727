import { blockProblems } from './block-kit-check.js';
import { isRecord, Problems } from './block-kit-problems.js';
import { SLACK_LIMITS } from './slack-limits.js';
import { problemAt, refuse } from './slack-refusal.js';

const V = SLACK_LIMITS.view;

export type ViewType = 'modal' | 'home';

/**
 * Refuses a view the way views.open / push / update / publish do. Slack answers view problems
 * with `invalid_arguments` (not invalid_blocks) and the problems in response_metadata, e.g.
 * "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]" (as logged from
 * real answers in public code).
 * Limits: https://api.slack.com/reference/surfaces/views (title, submit and close 24 characters;
 * submit required when the modal has an input block; private_metadata 3000; callback_id 255;
 * external_id 255; 100 blocks).
 */
export function checkView(view: unknown, allowed: readonly ViewType[]): asserts view is Record<string, unknown> & { type: ViewType } {
  if (!isRecord(view)) refuse('invalid_arguments', [problemAt('/view', 'must be a view object')]);
  const p = new Problems();
  if (!p.enumValue('/view/type', view.type, allowed)) refuse('invalid_arguments', p.list);
  if (view.type === 'modal') {
    p.requiredTextObject('/view', view, 'title', V.modalButtonText, true);
    p.optionalTextObject('/view', view, 'submit', V.modalButtonText, true);
    p.optionalTextObject('/view', view, 'close', V.modalButtonText, true);
    const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isRecord(b) && b.type === 'input');
    if (hasInput && view.submit === undefined) p.add('/view', 'missing required field: submit (required when a modal has an input block)');
  }
  p.optionalText('/view', view, 'private_metadata', V.privateMetadata);
  p.optionalText('/view', view, 'callback_id', V.callbackId);
  p.optionalText('/view', view, 'external_id', V.externalId);
  if (view.blocks === undefined) p.missing('/view', 'blocks');
  const problems = [...p.list, ...(view.blocks === undefined ? [] : blockProblems(view.blocks, view.type as ViewType, '/view/blocks', V.blocks))];
  if (problems.length > 0) refuse('invalid_arguments', problems);
}
