import type Database from 'better-sqlite3';
import { iso } from './state-records.js';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

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

export function gitHubIssueStore(db: Database.Database): Synchronous<GitHubIssueStore> {
  const sql = statements(db);
  const get = (incidentId: string) => (sql('SELECT * FROM github_issue_links WHERE incident_id = ?').get(incidentId) as GitHubIssueLinkRow | undefined) ?? null;
  const claim = db.transaction((incidentId: string, repo: string, now: Date, staleBefore: Date): GitHubIssueClaim => {
    const row = get(incidentId);
    if (!row) {
      sql("INSERT INTO github_issue_links (incident_id, repo, number, html_url, state, created_at) VALUES (?, ?, NULL, NULL, 'creating', ?)").run(incidentId, repo, iso(now));
      return { kind: 'claimed', reconcileSince: null, row: get(incidentId)! };
    }
    if (row.state === 'created') return { kind: 'created', row };
    if (row.created_at > iso(staleBefore)) return { kind: 'busy', row };
    // Taken over: the earlier attempt's issue (if GitHub made it) is looked for in the repo it was claimed for.
    sql('UPDATE github_issue_links SET created_at = ? WHERE incident_id = ?').run(iso(now), incidentId);
    return { kind: 'claimed', reconcileSince: row.created_at, row: { ...row, created_at: iso(now) } };
  });
  return {
    get,
    claim: (incidentId, repo, now, staleBefore) => claim.immediate(incidentId, repo, now, staleBefore),
    markCreated(incidentId, number, htmlUrl) {
      sql("UPDATE github_issue_links SET state = 'created', number = ?, html_url = ? WHERE incident_id = ?").run(number, htmlUrl, incidentId);
    },
    release(incidentId) {
      sql("DELETE FROM github_issue_links WHERE incident_id = ? AND state = 'creating'").run(incidentId);
    },
  };
}
