/**
 * The rotation the demo and the sandbox share, so that `oncall`, `oncall load` and `handoff`
 * answer the same in the terminal demo as in the sandbox: daily shifts changing at 09:00 UTC,
 * two people taking turns, started two weeks before the shift in progress (so there is history).
 */
const DAY_MS = 86_400_000;
export const DEMO_HANDOFF_HOUR_UTC = 9;

/** The sandbox workspace's on-call pair (src/sandbox/workspace-directory.ts gives them names). */
export const DEMO_ON_CALL = { alice: 'U0ONCALL1', bobby: 'U0ONCALL2' } as const;

export interface DemoRotation {
  timezone: string;
  handoff: string;
  start: string;
  primary: string[];
  secondary: string[];
}

export function demoRotation(now: Date, people: { primary: string; secondary: string } = { primary: DEMO_ON_CALL.alice, secondary: DEMO_ON_CALL.bobby }): DemoRotation {
  const currentShiftDay = now.getUTCHours() >= DEMO_HANDOFF_HOUR_UTC ? now : new Date(now.getTime() - DAY_MS);
  return {
    timezone: 'UTC',
    handoff: `0 ${DEMO_HANDOFF_HOUR_UTC} * * *`,
    start: new Date(currentShiftDay.getTime() - 14 * DAY_MS).toISOString().slice(0, 10),
    primary: [people.primary, people.secondary],
    secondary: [people.secondary, people.primary],
  };
}
