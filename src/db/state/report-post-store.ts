
/** One weekly reliability report as posted: the scheduled time it was for, where, and when it was queued. */
export interface ReportPostRow {
  due_at: string;
  channel: string;
  posted_at: string;
}

/** The weekly reliability report's posts (report.cron), so each scheduled time is posted once. */
export interface ReportPostStore {
  /**
   * Claims the post of the report scheduled at `dueAt`: true once, whichever process or tick asks
   * first; the caller queues the message in the same transaction.
   */
  claim(dueAt: Date, channel: string, now: Date): Promise<boolean>;
  get(dueAt: Date): Promise<ReportPostRow | null>;
}
