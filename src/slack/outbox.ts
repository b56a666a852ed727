import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { StateDb } from '../db/state-db.js';
import { getAlert, updateAlert } from '../alerts/alert-store.js';
import { getIncident, updateIncident } from '../incidents/incident-store.js';
import { iso, type AlertRecord, type Incident } from '../incidents/incident-types.js';

export type OutboxKind = 'alert-message' | 'incident-card' | 'thread-post' | 'channel-post';

/** What to post. For thread posts the thread is the incident's root, looked up at send time. */
export interface PostPayload {
  text: string;
  blocks?: unknown[];
  /** channel-post only. */
  channel?: string;
  threadTs?: string;
  /** Also show a thread reply in the channel. */
  broadcast?: boolean;
}

export interface RenderedMessage {
  text: string;
  blocks: unknown[];
}

/** The two messages that are edited in place and so are rendered at send time from current state. */
export interface OutboxRenderers {
  alertMessage(alert: AlertRecord, now: Date): RenderedMessage;
  incidentCard(incident: Incident, alert: AlertRecord | null, now: Date): RenderedMessage;
}

/** The Slack calls the outbox needs; the app implements it with its WebClient. */
export interface SlackPoster {
  post(args: { channel: string; text: string; blocks?: unknown[]; thread_ts?: string; reply_broadcast?: boolean }): Promise<{ channel: string; ts: string }>;
  update(args: { channel: string; ts: string; text: string; blocks?: unknown[] }): Promise<void>;
}

interface OutboxRow {
  id: number;
  kind: OutboxKind;
  ref: string;
  payload: string | null;
  attempts: number;
}

/** Slack error codes that no retry will fix. */
const PERMANENT = new Set([
  'channel_not_found', 'not_in_channel', 'is_archived', 'invalid_auth', 'account_inactive', 'token_revoked',
  'msg_too_long', 'invalid_blocks', 'no_text', 'restricted_action', 'missing_scope', 'not_authed',
]);
const MAX_ATTEMPTS = 20;

export function slackErrorCode(err: unknown): string {
  const data = (err as { data?: { error?: unknown } }).data;
  if (data && typeof data.error === 'string') return data.error;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
}

export function enqueue(db: StateDb, kind: OutboxKind, ref: string, payload: PostPayload | null, now: Date): void {
  db.prepare('INSERT INTO outbox (created_at, kind, ref, payload, next_attempt_at) VALUES (?, ?, ?, ?, ?)').run(
    iso(now),
    kind,
    ref,
    payload ? JSON.stringify(payload) : null,
    iso(now),
  );
}

export interface FlushResult {
  sent: number;
  retrying: number;
  failed: number;
}

class Deferred extends Error {}

/**
 * Everything the bot says in channels goes through here: written to chatops.db in the same
 * transaction as the state change, then delivered in order, retried with backoff when Slack
 * fails, so a Slack outage or a restart loses nothing. Status cards and alert messages are
 * rendered at send time, so a burst of changes becomes one chat.update.
 */
export class Outbox {
  private running: Promise<FlushResult> | null = null;
  private again = false;

  constructor(
    private readonly deps: {
      state: StateDb;
      /** Null until the Slack app is connected; entries wait in chatops.db until then. */
      poster: SlackPoster | null;
      render: OutboxRenderers;
      clock: Clock;
      logger: Logger;
      /** Where alerts and declared incidents go (channels.incidents). */
      incidentsChannel: string | null;
    },
  ) {}

  /** Connects the outbox to Slack (the app does this when it starts). */
  attach(poster: SlackPoster): void {
    this.deps.poster = poster;
  }

  pending(): number {
    return (this.deps.state.prepare('SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL').get() as { n: number }).n;
  }

