import { type TimerKind, type TimerRow } from './state-records.js';

/** The timers of one incident, or of one alert nobody has acknowledged yet. */
export type TimerScope = { incidentId: string } | { alertKey: string };

export interface TimerStore {
  schedule(timer: { kind: TimerKind; due: Date; incidentId?: string | null; alertKey?: string | null }, now: Date): Promise<number>;
  get(id: number): Promise<TimerRow | null>;
  /** Pending (not fired, not cancelled) timers of a scope, earliest first. */
  pending(scope: TimerScope): Promise<TimerRow[]>;
  /** Kinds of the incident's timers that have fired. */
  firedKinds(incidentId: string): Promise<Set<TimerKind>>;
  /** Pending timers whose time has come, earliest first. */
  due(now: Date): Promise<TimerRow[]>;
  isPending(id: number): Promise<boolean>;
  markFired(id: number, now: Date): Promise<void>;
  cancel(id: number, now: Date, why?: string): Promise<void>;
  /** Cancels the scope's pending timers of one kind. */
  cancelKind(scope: TimerScope, kind: TimerKind, now: Date): Promise<void>;
  /**
   * Done by hand (an escalation sent without waiting for its reminder): the pending timer of
   * that kind counts as fired, or a fired one is recorded, so it is not planned again.
   */
  settle(incidentId: string, alertKey: string | null, kind: TimerKind, now: Date): Promise<void>;
  /** Counts a failed attempt; the timer is given up (cancelled) after `maxAttempts`. */
  recordFailure(id: number, message: string, maxAttempts: number, now: Date): Promise<void>;
}
