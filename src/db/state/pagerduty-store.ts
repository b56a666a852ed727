import type Database from 'better-sqlite3';
import { iso } from './state-records.js';
import { statements } from './statements.js';

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
}

/** PagerDuty webhook deliveries seen and the incidents they link (chatops.db migration 7). */
export interface PagerDutyStore {
  /** Records a delivered event by its id; false when that id was recorded before (a redelivery). */
  recordEvent(e: PagerDutyEventSeen, now: Date): boolean;
  /** Whether an event id was recorded already. */
  seen(eventId: string): boolean;
  incident(pdIncidentId: string): PagerDutyIncidentLink | null;
  /** The PagerDuty incident most recently linked to an alert. */
  byAlert(alertKey: string): PagerDutyIncidentLink | null;
  /** Inserts or replaces the link of one PagerDuty incident. */
  saveIncident(link: PagerDutyLinkFields): void;
}

export function pagerdutyStore(db: Database.Database): PagerDutyStore {
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
    saveIncident: (l) => {
      sql(
        `INSERT INTO pagerduty_incidents (pd_incident_id, alert_key, incident_id, status, html_url, last_event_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (pd_incident_id) DO UPDATE SET alert_key = excluded.alert_key, incident_id = excluded.incident_id,
           status = excluded.status, html_url = excluded.html_url, last_event_at = excluded.last_event_at`,
      ).run(l.pdIncidentId, l.alertKey, l.incidentId, l.status, l.htmlUrl, iso(l.lastEventAt));
    },
  };
}
