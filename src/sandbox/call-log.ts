/** One request the stand-in received: a Web API method call or a response_url post. */
export interface CallRecord {
  seq: number;
  /** "chat.postMessage", …, or "response_url". */
  method: string;
  /** The arguments as parsed (nested JSON fields decoded); the token is left out. */
  args: Record<string, unknown>;
  /** When it arrived, by the stand-in's clock. */
  at: Date;
  /** The HTTP status answered; null while unanswered, and for ever after a hang or a reset. */
  status: number | null;
  /** The JSON body answered; null when there was none. */
  answer: Record<string, unknown> | null;
  /** The fault injected into this call, if any. */
  fault?: string;
}

/** Every call, in arrival order. */
export class CallLog {
  private readonly records: CallRecord[] = [];

  start(method: string, args: Record<string, unknown>, at: Date): CallRecord {
    const record: CallRecord = { seq: this.records.length + 1, method, args, at, status: null, answer: null };
    this.records.push(record);
    return record;
  }

  /** All calls, or those of one method. */
  calls(method?: string): CallRecord[] {
    return method === undefined ? [...this.records] : this.records.filter((r) => r.method === method);
  }

  clear(): void {
    this.records.length = 0;
  }
}
