import type { Clock } from '../clock.js';

/** The sandbox's clock: real time plus whatever the page has advanced it by. */
export interface SandboxClock extends Clock {
  advance(ms: number): void;
  offsetMs(): number;
}

/**
 * Time runs as usual (acknowledgement windows, trigger lifetimes and ts values move with it) and
 * jumps forward on request, so a 30-minute reminder can be watched now. It never goes back:
 * Slack's ts values and the bot's timers only move forward.
 */
export function sandboxClock(now: () => number = Date.now): SandboxClock {
  let offset = 0;
  const clock = (() => new Date(now() + offset)) as SandboxClock;
  clock.advance = (ms) => {
    if (!(Number.isFinite(ms) && ms > 0)) throw new RangeError(`the sandbox clock only moves forward (got ${ms} ms)`);
    offset += ms;
  };
  clock.offsetMs = () => offset;
  return clock;
}
