import type Database from 'better-sqlite3';
import { iso, type AlertRecord, type Severity } from './state-records.js';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

/** What a firing report sets on the alert's row. */
export interface AlertFiring {
  name: string;
  severity: Severity;
  severityBasis: number;
  symptomId: string | null;
  message: string;
  sources: string[];
  fingerprints: string[];
  runbookUrl: string | null;
  firedAt: Date;
  sourceFiredAt: string | null;
  /** Why the source's fired_at was not taken as given (clamped to the time received); null when it was. */
  firedAtNote?: string | null;
  /** The group, why, and the lead alert it joined (null: it leads, or has no group). */
  groupKey?: string | null;
  groupReason?: string | null;
  groupLead?: string | null;
}

export interface AlertStore {
  get(key: string): Promise<AlertRecord | null>;
  /** Firing alerts, oldest first. */
  firing(): Promise<AlertRecord[]>;
  /** Firing alerts nobody has acknowledged, newest first. */
  awaitingAck(): Promise<AlertRecord[]>;
  /** Names of the incident's alerts that still fire. */
  firingOf(incidentId: string): Promise<{ key: string; name: string }[]>;
  /** Names of firing alerts whose key starts with `prefix`. */
  firingNamesWithPrefix(prefix: string): Promise<string[]>;
  /** A first firing; false when the key exists already (a concurrent report won). */
  insert(key: string, firing: AlertFiring, now: Date): Promise<boolean>;
  /** A resolved alert fires again (check-and-set on status): a new firing, unacknowledged. */
  refire(key: string, firing: AlertFiring, now: Date): Promise<boolean>;
  /** Another report of a firing alert: who reported it, fingerprints, the source's fired_at, the runbook. */
  noteReport(
    key: string,
    fields: { sources: string[]; resolvedSources: string[]; fingerprints: string[]; sourceFiredAt: string | null; runbookUrl: string | null },
    now: Date,
  ): Promise<void>;
  /** Check-and-set: resolves a firing alert, saying who or what did (db/state/resolved-by.ts); false when it was not firing. */
  resolve(key: string, at: Date, now: Date, resolvedBy?: string | null): Promise<boolean>;
  /** Alerts resolved at or after `since`, newest first. */
  resolvedSince(since: Date): Promise<AlertRecord[]>;
  /** The lead of the open group `groupKey` other than `exceptKey`: a firing alert of the group, or one whose incident is still open. */
  openGroupLead(groupKey: string, exceptKey: string): Promise<AlertRecord | null>;
  /** The alerts that joined `leadKey`'s group (firing or not), oldest first. */
  membersOf(leadKey: string): Promise<AlertRecord[]>;
  /** Firing alerts of a group, oldest first. */
  firingInGroup(groupKey: string): Promise<AlertRecord[]>;
  /** The provider groups (`provider:…`) with a firing alert. */
  openProviderGroups(): Promise<string[]>;
  /** Firing alerts in no group, oldest first. */
  ungroupedFiring(): Promise<AlertRecord[]>;
  /** Puts an alert in a group (an alert already firing becomes the lead of the group that named its provider). */
  setGroup(key: string, groupKey: string, reason: string, lead: string | null, now: Date): Promise<void>;
  /** Check-and-set: links an unacknowledged alert to its incident; false when someone else did first. */
  linkIncident(key: string, incidentId: string, by: string, now: Date): Promise<boolean>;
  /** Every firing that began at or after `since`, or was still firing then, oldest first. */
  firingsSince(since: Date): Promise<AlertFiringRecord[]>;
  /** Every firing that began in [from, to), oldest first (the reliability report's noisy alerts). */
  firingsBetween(from: Date, to: Date): Promise<AlertFiringRecord[]>;
}

/** One firing of an alert (an alert fires, resolves and may fire again). */
export interface AlertFiringRecord {
  alert_key: string;
  firing: number;
  name: string;
  severity: Severity;
  fired_at: string;
  resolved_at: string | null;
  acknowledged_at: string | null;
}

/** A firing's columns in the order insert and refire both bind them (name … group_lead, with updated_at). */
function firingValues(f: AlertFiring, now: Date): (string | number | null)[] {
  return [
    f.name,
    f.severity,
    f.severityBasis,
    f.symptomId,
    f.message,
    JSON.stringify(f.sources),
    JSON.stringify(f.fingerprints),
    f.runbookUrl,
    iso(f.firedAt),
    f.sourceFiredAt,
    iso(now),
    f.firedAtNote ?? null,
    f.groupKey ?? null,
    f.groupReason ?? null,
    f.groupLead ?? null,
  ];
}

