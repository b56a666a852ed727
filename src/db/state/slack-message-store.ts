
/** Where a named message (an alert's, an incident's status card) was posted. */
export interface PostedMessage {
  channel: string;
  ts: string;
}

export interface SlackMessageStore {
  get(anchor: string): Promise<PostedMessage | null>;
  put(anchor: string, message: PostedMessage, now: Date): Promise<void>;
  /** The message was deleted in Slack: the next refresh posts it anew. */
  forget(anchor: string): Promise<void>;
}
