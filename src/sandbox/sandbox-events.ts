import type { CallRecord } from './call-log.js';
import type { EphemeralMessage, StoredMessage, StoredView } from './stored-objects.js';

/** Everything that happens in the workspace, in the order it happens: what a live page shows. */
export type SandboxEvent =
  | { type: 'message_posted'; channel: string; message: StoredMessage }
  | { type: 'message_updated'; channel: string; message: StoredMessage; previous: StoredMessage }
  /** `message` is what remains: a tombstone when a thread parent with replies was deleted. */
  | { type: 'message_deleted'; channel: string; ts: string; message: StoredMessage }
  | { type: 'ephemeral_posted'; channel: string; user: string; message: EphemeralMessage }
  | { type: 'ephemeral_updated'; channel: string; user: string; message: EphemeralMessage }
  | { type: 'ephemeral_deleted'; channel: string; user: string; id: string }
  | { type: 'view_opened'; user: string; view: StoredView }
  | { type: 'view_pushed'; user: string; view: StoredView }
  | { type: 'view_updated'; user: string; view: StoredView }
  | { type: 'view_published'; user: string; view: StoredView }
  /** The person closed the modal (or the app's answer closed it); `viewIds` are the views that went, top first. */
  | { type: 'view_closed'; user: string; viewIds: string[] }
  | { type: 'response_url_used'; id: string; payload: Record<string, unknown>; status: number; answer: Record<string, unknown> }
  | { type: 'api_call'; call: CallRecord };

export type SandboxEventType = SandboxEvent['type'];
type Listener = (event: SandboxEvent) => void;

/** A small typed event stream. Listeners run synchronously, in subscription order. */
export class SandboxEvents {
  private readonly listeners = new Set<Listener>();

  /** Calls `listener` for every event from now on; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: SandboxEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // A failing subscriber (say, a closed page) must not break the API answer.
      }
    }
  }

  /** The next event of `type` (matching `where`, if given), or a rejection after `timeoutMs`. */
  next<T extends SandboxEventType>(
    type: T,
    where: (event: Extract<SandboxEvent, { type: T }>) => boolean = () => true,
    timeoutMs = 2000,
  ): Promise<Extract<SandboxEvent, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no ${type} event within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.subscribe((event) => {
        if (event.type !== type) return;
        const typed = event as Extract<SandboxEvent, { type: T }>;
        if (!where(typed)) return;
        clearTimeout(timer);
        off();
        resolve(typed);
      });
    });
  }
}
