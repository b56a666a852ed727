
/** A person's name as Slack last gave it, and when it asked. */
export interface KnownPerson {
  user_id: string;
  name: string;
  fetched_at: string;
}

/** People's names (users.info), remembered so that the terminal, which has no Slack, still names who it has seen. */
export interface PeopleStore {
  get(userId: string): Promise<KnownPerson | null>;
  put(userId: string, name: string, now: Date): Promise<void>;
}
