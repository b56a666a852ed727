/**
 * What the domain decided, as typed events. Every change records its events in the same
 * transaction as the state it changed; the presenter (wired in by the runtime) turns them into
 * timeline lines and Slack messages. The domain never builds a message itself.
 */
import type { StateTransaction } from '../db/state/state-store.js';
import type { AlertRecord, Incident, IncidentStatus, Severity, TimelineEntry, TimerKind } from '../db/state/state-records.js';
import type { HandoffContent } from '../oncall/handoff-content.js';
import type { ReliabilityReport } from '../reports/reliability-report.js';
import type { EscalationTarget } from './severity-matrix.js';

/** The guide's "Incident Update" fields. */
export interface StatusUpdate {
  summary: string;
  completed?: string;
  inProgress?: string;
  blocked?: string;
  nextSteps?: string;
  eta?: string;
  /** Set when the update changed the status. */
  status?: IncidentStatus;
}

/** Why an escalation happens now, when the person escalating did not say. */
export type EscalationReason =
  | { kind: 'given'; text: string }
  /** A symptom the guide sends straight to the CTO and security. */
  | { kind: 'immediate'; symptom: string }
  | { kind: 'threshold'; severity: Severity; afterMinutes: number; reached: boolean; ageMs: number }
  | { kind: 'judgement'; severity: Severity; target: EscalationTarget };

/** A reminder the clock sends, with what it needs to say. */
export type Reminder =
  | { kind: 'ack-reminder'; timerId: number; alert: AlertRecord }
  | { kind: 'ack-secondary'; timerId: number; alert: AlertRecord; secondary: string | null }
  | { kind: 'update-due'; timerId: number; incident: Incident; lastUpdateAt: string }
  | { kind: 'escalate-tech-lead' | 'escalate-cto'; timerId: number; incident: Incident; contact: string | null }
  | { kind: 'handoff-suggest'; timerId: number; incident: Incident; onCallPrimary: string | null }
  /** The owner has held the incident for BREAK_NUDGE_MINUTES: take a break, hand it to the secondary. */
  | { kind: 'break-nudge'; timerId: number; incident: Incident; owner: string; ownerSince: string; secondary: string | null }
  | { kind: 'review-reminder'; timerId: number; incident: Incident };

/** A drawn chart as an event carries it: what it shows, its picture and the picture's point. */
export interface DrawnChart {
  /** errors, providers, … (also the file's name). */
  what: string;
  title: string;
  altText: string;
  png: Buffer;
  channel: string;
  anchor?: string | null;
  /** Who asked for it (a user ID), when someone did. */
  requestedBy?: string | null;
  /** The outbox lane (default: the anchor's, else one per channel). */
  lane?: string;
}

