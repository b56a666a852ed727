import type { AlertRecord, Severity } from './state-records.js';

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
  /**
   * Inside a transaction: the alert, with its row held to the transaction's end (PostgreSQL:
   * `FOR UPDATE`; SQLite: its immediate transaction already holds the file), so that a replica
   * doing the same check-and-set waits and then reads what this one decided.
   */
  getForChange(key: string): Promise<AlertRecord | null>;
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

