/** A bot process as it last reported itself. */
export interface ReplicaRow {
  id: string;
  /** The configured replica name (ATLAS_REPLICA_NAME), or the host name. */
  name: string;
  host: string;
  pid: number;
  /** 1 when it can read the Shadow Atlas data (ATLAS_DATA_DIR present and readable), so it runs reads and remediation. */
  reaches_data: number;
  started_at: string;
  seen_at: string;
  /** When it stopped cleanly; null while it runs (or after it died: then seen_at grows old). */
  stopped_at: string | null;
}

/** The replicas sharing this state: each reports itself every few seconds. */
export interface ReplicaStore {
  /** Records (or refreshes) this replica as seen at `now`. */
  report(replica: Omit<ReplicaRow, 'seen_at' | 'stopped_at'>, now: Date): Promise<void>;
  stopped(id: string, now: Date): Promise<void>;
  /** Those seen since `since` and not stopped, by name, then id. */
  live(since: Date): Promise<ReplicaRow[]>;
  /** Forgets those not seen since `before`. */
  prune(before: Date): Promise<number>;
}
