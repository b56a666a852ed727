
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
