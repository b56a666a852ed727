import type Database from 'better-sqlite3';
import { iso } from './state-records.js';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

/** A row of `pagerduty_incidents`: a PagerDuty incident and the bot's alert and incident it stands for. */
export interface PagerDutyIncidentLink {
  pd_incident_id: string;
  /** The bot's alert; null for an incident the bot heard of only after its trigger (never raised here). */
  alert_key: string | null;
  incident_id: string | null;
  /** PagerDuty's status as last applied: triggered, acknowledged, resolved. */
  status: string;
  html_url: string | null;
  /** occurred_at of the last event applied: an older one arrived late and is ignored. */
  last_event_at: string;
  /** The Events API dedup key PagerDuty opened it for (the bot's own, for an alert it paged). */
  incident_key: string | null;
}

export interface PagerDutyEventSeen {
  eventId: string;
  eventType: string;
  pdIncidentId: string;
  occurredAt: Date;
}

export interface PagerDutyLinkFields {
  pdIncidentId: string;
  alertKey: string | null;
  incidentId: string | null;
  status: string;
  htmlUrl: string | null;
  lastEventAt: Date;
  incidentKey: string | null;
}

/** The outbox lane of an alert's PagerDuty calls: in order among themselves, never holding up its Slack messages. */
export const pagerdutyLane = (alertKey: string): string => `pagerduty:${alertKey}`;

/** How far along PagerDuty's incident life an action is: one never goes back. */
export type PagerDutyStatus = 'triggered' | 'acknowledged' | 'resolved';

/** A row of `pagerduty_pages`: one firing of an alert the bot paged through the Events API. */
export interface PagerDutyPage {
  alert_key: string;
  fire_count: number;
  dedup_key: string;
  /** What the bot last asked of it. */
  status: PagerDutyStatus;
}

/** A row of `pagerduty_problems`: a PagerDuty change the bot gave up on, shown on the Slack message `anchor`. */
export interface PagerDutyProblem {
  anchor: string;
  /** What it was asked to do, e.g. "acknowledge". */
  action: string;
  problem: string;
  html_url: string | null;
  at: string;
}

/** PagerDuty webhook deliveries seen, the incidents they link (chatops.db migration 7), the pages sent and the changes given up (9). */
export interface PagerDutyStore {
  /** Records a delivered event by its id; false when that id was recorded before (a redelivery). */
  recordEvent(e: PagerDutyEventSeen, now: Date): Promise<boolean>;
  /** Whether an event id was recorded already. */
  seen(eventId: string): Promise<boolean>;
  incident(pdIncidentId: string): Promise<PagerDutyIncidentLink | null>;
  /** The PagerDuty incident most recently linked to an alert. */
  byAlert(alertKey: string): Promise<PagerDutyIncidentLink | null>;
  /** The linked PagerDuty incident that stands for the alert's current firing: a resolved one only while the alert is resolved too. */
  currentLink(alert: { key: string; status: string }): Promise<PagerDutyIncidentLink | null>;
  /** Inserts or replaces the link of one PagerDuty incident. */
  saveIncident(link: PagerDutyLinkFields): Promise<void>;
  /** Sets the status of a linked incident (before the change it causes is applied, so that change is not sent back). */
  setIncidentStatus(pdIncidentId: string, status: string): Promise<void>;
  page(alertKey: string, fireCount: number): Promise<PagerDutyPage | null>;
  pageByDedupKey(dedupKey: string): Promise<PagerDutyPage | null>;
  /** Records a page sent, or what was last asked of it. */
  savePage(page: PagerDutyPage): Promise<void>;
  problem(anchor: string): Promise<PagerDutyProblem | null>;
  setProblem(p: Omit<PagerDutyProblem, 'at'>, now: Date): Promise<void>;
  /** Forgets the problem shown on `anchor`; true when there was one. */
  clearProblem(anchor: string): Promise<boolean>;
}

export function pagerdutyStore(db: Database.Database): Synchronous<PagerDutyStore> {
  const sql = statements(db);
  return {
    recordEvent: (e, now) =>
      sql('INSERT OR IGNORE INTO pagerduty_events (event_id, event_type, pd_incident_id, occurred_at, received_at) VALUES (?, ?, ?, ?, ?)').run(
        e.eventId,
        e.eventType,
        e.pdIncidentId,
        iso(e.occurredAt),
        iso(now),
      ).changes === 1,
    seen: (eventId) => sql('SELECT 1 FROM pagerduty_events WHERE event_id = ?').get(eventId) !== undefined,
    incident: (id) => (sql('SELECT * FROM pagerduty_incidents WHERE pd_incident_id = ?').get(id) as PagerDutyIncidentLink | undefined) ?? null,
    byAlert: (key) =>
      (sql('SELECT * FROM pagerduty_incidents WHERE alert_key = ? ORDER BY last_event_at DESC LIMIT 1').get(key) as PagerDutyIncidentLink | undefined) ?? null,
    currentLink(alert) {
      const link = this.byAlert(alert.key);
      return link && (link.status !== 'resolved' || alert.status === 'resolved') ? link : null;
    },
    saveIncident: (l) => {
      sql(
        `INSERT INTO pagerduty_incidents (pd_incident_id, alert_key, incident_id, status, html_url, last_event_at, incident_key) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (pd_incident_id) DO UPDATE SET alert_key = excluded.alert_key, incident_id = excluded.incident_id,
           status = excluded.status, html_url = excluded.html_url, last_event_at = excluded.last_event_at,
           incident_key = COALESCE(excluded.incident_key, incident_key)`,
      ).run(l.pdIncidentId, l.alertKey, l.incidentId, l.status, l.htmlUrl, iso(l.lastEventAt), l.incidentKey);
    },
    setIncidentStatus: (id, status) => {
      sql('UPDATE pagerduty_incidents SET status = ? WHERE pd_incident_id = ?').run(status, id);
    },
    page: (key, fireCount) => (sql('SELECT * FROM pagerduty_pages WHERE alert_key = ? AND fire_count = ?').get(key, fireCount) as PagerDutyPage | undefined) ?? null,
    pageByDedupKey: (dedupKey) =>
      (sql('SELECT * FROM pagerduty_pages WHERE dedup_key = ? ORDER BY fire_count DESC LIMIT 1').get(dedupKey) as PagerDutyPage | undefined) ?? null,
    savePage: (p) => {
      sql(
        `INSERT INTO pagerduty_pages (alert_key, fire_count, dedup_key, status) VALUES (?, ?, ?, ?)
         ON CONFLICT (alert_key, fire_count) DO UPDATE SET status = excluded.status`,
      ).run(p.alert_key, p.fire_count, p.dedup_key, p.status);
    },
    problem: (anchor) => (sql('SELECT * FROM pagerduty_problems WHERE anchor = ?').get(anchor) as PagerDutyProblem | undefined) ?? null,
    setProblem: (p, now) => {
      sql('INSERT OR REPLACE INTO pagerduty_problems (anchor, action, problem, html_url, at) VALUES (?, ?, ?, ?, ?)').run(p.anchor, p.action, p.problem, p.html_url, iso(now));
    },
    clearProblem: (anchor) => sql('DELETE FROM pagerduty_problems WHERE anchor = ?').run(anchor).changes > 0,
  };
}