  /** Delivers everything due; concurrent calls share one pass and trigger one more after it. */
  flush(): Promise<FlushResult> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      const total: FlushResult = { sent: 0, retrying: 0, failed: 0 };
      try {
        do {
          this.again = false;
          const r = await this.pass();
          total.sent += r.sent;
          total.retrying += r.retrying;
          total.failed += r.failed;
        } while (this.again);
      } finally {
        this.running = null;
      }
      return total;
    })();
    return this.running;
  }

  private async pass(): Promise<FlushResult> {
    const result: FlushResult = { sent: 0, retrying: 0, failed: 0 };
    const { state, clock, logger } = this.deps;
    if (!this.deps.poster) return result;
    const due = state
      .prepare('SELECT id, kind, ref, payload, attempts FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? ORDER BY id')
      .all(iso(clock())) as OutboxRow[];
    const blocked = new Set<string>();
    for (const row of due) {
      // Keep order per incident/alert: nothing of a ref goes out while an earlier one waits.
      if (blocked.has(row.ref)) continue;
      const still = state.prepare('SELECT sent_at FROM outbox WHERE id = ?').get(row.id) as { sent_at: string | null } | undefined;
      if (!still || still.sent_at) continue; // coalesced by an earlier row of this pass
      try {
        await this.deliver(row);
        state.prepare('UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?').run(iso(clock()), row.id);
        result.sent++;
      } catch (err) {
        blocked.add(row.ref);
        const now = clock();
        if (err instanceof Deferred) {
          state.prepare('UPDATE outbox SET next_attempt_at = ? WHERE id = ?').run(iso(new Date(now.getTime() + 5_000)), row.id);
          continue;
        }
        const code = slackErrorCode(err);
        const attempts = row.attempts + 1;
        if (PERMANENT.has(code) || attempts >= MAX_ATTEMPTS) {
          state.prepare('UPDATE outbox SET failed_at = ?, attempts = ?, last_error = ? WHERE id = ?').run(iso(now), attempts, code, row.id);
          logger.error({ err, outboxId: row.id, kind: row.kind, ref: row.ref, code }, 'gave up delivering a Slack message');
          result.failed++;
        } else {
          const backoff = Math.min(15_000 * 2 ** (attempts - 1), 10 * 60_000);
          state
            .prepare('UPDATE outbox SET attempts = ?, last_error = ?, next_attempt_at = ? WHERE id = ?')
            .run(attempts, code, iso(new Date(now.getTime() + backoff)), row.id);
          logger.warn({ outboxId: row.id, kind: row.kind, ref: row.ref, code, attempts }, 'Slack delivery failed; will retry');
          result.retrying++;
        }
      }
    }
    return result;
  }

  private markCoalesced(kind: OutboxKind, ref: string): void {
    this.deps.state
      .prepare('UPDATE outbox SET sent_at = ? WHERE kind = ? AND ref = ? AND sent_at IS NULL AND failed_at IS NULL')
      .run(iso(this.deps.clock()), kind, ref);
  }

  private async deliver(row: OutboxRow): Promise<void> {
    switch (row.kind) {
      case 'alert-message': {
        const alert = getAlert(this.deps.state, row.ref);
        if (!alert) return;
        if (alert.incident_id) {
          const incident = getIncident(this.deps.state, alert.incident_id);
          if (incident) return this.deliverCard(incident);
        }
        const message = this.deps.render.alertMessage(alert, this.deps.clock());
        if (alert.message_ts && alert.channel_id) {
          await this.updateOrRepost(alert.channel_id, alert.message_ts, message, (ts, channel) =>
            updateAlert(this.deps.state, alert.key, { message_ts: ts, channel_id: channel }),
          );
        } else {
          const channel = this.requireChannel();
          const posted = await this.deps.poster!.post({ channel, ...message });
          updateAlert(this.deps.state, alert.key, { message_ts: posted.ts, channel_id: posted.channel });
        }
        this.markCoalesced('alert-message', row.ref);
        return;
      }
      case 'incident-card': {
        const incident = getIncident(this.deps.state, row.ref);
        if (incident) await this.deliverCard(incident);
        return;
      }
      case 'thread-post': {
        const incident = getIncident(this.deps.state, row.ref);
        if (!incident) return;
        if (!incident.root_ts || !incident.channel_id) {
          await this.deliverCard(incident);
        }
        const fresh = getIncident(this.deps.state, row.ref)!;
        if (!fresh.root_ts || !fresh.channel_id) throw new Deferred();
        const payload = JSON.parse(row.payload ?? '{}') as PostPayload;
        await this.deps.poster!.post({
          channel: fresh.channel_id,
          thread_ts: fresh.root_ts,
          text: payload.text,
          blocks: payload.blocks,
          reply_broadcast: payload.broadcast,
        });
        return;
      }
      case 'channel-post': {
        const payload = JSON.parse(row.payload ?? '{}') as PostPayload;
        const channel = payload.channel ?? this.requireChannel();
        await this.deps.poster!.post({ channel, text: payload.text, blocks: payload.blocks, thread_ts: payload.threadTs });
        return;
      }
    }
  }

  /** Posts or edits the incident's root message; for an alert's incident that is the alert's message. */
  private async deliverCard(incident: Incident): Promise<void> {
    const { state } = this.deps;
    const alert = incident.alert_key ? getAlert(state, incident.alert_key) : null;
    const message = this.deps.render.incidentCard(incident, alert, this.deps.clock());
    const place = (ts: string, channel: string) => {
      updateIncident(state, incident.id, { root_ts: ts, channel_id: channel });
      if (alert && (!alert.message_ts || alert.incident_id === incident.id)) updateAlert(state, alert.key, { message_ts: ts, channel_id: channel });
    };
    const rootTs = incident.root_ts ?? (alert?.incident_id === incident.id ? alert.message_ts : null);
    const rootChannel = incident.channel_id ?? alert?.channel_id ?? null;
    if (rootTs && rootChannel) {
      await this.updateOrRepost(rootChannel, rootTs, message, place);
      if (!incident.root_ts) place(rootTs, rootChannel);
    } else {
      const posted = await this.deps.poster!.post({ channel: rootChannel ?? this.requireChannel(), ...message });
      place(posted.ts, posted.channel);
    }
    this.markCoalesced('incident-card', incident.id);
    // Only while the alert's message is this card: a re-fired alert gets a message of its own.
    if (alert && alert.incident_id === incident.id) this.markCoalesced('alert-message', alert.key);
  }

  /** chat.update, or a fresh post when the original was deleted. */
  private async updateOrRepost(
    channel: string,
    ts: string,
    message: RenderedMessage,
    moved: (ts: string, channel: string) => void,
  ): Promise<void> {
    try {
      await this.deps.poster!.update({ channel, ts, ...message });
    } catch (err) {
      if (slackErrorCode(err) !== 'message_not_found') throw err;
      const posted = await this.deps.poster!.post({ channel, ...message });
      moved(posted.ts, posted.channel);
    }
  }

  private requireChannel(): string {
    if (!this.deps.incidentsChannel) {
      throw Object.assign(new Error('channels.incidents is not set in the config'), { code: 'channel_not_found' });
    }
    return this.deps.incidentsChannel;
  }
}
