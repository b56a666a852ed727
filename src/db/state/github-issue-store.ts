
/** The GitHub issue filed for an incident's post-incident review (one per incident). */
export interface GitHubIssueLinkRow {
  incident_id: string;
  repo: string;
  number: number | null;
  html_url: string | null;
  /** creating: claimed, the call made or about to be; created: GitHub answered with the issue. */
  state: 'creating' | 'created';
  created_at: string;
}

/** What a press on Create GitHub issue finds. */
export type GitHubIssueClaim =
  /**
   * This press files it: a new claim, or a stale one taken over, when `reconcileSince` is when the
   * earlier attempt began (its issue, if GitHub made it, is looked for before filing again).
   */
  | { kind: 'claimed'; reconcileSince: string | null; row: GitHubIssueLinkRow }
  /** Filed already: link it. */
  | { kind: 'created'; row: GitHubIssueLinkRow }
  /** Another press (or process) is filing it right now. */
  | { kind: 'busy'; row: GitHubIssueLinkRow };

export interface GitHubIssueStore {
  get(incidentId: string): Promise<GitHubIssueLinkRow | null>;
  /**
   * Claims the filing in one immediate transaction: a new row 'creating', or a 'creating' row
   * older than `staleBefore` taken over (its attempt crashed or timed out). Two presses or two
   * processes: one claims, the other finds it busy or created.
   */
  claim(incidentId: string, repo: string, now: Date, staleBefore: Date): Promise<GitHubIssueClaim>;
  /** GitHub answered with the issue. */
  markCreated(incidentId: string, number: number, htmlUrl: string): Promise<void>;
  /** GitHub refused for certain (no issue exists): the next press files afresh. */
  release(incidentId: string): Promise<void>;
}
