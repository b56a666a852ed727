
export type SharedResultClaim = { kind: 'ok'; json: string; createdAt: string } | { kind: 'expired' } | { kind: 'not-yours' };

/** Answers kept for their "Post to channel" button, as opaque JSON. */
export interface SharedResultStore {
  /** Saves one, removing those created before `pruneBefore`. */
  save(row: { id: string; createdAt: string; userId: string; json: string }, pruneBefore: string): Promise<void>;
  /** Takes it out once (a double click must not post twice), if `userId`'s and created since `since`. */
  claim(id: string, userId: string, since: string): Promise<SharedResultClaim>;
  /** Returns a claimed one after a failed post. */
  putBack(row: { id: string; createdAt: string; userId: string; json: string }): Promise<void>;
}
