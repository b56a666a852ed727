/** A lease row: who may run the work named `name` until `expires_at`, under which fencing token. */
export interface LeaseRow {
  name: string;
  holder: string;
  fencing_token: number;
  expires_at: string;
}

/** A lease as its holder carries it into the writes it makes under it. */
export interface Fence {
  name: string;
  holder: string;
  token: number;
}

/**
 * Leases for work that must run on one replica at a time (the shift handoff, the timer sweep,
 * retention, the weekly jobs). Each new holder gets a higher fencing token; a write made under a
 * lease checks, inside its transaction, that the lease is still its holder's at that token, so a
 * replica that wakes from a long pause (its lease expired and taken over meanwhile) changes nothing.
 * Time is the callers' clock: the replicas' clocks must agree to well under a lease's length (NTP).
 */
export interface LeaseStore {
  /**
   * Takes `name` for `holder` until `now + ttlMs` when it is free or expired (a new, higher
   * token), or extends it when `holder` holds it still (the same token). Null while another
   * holder's lease is in force. Decided by one statement on the lease row: two replicas asking at
   * once never both get it.
   */
  acquire(name: string, holder: string, now: Date, ttlMs: number): Promise<Fence | null>;
  /**
   * Inside a transaction: whether `fence` still holds at `now`. On PostgreSQL the row stays locked
   * to the transaction's end, so no one takes the lease over before this transaction commits.
   */
  holds(fence: Fence, now: Date): Promise<boolean>;
  /** Lets `name` go at once, if `holder` holds it (a replica stopping). */
  release(name: string, holder: string, now: Date): Promise<void>;
  /** Every lease, by name, for /healthz, doctor and App Home. */
  list(): Promise<LeaseRow[]>;
}
