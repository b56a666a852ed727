
/**
 * Signed Slack requests already taken, so that a replay of one within its window is refused:
 * kept in chatops.db, so two bot processes on one state agree on what was seen.
 */
export interface SeenRequestStore {
  /**
   * Records `signatureHash` until `expiresAt` and answers true, or answers false when it is
   * already recorded and not yet expired: a replay. One statement, so two processes taking the
   * same request at the same instant cannot both see it first.
   */
  firstSight(signatureHash: string, expiresAt: Date, now: Date): Promise<boolean>;
  /** Deletes expired rows; answers how many. */
  prune(now: Date): Promise<number>;
}
