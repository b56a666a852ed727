/**
 * The bot's own schema, one entry per version. Append only: a released migration is never
 * edited, because chatops.db files in the field already ran it.
 */
export const STATE_MIGRATIONS: readonly string[] = [
  // 1: the audit trail of every command run, and results shared from ephemeral replies.
  `CREATE TABLE command_runs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     source TEXT NOT NULL CHECK (source IN ('slack','cli')),
     user_id TEXT NOT NULL,
     channel_id TEXT,
     command TEXT NOT NULL,
     args TEXT NOT NULL,
     outcome TEXT NOT NULL CHECK (outcome IN ('ok','warn','crit','unknown','info','error','usage','denied')),
     summary TEXT NOT NULL,
     duration_ms INTEGER NOT NULL,
     error_id TEXT
   );
   CREATE INDEX idx_command_runs_at ON command_runs(at);
   CREATE TABLE shared_results (
     id TEXT PRIMARY KEY,
     created_at TEXT NOT NULL,
     user_id TEXT NOT NULL,
     report_json TEXT NOT NULL
   );`,
  // 2: alerts as the bot knows them (deduplicated across sources), incidents with their
  // timeline, timers swept by the scheduler, and the outbox of Slack messages to deliver.
  // All timestamps are ISO-8601 UTC with milliseconds, so text order is time order.
  `CREATE TABLE incidents (
     id TEXT PRIMARY KEY,
     day TEXT NOT NULL,
     seq INTEGER NOT NULL,
     title TEXT NOT NULL,
     severity TEXT NOT NULL CHECK (severity IN ('P0','P1','P2','P3')),
     status TEXT NOT NULL CHECK (status IN ('investigating','identified','monitoring','resolved')),
     owner_id TEXT,
     created_by TEXT NOT NULL,
     alert_key TEXT,
     channel_id TEXT,
     root_ts TEXT,
     opened_at TEXT NOT NULL,
     acknowledged_at TEXT,
     ack_seconds INTEGER,
     impact TEXT,
     next_update_at TEXT,
     last_update_at TEXT,
     resolved_at TEXT,
     resolution TEXT,
     review_done_at TEXT,
     UNIQUE (day, seq)
   );
   CREATE INDEX idx_incidents_open ON incidents(status) WHERE status <> 'resolved';
   CREATE TABLE incident_events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     incident_id TEXT NOT NULL REFERENCES incidents(id),
     at TEXT NOT NULL,
     actor TEXT NOT NULL,
     kind TEXT NOT NULL,
     text TEXT NOT NULL,
     data TEXT
   );
   CREATE INDEX idx_incident_events ON incident_events(incident_id, id);
   CREATE TABLE alerts (
     key TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('firing','resolved')),
     severity TEXT NOT NULL CHECK (severity IN ('P0','P1','P2','P3')),
     severity_known INTEGER NOT NULL,
     symptom_id TEXT,
     message TEXT NOT NULL DEFAULT '',
     sources TEXT NOT NULL DEFAULT '[]',
     fingerprints TEXT NOT NULL DEFAULT '[]',
     runbook_url TEXT,
     fired_at TEXT NOT NULL,
     resolved_at TEXT,
     source_fired_at TEXT,
     fire_count INTEGER NOT NULL DEFAULT 1,
     channel_id TEXT,
     message_ts TEXT,
     incident_id TEXT REFERENCES incidents(id),
     acknowledged_by TEXT,
     acknowledged_at TEXT,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE timers (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     incident_id TEXT REFERENCES incidents(id),
     alert_key TEXT REFERENCES alerts(key),
     kind TEXT NOT NULL,
     due_at TEXT NOT NULL,
     created_at TEXT NOT NULL,
     fired_at TEXT,
     cancelled_at TEXT,
     attempts INTEGER NOT NULL DEFAULT 0,
     last_error TEXT
   );
   CREATE INDEX idx_timers_due ON timers(due_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;
   CREATE TABLE outbox (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     created_at TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('alert-message','incident-card','thread-post','channel-post')),
     ref TEXT NOT NULL,
     payload TEXT,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at TEXT NOT NULL,
     sent_at TEXT,
     failed_at TEXT,
     last_error TEXT
   );
   CREATE INDEX idx_outbox_pending ON outbox(next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;`,
  // 3: delivery that survives crashes and a second process. Messages are named by an anchor
  // (alert:<key>:<firing>, incident:<id>) and their Slack ids kept in slack_messages, so neither
  // incidents nor alerts carry Slack message ids; outbox rows go out in lanes, claimed with a
  // lease, and a post whose fate is unknown is marked in doubt. Pending rows of the old outbox
  // are carried over; delivered ones are not needed any more.
  `CREATE TABLE slack_messages (
     anchor TEXT PRIMARY KEY,
     channel TEXT NOT NULL,
     ts TEXT NOT NULL,
     posted_at TEXT NOT NULL
   );
   ALTER TABLE incidents ADD COLUMN anchor TEXT;
   UPDATE incidents SET anchor = 'incident:' || id;
   -- An acknowledged alert's message is its incident's card: one name, or the alert's events would render the alert over the card.
   UPDATE incidents SET anchor = (SELECT 'alert:' || a.key || ':' || a.fire_count FROM alerts a WHERE a.incident_id = incidents.id ORDER BY a.key LIMIT 1)
     WHERE EXISTS (SELECT 1 FROM alerts a WHERE a.incident_id = incidents.id);
   INSERT OR IGNORE INTO slack_messages (anchor, channel, ts, posted_at)
     SELECT anchor, channel_id, root_ts, opened_at FROM incidents WHERE channel_id IS NOT NULL AND root_ts IS NOT NULL;
   INSERT OR IGNORE INTO slack_messages (anchor, channel, ts, posted_at)
     SELECT 'alert:' || key || ':' || fire_count, channel_id, message_ts, updated_at FROM alerts
     WHERE channel_id IS NOT NULL AND message_ts IS NOT NULL;
   CREATE UNIQUE INDEX idx_incidents_anchor ON incidents(anchor);
   CREATE TABLE outbox_v3 (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     created_at TEXT NOT NULL,
     lane TEXT NOT NULL,
     op TEXT NOT NULL CHECK (op IN ('post','reply','refresh')),
     anchor TEXT,
     channel TEXT,
     payload TEXT,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at TEXT NOT NULL,
     claimed_by TEXT,
     lease_until TEXT,
     in_doubt INTEGER NOT NULL DEFAULT 0,
     sent_at TEXT,
     failed_at TEXT,
     last_error TEXT,
     slack_ts TEXT
   );
   INSERT INTO outbox_v3 (created_at, lane, op, anchor, channel, payload, attempts, next_attempt_at)
     SELECT o.created_at,
       CASE o.kind
         WHEN 'alert-message' THEN COALESCE((SELECT i.anchor FROM alerts a JOIN incidents i ON i.id = a.incident_id WHERE a.key = o.ref),
                                            (SELECT 'alert:' || a.key || ':' || a.fire_count FROM alerts a WHERE a.key = o.ref), 'alert:' || o.ref)
         WHEN 'channel-post' THEN COALESCE((SELECT anchor FROM incidents WHERE id = o.ref),
                                           (SELECT 'alert:' || a.key || ':' || a.fire_count FROM alerts a WHERE a.key = o.ref), 'channel:' || o.ref)
         ELSE COALESCE((SELECT anchor FROM incidents WHERE id = o.ref), 'incident:' || o.ref)
       END,
       CASE o.kind WHEN 'thread-post' THEN 'reply' WHEN 'channel-post' THEN 'post' ELSE 'refresh' END,
       CASE o.kind
         WHEN 'alert-message' THEN COALESCE((SELECT i.anchor FROM alerts a JOIN incidents i ON i.id = a.incident_id WHERE a.key = o.ref),
                                            (SELECT 'alert:' || a.key || ':' || a.fire_count FROM alerts a WHERE a.key = o.ref))
         WHEN 'channel-post' THEN NULL
         ELSE (SELECT anchor FROM incidents WHERE id = o.ref)
       END,
       -- Where a message never posted goes: the post's own channel, else the channel the bot has been posting in.
       COALESCE(CASE o.kind WHEN 'channel-post' THEN json_extract(o.payload, '$.channel') END,
                (SELECT channel FROM slack_messages ORDER BY posted_at DESC LIMIT 1)),
       CASE o.kind WHEN 'alert-message' THEN NULL WHEN 'incident-card' THEN NULL ELSE o.payload END,
       o.attempts, o.next_attempt_at
     FROM outbox o WHERE o.sent_at IS NULL AND o.failed_at IS NULL ORDER BY o.id;
   DROP TABLE outbox;
   ALTER TABLE outbox_v3 RENAME TO outbox;
   CREATE INDEX idx_outbox_pending_lane ON outbox(lane, id) WHERE sent_at IS NULL AND failed_at IS NULL;
   CREATE INDEX idx_outbox_failed ON outbox(failed_at) WHERE failed_at IS NOT NULL;
   ALTER TABLE incidents DROP COLUMN channel_id;
   ALTER TABLE incidents DROP COLUMN root_ts;
   ALTER TABLE alerts DROP COLUMN channel_id;
   ALTER TABLE alerts DROP COLUMN message_ts;
   ALTER TABLE command_runs ADD COLUMN via TEXT NOT NULL DEFAULT 'command';`,
  // 4: shared answers are pruned by age on every save; without an index that read the whole table.
  'CREATE INDEX idx_shared_results_created ON shared_results(created_at);',
  // 5: the on-call rotation's overrides (swaps, holidays), one row per shift's handoff (notes,
  // the reminder, the post: each at most once, whichever process gets there first), every
  // firing of an alert (the handoff counts the last 24 h), and who has the App Home open.
  `CREATE TABLE oncall_overrides (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     user_id TEXT NOT NULL,
     role TEXT NOT NULL CHECK (role IN ('primary','secondary')),
     from_at TEXT NOT NULL,
     until_at TEXT NOT NULL,
     created_by TEXT NOT NULL,
     created_at TEXT NOT NULL,
     removed_by TEXT,
     removed_at TEXT,
     CHECK (until_at > from_at)
   );
   CREATE INDEX idx_oncall_overrides_span ON oncall_overrides(until_at) WHERE removed_at IS NULL;
   CREATE TABLE handoffs (
     shift_start TEXT PRIMARY KEY,
     notes TEXT,
     notes_by TEXT,
     notes_at TEXT,
     reminded_at TEXT,
     status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','posted','skipped','baseline')),
     settled_at TEXT,
     outgoing TEXT,
     incoming TEXT,
     late INTEGER NOT NULL DEFAULT 0,
     skipped TEXT
   );
   CREATE TABLE alert_firings (
     alert_key TEXT NOT NULL REFERENCES alerts(key),
     firing INTEGER NOT NULL,
     name TEXT NOT NULL,
     severity TEXT NOT NULL,
     fired_at TEXT NOT NULL,
     resolved_at TEXT,
     acknowledged_at TEXT,
     PRIMARY KEY (alert_key, firing)
   );
   CREATE INDEX idx_alert_firings_fired ON alert_firings(fired_at);
   INSERT INTO alert_firings (alert_key, firing, name, severity, fired_at, resolved_at, acknowledged_at)
     SELECT key, fire_count, name, severity, fired_at, resolved_at, acknowledged_at FROM alerts;
   CREATE TABLE home_views (
     user_id TEXT PRIMARY KEY,
     opened_at TEXT NOT NULL,
     published_at TEXT,
     stale_at TEXT
   );`,
  // 6: remediation. Each preview's plan waits in remediation_confirmations for its one
  // confirmation (a single-use token bound to the plan and the person, 10 minutes); the audit
  // log keeps every remediation and every refusal, each row's hash covering the previous row's
  // hash and its own content, so an edited, inserted or deleted row shows.
  `CREATE TABLE remediation_confirmations (
     token TEXT PRIMARY KEY,
     user_id TEXT NOT NULL,
     channel_id TEXT,
     command TEXT NOT NULL,
     args TEXT NOT NULL,
     plan TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     created_at TEXT NOT NULL,
     expires_at TEXT NOT NULL,
     used_at TEXT
   );
   CREATE TABLE audit_log (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     source TEXT NOT NULL,
     user_id TEXT NOT NULL,
     channel_id TEXT,
     command TEXT NOT NULL,
     args TEXT NOT NULL,
     outcome TEXT NOT NULL,
     plan TEXT,
     result TEXT,
     undo TEXT,
     prev_hash TEXT NOT NULL,
     hash TEXT NOT NULL UNIQUE
   );`,
  // 7: PagerDuty and GitHub (part 7). PagerDuty webhook deliveries seen (they repeat and arrive
  // out of order), the PagerDuty incident linked to each bot alert and incident, the GitHub
  // issue filed for each post-incident review (a second press links it), and every page of the
  // on-call engineer (an alert posted or acknowledged) for night-page counts and `oncall load`.
  `CREATE TABLE pagerduty_events (
     event_id TEXT PRIMARY KEY,
     event_type TEXT NOT NULL,
     pd_incident_id TEXT NOT NULL,
     occurred_at TEXT NOT NULL,
     received_at TEXT NOT NULL
   );
   CREATE TABLE pagerduty_incidents (
     pd_incident_id TEXT PRIMARY KEY,
     alert_key TEXT REFERENCES alerts(key),
     incident_id TEXT REFERENCES incidents(id),
     status TEXT NOT NULL,
     html_url TEXT,
     last_event_at TEXT NOT NULL
   );
   CREATE INDEX idx_pagerduty_incidents_alert ON pagerduty_incidents(alert_key);
   CREATE TABLE github_issue_links (
     incident_id TEXT PRIMARY KEY REFERENCES incidents(id),
     repo TEXT NOT NULL,
     number INTEGER,
     html_url TEXT,
     state TEXT NOT NULL CHECK (state IN ('creating','created')),
     created_at TEXT NOT NULL
   );
   CREATE TABLE pages (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     user_id TEXT NOT NULL,
     at TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('posted','acknowledged')),
     alert_key TEXT,
     incident_id TEXT
   );
   CREATE INDEX idx_pages_user_at ON pages(user_id, at);`,
  // 8: the on-call engineer's health. Relief suggested to a primary paged on two or more nights
  // of one shift: remembered per person and shift, so it is suggested once.
  `CREATE TABLE relief_suggestions (
     user_id TEXT NOT NULL,
     shift_start TEXT NOT NULL,
     nights INTEGER NOT NULL,
     suggested_at TEXT NOT NULL,
     PRIMARY KEY (user_id, shift_start)
   );`,
  // 9: PagerDuty both ways. The outbox also carries calls to PagerDuty (op 'call'), with the same
  // lanes, leases and backoff as Slack messages; the alerts the bot paged through the Events API
  // (the dedup key of each firing, and what the bot last asked of it); and, per Slack message,
  // the PagerDuty change the bot gave up on, which the message shows until a later one succeeds.
  `CREATE TABLE outbox_v9 (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     created_at TEXT NOT NULL,
     lane TEXT NOT NULL,
     op TEXT NOT NULL CHECK (op IN ('post','reply','refresh','call')),
     anchor TEXT,
     channel TEXT,
     payload TEXT,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at TEXT NOT NULL,
     claimed_by TEXT,
     lease_until TEXT,
     in_doubt INTEGER NOT NULL DEFAULT 0,
     sent_at TEXT,
     failed_at TEXT,
     last_error TEXT,
     slack_ts TEXT
   );
   INSERT INTO outbox_v9 SELECT * FROM outbox ORDER BY id;
   -- Outbox ids mark posts in Slack (a post in doubt is looked for by its id): never reuse one.
   CREATE TEMP TABLE outbox_seq AS SELECT seq FROM sqlite_sequence WHERE name = 'outbox';
   DROP TABLE outbox;
   ALTER TABLE outbox_v9 RENAME TO outbox;
   DELETE FROM sqlite_sequence WHERE name = 'outbox';
   INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox', MAX(COALESCE((SELECT seq FROM outbox_seq), 0), COALESCE((SELECT MAX(id) FROM outbox), 0));
   DROP TABLE outbox_seq;
   CREATE INDEX idx_outbox_pending_lane ON outbox(lane, id) WHERE sent_at IS NULL AND failed_at IS NULL;
   CREATE INDEX idx_outbox_failed ON outbox(failed_at) WHERE failed_at IS NOT NULL;
   CREATE TABLE pagerduty_pages (
     alert_key TEXT NOT NULL REFERENCES alerts(key),
     fire_count INTEGER NOT NULL,
     dedup_key TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('triggered','acknowledged','resolved')),
     PRIMARY KEY (alert_key, fire_count)
   );
   CREATE INDEX idx_pagerduty_pages_dedup ON pagerduty_pages(dedup_key);
   -- A linked incident raised by the bot's own page carries its dedup key as incident_key.
   ALTER TABLE pagerduty_incidents ADD COLUMN incident_key TEXT;
   CREATE TABLE pagerduty_problems (
     anchor TEXT PRIMARY KEY,
     action TEXT NOT NULL,
     problem TEXT NOT NULL,
     html_url TEXT,
     at TEXT NOT NULL
   );`,
  // On whose authority an on-call override was set ('remediator' or 'own-shift'): only a
  // remediator's counts for the permission tiers. Older rows stay NULL: they count for none.
  "ALTER TABLE oncall_overrides ADD COLUMN authority TEXT CHECK (authority IN ('remediator','own-shift'));",
  // Signed Slack requests already taken, by the SHA-256 of their signature, until their
  // timestamp leaves the five-minute window: a replay within the window is refused, by every
  // process on this file (seen-request-store.ts).
  `CREATE TABLE seen_slack_requests (
     signature_hash TEXT PRIMARY KEY,
     expires_at TEXT NOT NULL
   );
   CREATE INDEX idx_seen_slack_requests_expiry ON seen_slack_requests(expires_at);`,
  // Remediation safety (issue 18, items 7 and 8). remediation_runs: each confirmed remediation
  // from its "confirmed — starting" audit row to its outcome, held by its process with a lease it
  // renews while the action runs; one whose lease ran out with no outcome (the process died) is
  // reported once as "outcome unknown". audit_heads_published: the audit chain's head (newest
  // row id and hash) each time it was published in Slack (the handoff, the daily line), one row
  // per occasion, so a daily line goes out once whichever process gets there first, and
  // `audit verify` checks the chain against the last one. It is a separate table so a truncated
  // audit_log does not take it along; the Slack posts are the copy the database cannot rewrite.
  `CREATE TABLE remediation_runs (
     audit_id INTEGER PRIMARY KEY,
     command TEXT NOT NULL,
     args TEXT NOT NULL,
     source TEXT NOT NULL,
     user_id TEXT NOT NULL,
     channel_id TEXT,
     check_hint TEXT NOT NULL,
     started_at TEXT NOT NULL,
     owner TEXT NOT NULL,
     lease_until TEXT NOT NULL,
     ended_at TEXT,
     reported_at TEXT
   );
   CREATE INDEX idx_remediation_runs_open ON remediation_runs(lease_until) WHERE ended_at IS NULL AND reported_at IS NULL;
   CREATE TABLE audit_heads_published (
     occasion TEXT PRIMARY KEY,
     seq INTEGER NOT NULL,
     hash TEXT NOT NULL,
     published_at TEXT NOT NULL
   );`,
  // Alert truth: which sources have resolved the current firing (it resolves when all that
  // reported it have, or an engineer does), who or what resolved it, a note when the source's
  // fired_at was clamped, and the group the alert belongs to (its lead alert carries the message).
  `ALTER TABLE alerts ADD COLUMN resolved_sources TEXT NOT NULL DEFAULT '[]';
   ALTER TABLE alerts ADD COLUMN resolved_by TEXT;
   ALTER TABLE alerts ADD COLUMN fired_at_note TEXT;
   ALTER TABLE alerts ADD COLUMN group_key TEXT;
   ALTER TABLE alerts ADD COLUMN group_reason TEXT;
   ALTER TABLE alerts ADD COLUMN group_lead TEXT;
   CREATE INDEX idx_alerts_group ON alerts(group_key) WHERE status = 'firing';
   CREATE INDEX idx_alerts_resolved ON alerts(resolved_at) WHERE status = 'resolved';`,
  // People's names as Slack gives them (users.info), for what is read outside Slack: the review
  // draft, GitHub issues, the terminal's handoff. Kept with when they were asked, so they expire.
  `CREATE TABLE people (
     user_id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     fetched_at TEXT NOT NULL
   );`,
  // The weekly reliability report (report.cron): one row per scheduled time, claimed in the
  // transaction that queues its post, so two processes or a restart never post one twice.
  `CREATE TABLE reliability_reports (
     due_at TEXT PRIMARY KEY,
     channel TEXT NOT NULL,
     posted_at TEXT NOT NULL
   );`,
  // A preview nobody confirmed is replaced by "Expired at …" when it expires: where to say it
  // (the response_url of the message the preview is), the arguments as typed (for "run it again"),
  // and when the expiry was claimed, so that of two processes sweeping, one says it, once.
  `ALTER TABLE remediation_confirmations ADD COLUMN response_url TEXT;
   ALTER TABLE remediation_confirmations ADD COLUMN shown_args TEXT;
   ALTER TABLE remediation_confirmations ADD COLUMN expired_at TEXT;
   CREATE INDEX idx_confirmations_unswept ON remediation_confirmations(expires_at) WHERE used_at IS NULL AND expired_at IS NULL;`,
  // Who snoozed an unacknowledged alert's reminder and until when (the timer that comes back),
  // shown on the alert's channel message while that timer is still to come.
  `CREATE TABLE alert_snoozes (
     alert_key TEXT PRIMARY KEY,
     fire_count INTEGER NOT NULL,
     timer_id INTEGER NOT NULL,
     snoozed_by TEXT NOT NULL,
     until TEXT NOT NULL,
     snoozed_at TEXT NOT NULL
   );`,
  // Charts uploaded through the outbox (op 'upload'): the outbox is rebuilt to allow the op, and
  // outbox_files keeps each upload's PNG and its progress through Slack's three calls, so a retry
  // after a crash between them neither loses nor doubles the share: the file id from
  // files.getUploadURLExternal, whether the bytes arrived, and whether files.completeUploadExternal
  // was called (completing) and answered (completed_at). The bytes are dropped once it is shared.
  `CREATE TABLE outbox_upload_v (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     created_at TEXT NOT NULL,
     lane TEXT NOT NULL,
     op TEXT NOT NULL CHECK (op IN ('post','reply','refresh','call','upload')),
     anchor TEXT,
     channel TEXT,
     payload TEXT,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at TEXT NOT NULL,
     claimed_by TEXT,
     lease_until TEXT,
     in_doubt INTEGER NOT NULL DEFAULT 0,
     sent_at TEXT,
     failed_at TEXT,
     last_error TEXT,
     slack_ts TEXT
   );
   INSERT INTO outbox_upload_v SELECT * FROM outbox ORDER BY id;
   CREATE TEMP TABLE outbox_seq AS SELECT seq FROM sqlite_sequence WHERE name = 'outbox';
   DROP TABLE outbox;
   ALTER TABLE outbox_upload_v RENAME TO outbox;
   DELETE FROM sqlite_sequence WHERE name = 'outbox';
   INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox', MAX(COALESCE((SELECT seq FROM outbox_seq), 0), COALESCE((SELECT MAX(id) FROM outbox), 0));
   DROP TABLE outbox_seq;
   CREATE INDEX idx_outbox_pending_lane ON outbox(lane, id) WHERE sent_at IS NULL AND failed_at IS NULL;
   CREATE INDEX idx_outbox_failed ON outbox(failed_at) WHERE failed_at IS NOT NULL;
   CREATE TABLE outbox_files (
     outbox_id INTEGER PRIMARY KEY,
     filename TEXT NOT NULL,
     bytes BLOB,
     slack_file_id TEXT,
     upload_url TEXT,
     bytes_sent INTEGER NOT NULL DEFAULT 0,
     completing INTEGER NOT NULL DEFAULT 0,
     completed_at TEXT
   );`,
  // The last quick_check of each Atlas database, so that every process on this chatops.db (the
  // bot's watchdog, a terminal's health) reuses a fresh one instead of reading gigabytes again.
  `CREATE TABLE integrity_checks (
     file TEXT PRIMARY KEY,
     checked_at TEXT NOT NULL,
     result TEXT NOT NULL
   );`,
  // Replicas (several bot processes, on one host or, on PostgreSQL, two): who runs, what service
  // data each reaches, and the leases that let one of them at a time run a scheduled job, each new
  // holder with a higher fencing token (lease-store.ts).
  `CREATE TABLE leases (
     name TEXT PRIMARY KEY,
     holder TEXT NOT NULL,
     fencing_token INTEGER NOT NULL,
     expires_at TEXT NOT NULL
   );
   CREATE TABLE replicas (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     host TEXT NOT NULL,
     pid INTEGER NOT NULL,
     reaches_data INTEGER NOT NULL,
     started_at TEXT NOT NULL,
     seen_at TEXT NOT NULL,
     stopped_at TEXT
   );`,
];
