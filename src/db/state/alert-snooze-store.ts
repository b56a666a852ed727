
/** Who snoozed an unacknowledged alert's reminder, until when, and the timer that brings it back. */
export interface AlertSnooze {
  alert_key: string;
  /** The firing it was snoozed in: a later firing has a message (and reminders) of its own. */
  fire_count: number;
  timer_id: number;
  snoozed_by: string;
  until: string;
  snoozed_at: string;
}

export interface AlertSnoozeStore {
  /** The alert's latest snooze replaces any earlier one. */
  set(s: Omit<AlertSnooze, 'snoozed_at' | 'until'> & { until: Date }, now: Date): Promise<void>;
  get(alertKey: string): Promise<AlertSnooze | null>;
}
