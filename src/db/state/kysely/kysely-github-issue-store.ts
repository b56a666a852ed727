import type { Kysely } from 'kysely';
import type { GitHubIssueLinkRow, GitHubIssueStore } from '../github-issue-store.js';
import { iso } from '../state-records.js';
import { atomically } from './atomically.js';
import type { StateDialect } from './state-dialect.js';
import type { StateDb } from './state-db.js';

/**
 * github-issue-store.ts, written once for SQLite and PostgreSQL. The claim is a check-and-set:
 * on SQLite its immediate transaction runs alone; on PostgreSQL two replicas pressing at once
 * would both find no row and both insert (one failing on the key), so the row is inserted first
 * if missing, then read locked (`dialect.rowLock`), and only then judged.
 */
export function kyselyGitHubIssueStore(db: Kysely<StateDb>, dialect: StateDialect): GitHubIssueStore {
  const get = async (on: Kysely<StateDb>, incidentId: string) =>
    ((await on.selectFrom('github_issue_links').selectAll().where('incident_id', '=', incidentId).executeTakeFirst()) as GitHubIssueLinkRow | undefined) ?? null;
  return {
    get: (incidentId) => get(db, incidentId),
    claim: (incidentId, repo, now, staleBefore) =>
      atomically(db, async (tx) => {
        const inserted = await tx
          .insertInto('github_issue_links')
          .values({ incident_id: incidentId, repo, number: null, html_url: null, state: 'creating', created_at: iso(now) })
          .onConflict((oc) => oc.column('incident_id').doNothing())
          .executeTakeFirst();
        const row = (await dialect.rowLock(tx.selectFrom('github_issue_links').selectAll().where('incident_id', '=', incidentId)).executeTakeFirstOrThrow()) as GitHubIssueLinkRow;
        if (inserted.numInsertedOrUpdatedRows === 1n) return { kind: 'claimed', reconcileSince: null, row };
        if (row.state === 'created') return { kind: 'created', row };
        if (row.created_at > iso(staleBefore)) return { kind: 'busy', row };
        // Taken over: the earlier attempt's issue (if GitHub made it) is looked for in the repo it was claimed for.
        await tx.updateTable('github_issue_links').set({ created_at: iso(now) }).where('incident_id', '=', incidentId).execute();
        return { kind: 'claimed', reconcileSince: row.created_at, row: { ...row, created_at: iso(now) } };
      }),
    async markCreated(incidentId, number, htmlUrl) {
      await db.updateTable('github_issue_links').set({ state: 'created', number, html_url: htmlUrl }).where('incident_id', '=', incidentId).execute();
    },
    async release(incidentId) {
      await db.deleteFrom('github_issue_links').where('incident_id', '=', incidentId).where('state', '=', 'creating').execute();
    },
  };
}