export function alertStore(db: Database.Database): Synchronous<AlertStore> {
  const sql = statements(db);
  /** Each firing is kept, so the handoff can count them; written with the alert's own change. */
  const recordFiring = (key: string) =>
    sql(
      `INSERT OR REPLACE INTO alert_firings (alert_key, firing, name, severity, fired_at, resolved_at, acknowledged_at)
       SELECT key, fire_count, name, severity, fired_at, resolved_at, acknowledged_at FROM alerts WHERE key = ?`,
    ).run(key);
  return {
    get: (key) => (sql('SELECT * FROM alerts WHERE key = ?').get(key) as AlertRecord | undefined) ?? null,
    firing: () => sql("SELECT * FROM alerts WHERE status = 'firing' ORDER BY fired_at").all() as AlertRecord[],
    awaitingAck: () => sql("SELECT * FROM alerts WHERE status = 'firing' AND incident_id IS NULL ORDER BY fired_at DESC").all() as AlertRecord[],
    firingOf: (incidentId) => sql("SELECT key, name FROM alerts WHERE incident_id = ? AND status = 'firing' ORDER BY key").all(incidentId) as { key: string; name: string }[],
    firingNamesWithPrefix: (prefix) =>
      (sql("SELECT name FROM alerts WHERE status = 'firing' AND key GLOB ? ORDER BY key").all(`${prefix.replace(/[*?[]/g, '')}*`) as { name: string }[]).map((r) => r.name),
    insert(key, f, now) {
      const info = sql(
        `INSERT INTO alerts (key, name, status, severity, severity_known, symptom_id, message, sources, fingerprints, runbook_url,
           fired_at, source_fired_at, fire_count, updated_at, resolved_sources, resolved_by, fired_at_note, group_key, group_reason, group_lead)
         VALUES (?, ?, 'firing', ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, '[]', NULL, ?, ?, ?, ?)
         ON CONFLICT (key) DO NOTHING`,
      ).run(key, ...firingValues(f, now));
      if (info.changes === 1) recordFiring(key);
      return info.changes === 1;
    },
    refire(key, f, now) {
      const info = sql(
        `UPDATE alerts SET status = 'firing', name = ?, severity = ?, severity_known = ?, symptom_id = ?, message = ?, sources = ?,
           fingerprints = ?, runbook_url = ?, fired_at = ?, resolved_at = NULL, source_fired_at = COALESCE(?, source_fired_at),
           fire_count = fire_count + 1, incident_id = NULL, acknowledged_by = NULL, acknowledged_at = NULL, updated_at = ?,
           resolved_sources = '[]', resolved_by = NULL, fired_at_note = ?, group_key = ?, group_reason = ?, group_lead = ?
         WHERE key = ? AND status = 'resolved'`,
      ).run(...firingValues(f, now), key);
      if (info.changes === 1) recordFiring(key);
      return info.changes === 1;
    },
    noteReport(key, f, now) {
      sql('UPDATE alerts SET sources = ?, resolved_sources = ?, fingerprints = ?, source_fired_at = ?, runbook_url = ?, updated_at = ? WHERE key = ?').run(
        JSON.stringify(f.sources),
        JSON.stringify(f.resolvedSources),
        JSON.stringify(f.fingerprints),
        f.sourceFiredAt,
        f.runbookUrl,
        iso(now),
        key,
      );
    },
    resolve(key, at, now, resolvedBy) {
      const done =
        sql("UPDATE alerts SET status = 'resolved', resolved_at = ?, resolved_by = ?, updated_at = ? WHERE key = ? AND status = 'firing'").run(iso(at), resolvedBy ?? null, iso(now), key)
          .changes === 1;
      if (done) recordFiring(key);
      return done;
    },
    resolvedSince: (since) => sql("SELECT * FROM alerts WHERE status = 'resolved' AND resolved_at >= ? ORDER BY resolved_at DESC, key").all(iso(since)) as AlertRecord[],
    openGroupLead(groupKey, exceptKey) {
      const row = sql(
        `SELECT COALESCE(a.group_lead, a.key) AS lead FROM alerts a LEFT JOIN incidents i ON i.id = a.incident_id
         WHERE a.group_key = ? AND a.key != ? AND (a.status = 'firing' OR (i.id IS NOT NULL AND i.status != 'resolved'))
         ORDER BY a.group_lead IS NOT NULL, a.fired_at, a.key LIMIT 1`,
      ).get(groupKey, exceptKey) as { lead: string } | undefined;
      if (!row || row.lead === exceptKey) return null;
      return (sql('SELECT * FROM alerts WHERE key = ?').get(row.lead) as AlertRecord | undefined) ?? null;
    },
    membersOf: (leadKey) => sql('SELECT * FROM alerts WHERE group_lead = ? ORDER BY fired_at, key').all(leadKey) as AlertRecord[],
    openProviderGroups: () =>
      (sql("SELECT DISTINCT group_key FROM alerts WHERE status = 'firing' AND group_key GLOB 'provider:*' ORDER BY group_key").all() as { group_key: string }[]).map((r) => r.group_key),
    ungroupedFiring: () => sql("SELECT * FROM alerts WHERE status = 'firing' AND group_key IS NULL ORDER BY fired_at, key").all() as AlertRecord[],
    setGroup(key, groupKey, reason, lead, now) {
      sql('UPDATE alerts SET group_key = ?, group_reason = ?, group_lead = ?, updated_at = ? WHERE key = ?').run(groupKey, reason, lead, iso(now), key);
    },
    firingInGroup: (groupKey) => sql("SELECT * FROM alerts WHERE group_key = ? AND status = 'firing' ORDER BY fired_at, key").all(groupKey) as AlertRecord[],
    linkIncident(key, incidentId, by, now) {
      const linked =
        sql('UPDATE alerts SET incident_id = ?, acknowledged_by = ?, acknowledged_at = ?, updated_at = ? WHERE key = ? AND incident_id IS NULL').run(
          incidentId,
          by,
          iso(now),
          iso(now),
          key,
        ).changes === 1;
      if (linked) recordFiring(key);
      return linked;
    },
    firingsSince: (since) =>
      sql('SELECT * FROM alert_firings WHERE fired_at >= ? OR resolved_at IS NULL OR resolved_at >= ? ORDER BY fired_at, alert_key').all(iso(since), iso(since)) as AlertFiringRecord[],
    firingsBetween: (from, to) =>
      sql('SELECT * FROM alert_firings WHERE fired_at >= ? AND fired_at < ? ORDER BY fired_at, alert_key, firing').all(iso(from), iso(to)) as AlertFiringRecord[],
  };
}