export type DomainEvent =
  /** A first firing, or a resolved alert firing again: a message of its own. */
  | { type: 'alert-raised'; alert: AlertRecord }
  | { type: 'alert-resolved'; alert: AlertRecord }
  /**
   * An alert joined the open group of `lead` (no message, no page, no reminders of its own: a reply
   * in the lead's thread and a line on its message), or an alert of such a group resolved;
   * `stillFiring` names the group's alerts that still fire (empty: the group is resolved).
   */
  | { type: 'alert-group-changed'; change: 'joined' | 'resolved'; alert: AlertRecord; lead: AlertRecord; stillFiring: string[]; incident: Incident | null }
  /** The alert of an open incident fired again after resolving; the incident hears of it. */
  | { type: 'alert-refired'; incident: Incident; alert: AlertRecord }
  | { type: 'incident-opened'; incident: Incident; how: 'ack'; alert: AlertRecord; immediateEscalation: string | null }
  | { type: 'incident-opened'; incident: Incident; how: 'declare'; basis: DeclaredSeverity; immediateEscalation: string | null }
  | { type: 'ack-details-set'; incident: Incident; impact: string | null; eta: Date | null; actor: string }
  | { type: 'status-updated'; incident: Incident; update: StatusUpdate; previousStatus: IncidentStatus; actor: string }
  | { type: 'severity-changed'; incident: Incident; from: Severity; actor: string }
  | { type: 'owner-changed'; incident: Incident; previous: string | null; actor: string }
  | { type: 'note-added'; incident: Incident; text: string; actor: string }
  | { type: 'result-attached'; incident: Incident; command: string; headline: string; actor: string }
  | {
      type: 'escalated';
      incident: Incident;
      target: EscalationTarget;
      contactId: string | null;
      reason: EscalationReason;
      need: string | null;
      /** The timeline before the escalation: the message lists the actions taken. */
      history: TimelineEntry[];
      /** The contact is paged through PagerDuty too (escalation.pagerduty). */
      pagedInPagerDuty?: boolean;
      actor: string;
    }
  | { type: 'incident-resolved'; incident: Incident; firingAlerts: string[]; reviewDue: Date; actor: string; reviewIssue?: { repo: string; number: number; url: string } | null }
  /** A resolved incident opened again: investigating, its clock running again. */
  | { type: 'incident-reopened'; incident: Incident; resolvedAt: string | null; actor: string }
  | { type: 'alerts-resolved'; incident: Incident; names: string[]; notWritten: { name: string; problem: string }[]; actor: string }
  | { type: 'review-done'; incident: Incident; actor: string }
  /** The review draft became a GitHub issue (or one an earlier, interrupted attempt filed was found): the checklist item is done. */
  | { type: 'review-issue-filed'; incident: Incident; repo: string; number: number; url: string; actor: string }
  | { type: 'reminder-fired'; reminder: Reminder }
  /** `anchor`: the message the reminder is about (the incident's card, the alert's message), where the snooze is shown. */
  | { type: 'reminder-snoozed'; incidentId: string | null; anchor: string | null; kind: TimerKind; from: number; to: number; minutes: number; until: Date; actor: string }
  /** The service's own database could not be written (metrics.db acknowledged_at, …). */
  | { type: 'atlas-not-updated'; incident: Incident; what: string; problem: string }
  /** A shift's handoff, for channels.handoff: by the clock (postedBy null) or by someone's Post now. */
  | { type: 'handoff-posted'; handoff: HandoffContent; postedBy: string | null; nextScheduled: Date | null }
  /** A confirmed remediation was applied: told in the open incident's thread, else the incident channel. */
  | { type: 'remediation-applied'; command: string; headline: string; lines: string[]; undo: string | null; actor: string; incident: Incident | null }
  /**
   * A confirmed remediation whose process died before its outcome was written: told in the
   * incident channel (else where it was confirmed), with what to check.
   */
  | { type: 'remediation-interrupted'; command: string; args: string; actor: string; startedAt: Date; auditId: number; check: string; channelId: string | null }
  /**
   * A preview nobody confirmed expired: it is replaced (through `responseUrl`, the message it is)
   * by a line without its Confirm button. `shownArgs` is what was typed, for "run it again".
   */
  | { type: 'preview-expired'; token: string; command: string; shownArgs: string | null; responseUrl: string; expiredAt: Date }
  /** The audit chain's head, published once a day in the handoff channel (the handoff carries it too). */
  | { type: 'audit-head-published'; seq: number; hash: string; day: string }
  /** A primary paged on RELIEF_NIGHTS or more nights of one shift (in their zone): a DM to them, and to the secondary. */
  | { type: 'relief-suggested'; primary: string; secondary: string | null; nights: string[]; shiftEnd: Date; timezone: string; zoneFrom: 'slack' | 'rotation' }
  /** The post-incident review is due: each responder gets a DM offering a debrief time. */
  | { type: 'debrief-offered'; incident: Incident; responders: string[]; suggestedAt: Date; timezone: string }
  /** The debrief meeting was marked scheduled: the checklist item is ticked. */
  | { type: 'debrief-scheduled'; incident: Incident; actor: string }
  /**
   * A change PagerDuty was to make (page, acknowledge, resolve) was given up: refused, or out of
   * attempts. Shown on the Slack message `anchor` and in its thread, with where to do it by hand.
   */
  | { type: 'pagerduty-not-synced'; anchor: string; incident: Incident | null; alertName: string; action: PagerDutyAction; problem: string; htmlUrl: string | null }
  /**
   * A call to PagerDuty went through, or failed for the first time and will be tried again: the
   * message `anchor` shows where it stands (a problem shown before is gone once one goes through).
   */
  | { type: 'pagerduty-call-progressed'; anchor: string }
  /**
   * The weekly reliability report, for `channel` (report.channel, else the handoff channel); people
   * by name (`names`: user ID → name) so the post pings nobody. `late`: posted after its time (the bot was down).
   */
  | { type: 'reliability-report-posted'; report: ReliabilityReport; names: Record<string, string>; channel: string; dueAt: Date; late: boolean }
  /** The outgoing primary's reminder to add notes before the shift change. */
  | { type: 'handoff-reminder'; shiftChange: Date; outgoing: string; incoming: string | null; notes: string | null; timezone: string }
  /**
   * A chart was drawn to be shared: in `channel`, or in the thread of the message named `anchor`
   * (an incident's card). The picture is its result; the outbox uploads it once.
   */
  | { type: 'chart-drawn'; chart: DrawnChart };

/** What the bot asks of PagerDuty for an alert. */
export type PagerDutyAction = 'page' | 'acknowledge' | 'resolve';

/** How a declared incident's severity was decided. */
export type DeclaredSeverity = { kind: 'given' } | { kind: 'symptom'; title: string } | { kind: 'default' };

/** Where events go; called inside the transaction of the change, with its stores. */
export interface EventSink {
  record(tx: StateTransaction, event: DomainEvent, now: Date): Promise<void>;
}

/** Both sinks, in order, in the change's own transaction (the Slack side, then an integration's). */
export function bothSinks(first: EventSink, second: EventSink): EventSink {
  return {
    async record(tx, event, now) {
      await first.record(tx, event, now);
      await second.record(tx, event, now);
    },
  };
}
