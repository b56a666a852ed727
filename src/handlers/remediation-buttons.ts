/** Confirm on a remediation's preview: `confirm <token>` through the registry; the answer (result, refusal or a new preview) replaces nothing and goes only to the presser. */
import type { App } from '@slack/bolt';
import { REMEDIATION_CONFIRM_ACTION } from '../templates/remediation-messages.js';
import { registerRoute } from './buttons.js';
import type { HandlerContext } from './handler-context.js';

export function registerRemediationButtons(app: App, ctx: HandlerContext): void {
  registerRoute(app, ctx, {
    actionId: REMEDIATION_CONFIRM_ACTION,
    command: 'confirm',
    answer: 'report',
    progress: true,
    args: (v) => (/^[A-Za-z0-9_-]{10,64}$/.test(v) ? { _: [v] } : null),
  });
}
