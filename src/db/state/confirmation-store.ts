
/** A previewed remediation waiting for its one confirmation. */
export interface ConfirmationRow {
  token: string;
  user_id: string;
  channel_id: string | null;
  command: string;
  /** JSON: the arguments as the command took them (re-validated when confirmed). */
  args: string;
  /** JSON: the plan as previewed. */
  plan: string;
  fingerprint: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  /** Where the preview can be replaced (the response_url of the message it is), when Slack gave one. */
  response_url: string | null;
  /** The arguments as the person typed them, for "run it again". */
  shown_args: string | null;
  /** When the expiry sweep claimed it (and said so on the preview); null while pending or once used. */
  expired_at: string | null;
}

export type NewConfirmation = Omit<ConfirmationRow, 'created_at' | 'used_at' | 'expired_at' | 'response_url' | 'shown_args'> &
  Partial<Pick<ConfirmationRow, 'response_url' | 'shown_args'>>;

/** What a press on Confirm finds: the plan it stands for, or why it stands for nothing. */
export type ConfirmationClaim =
  | { kind: 'claimed'; row: ConfirmationRow }
  | { kind: 'unknown' }
  | { kind: 'not-yours'; row: ConfirmationRow }
  | { kind: 'used'; row: ConfirmationRow }
  | { kind: 'expired'; row: ConfirmationRow };

export interface ConfirmationStore {
  save(c: NewConfirmation, now: Date): Promise<void>;
  /**
   * Uses a token once: only by the person it was made for, before it expires, and only the first
   * time (a double click, a replay and a second process all find it used). Check-and-set in an
   * immediate transaction.
   */
  claim(token: string, userId: string, now: Date): Promise<ConfirmationClaim>;
  /**
   * Claims, at most `limit`, the previews that expired unconfirmed and were not swept yet: marks
   * them expired in an immediate transaction, so of two processes sweeping one gets each. A
   * preview used (confirmed) is never among them.
   */
  claimExpired(now: Date, limit: number): Promise<ConfirmationRow[]>;
}
