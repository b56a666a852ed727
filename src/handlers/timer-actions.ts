import type { App } from '@slack/bolt';
import { z } from 'zod';
import { snoozeTimer } from '../incidents/timer-sweeper.js';
import { SNOOZE_MINUTES, TIMER_SNOOZE_ACTION } from '../templates/nudge-messages.js';
import { onButton, type IncidentHandlerContext, type ResponderCheck } from './incident-actions.js';

/** `atlas_timer_snooze:30` and its siblings (Slack wants action ids unique within a block). */
export const SNOOZE_ACTION_PATTERN = new RegExp(`^${TIMER_SNOOZE_ACTION}(:\\d{1,4})?$`);

/** `${timerId}:${minutes}`, minutes one of the offered snoozes. */
const snoozeValue = z.string().regex(new RegExp(`^\\d{1,12}:(${SNOOZE_MINUTES.join('|')})$`));

/**
 * The Snooze 30 min / 1 h / 2 h buttons of every nudge: responders only; the reminder comes
 * back after the chosen time, and the presser is told when.
 */
export function registerTimerActions(app: App, ctx: IncidentHandlerContext, isResponder: ResponderCheck): void {
  onButton(app, ctx, isResponder, {
    actionId: SNOOZE_ACTION_PATTERN,
    doing: 'Snoozing reminders',
    value: snoozeValue,
    async press({ userId, value, say }) {
      const [timerId, minutes] = value.split(':').map(Number) as [number, number];
      const result = snoozeTimer(ctx.deps, timerId, minutes, userId);
      await say(result.message);
    },
  });
}
