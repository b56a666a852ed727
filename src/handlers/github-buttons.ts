/** Create GitHub issue, under a review draft: `review-issue <INC>` through the registry, as every button. */
import type { App } from '@slack/bolt';
import { INCIDENT_ID } from '../ids.js';
import { REVIEW_ISSUE_ACTION } from '../templates/github-messages.js';
import { registerRoute } from './buttons.js';
import type { HandlerContext } from './handler-context.js';

export function registerGitHubButtons(app: App, ctx: HandlerContext): void {
  registerRoute(app, ctx, { actionId: REVIEW_ISSUE_ACTION, command: 'review-issue', answer: 'sentence', args: (v) => (INCIDENT_ID.test(v) ? { _: [v] } : null) });
}
