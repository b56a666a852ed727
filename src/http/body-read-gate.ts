/**
 * How many request bodies are being read, at most, before the request is authenticated (a
 * Slack request before its signature is checked, a PagerDuty webhook before its HMAC). Each one
 * holds up to its route's body cap in memory, so this bound times the largest cap is what a
 * flood of forged requests can cost; beyond it a request is refused at once with 503.
 */
export const DEFAULT_UNAUTHENTICATED_READS = 32;

export interface BodyReadGate {
  readonly limit: number;
  /** Takes a place, or answers false when all are taken (refuse the request). */
  tryEnter(): boolean;
  /** Gives the place back; once per successful tryEnter. */
  leave(): void;
  /** Places taken now. */
  inFlight(): number;
}

export function bodyReadGate(limit = DEFAULT_UNAUTHENTICATED_READS): BodyReadGate {
  const max = Math.max(1, Math.floor(limit));
  let taken = 0;
  return {
    limit: max,
    tryEnter() {
      if (taken >= max) return false;
      taken++;
      return true;
    },
    leave() {
      taken = Math.max(0, taken - 1);
    },
    inFlight: () => taken,
  };
}
