
export interface HomeViewStore {
  /** Someone opened the bot's Home tab (app_home_opened). */
  opened(user: string, now: Date): Promise<void>;
  /** Something the Home tab shows changed: every Home tab is stale until it is published again. */
  markStale(now: Date): Promise<void>;
  /**
   * Claims the Home tabs to publish again: opened since `openSince`, stale, and last published
   * before `publishedBefore` (at most one publish per person per interval). Two processes never claim one twice.
   */
  claimStale(opts: { openSince: Date; publishedBefore: Date; now: Date; limit: number }): Promise<string[]>;
  /** A Home tab was published from the state as of `now`. */
  published(user: string, now: Date): Promise<void>;
}
