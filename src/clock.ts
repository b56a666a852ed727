/** Everything that depends on "now" takes a Clock, so tests can move time. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** A clock for tests and benchmarks: fixed until moved. */
export function manualClock(start: Date | string): Clock & { set(t: Date | string): void; advance(ms: number): void } {
  let now = new Date(start).getTime();
  const clock = (() => new Date(now)) as Clock & { set(t: Date | string): void; advance(ms: number): void };
  clock.set = (t) => {
    now = new Date(t).getTime();
  };
  clock.advance = (ms) => {
    now += ms;
  };
  return clock;
}
