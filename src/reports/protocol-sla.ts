/**
 * The incident-response protocol's clock (the guide's incident-response.md "Protocol": ack 0–5
 * min, assess 5–15 min; triage, where mitigation starts, by 30 min), in minutes from the
 * incident's opening. The severity matrix (incidents/severity-matrix.ts) keeps the per-severity
 * response and update times; these three apply to every incident, whatever its severity.
 */
export const PROTOCOL_SLA_MINUTES = { ack: 5, assess: 15, triage: 30 } as const;
