/** What goes wrong with a call. */
export type FaultKind =
  /** No answer at all until the stand-in closes (then the socket is destroyed). */
  | { kind: 'hang' }
  /** The answer comes `ms` later. */
  | { kind: 'delay'; ms: number }
  /** HTTP 200 `{ ok: false, error }`, as Slack refuses. */
  | { kind: 'error'; error: string }
  /** Another HTTP status, e.g. 500 or 503, with a plain-text body. */
  | { kind: 'http'; status: number; body?: string }
  /** HTTP 429 with `Retry-After: <seconds>` (default 1). */
  | { kind: 'ratelimit'; retryAfter?: number }
  /** The connection is destroyed without an answer. */
  | { kind: 'reset' };

export type FaultSpec = FaultKind & {
  /** A Web API method ("chat.postMessage"), "response_url", or "*" for every call. */
  method: string;
  /** How many calls it hits: default 1, or Infinity when `every` is given. */
  times?: number;
  /** Hit only every n-th call of the method (counted from injection): n, 2n, 3n, … */
  every?: number;
  /**
   * "before" (default): the call does nothing. "after": the call is carried out (the message is
   * posted) and then the fault replaces the answer: a send left in doubt.
   */
  when?: 'before' | 'after';
};

export interface InjectedFault {
  readonly spec: FaultSpec;
  /** Calls it has hit so far. */
  readonly hits: number;
  remove(): void;
}

interface Rule {
  spec: FaultSpec;
  limit: number;
  seen: number;
  hits: number;
}

/** Fault injection for tests: per method, for a number of calls or every n-th call. */
export class Faults {
  private rules: Rule[] = [];

  inject(spec: FaultSpec): InjectedFault {
    if (spec.every !== undefined && (!Number.isInteger(spec.every) || spec.every < 1)) throw new Error('every must be a positive integer');
    const rule: Rule = { spec, limit: spec.times ?? (spec.every !== undefined ? Number.POSITIVE_INFINITY : 1), seen: 0, hits: 0 };
    this.rules.push(rule);
    return {
      spec,
      get hits() {
        return rule.hits;
      },
      remove: () => {
        this.rules = this.rules.filter((r) => r !== rule);
      },
    };
  }

  clear(): void {
    this.rules = [];
  }

  /** Counts a call of `method` and returns the fault that hits it, if one does. */
  take(method: string): FaultSpec | undefined {
    let hit: Rule | undefined;
    for (const rule of this.rules) {
      if (rule.spec.method !== method && rule.spec.method !== '*') continue;
      rule.seen += 1;
      const due = rule.spec.every === undefined || rule.seen % rule.spec.every === 0;
      if (!hit && due && rule.hits < rule.limit) hit = rule;
    }
    if (!hit) return undefined;
    hit.hits += 1;
    if (hit.hits >= hit.limit) this.rules = this.rules.filter((r) => r !== hit);
    return hit.spec;
  }
}
