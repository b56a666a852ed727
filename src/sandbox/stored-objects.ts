/** What the stand-in keeps of messages and views, as Slack shows them; the stores and the event stream share these. */

export interface MessageMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

/** A channel message as Slack shows it in history, plus the channel it is in. */
export interface StoredMessage {
  type: 'message';
  channel: string;
  ts: string;
  text: string;
  user: string;
  team: string;
  bot_id?: string;
  app_id?: string;
  subtype?: 'thread_broadcast' | 'tombstone';
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: MessageMetadata;
  /** Files shared with the message (files.completeUploadExternal). */
  files?: unknown[];
  thread_ts?: string;
  parent_user_id?: string;
  reply_count?: number;
  reply_users?: string[];
  reply_users_count?: number;
  latest_reply?: string;
  edited?: { user: string; ts: string };
}

/** An ephemeral message: seen by one user, never in history. */
export interface EphemeralMessage {
  /** The message_ts chat.postEphemeral answers. */
  ts: string;
  channel: string;
  user: string;
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  thread_ts?: string;
  /** Posted through this response_url, if it was. */
  responseUrlId?: string;
}

/** A view as the views.* methods answer it, and whom it is shown to. */
export interface StoredView {
  user: string;
  view: Record<string, unknown> & { id: string; type: 'modal' | 'home'; hash: string; root_view_id: string | null };
}
