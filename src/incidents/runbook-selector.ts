import type { Config } from '../config.js';
import {
  rankSymptoms,
  SEVERITY_POLICIES,
  SYMPTOMS,
  type RunbookKey,
  type SeverityPolicy,
  type Symptom,
} from './severity-matrix.js';

/**
 * One step of a runbook. `command` is a bot subcommand (rendered as `/atlas <command>` or
 * `atlas <command>`); steps without one are things only a person on the host can do.
 * The guide's own SQL is wrong in places, so no step repeats it.
 */
export interface RunbookStep {
  command?: string;
  text: string;
}

export interface Runbook {
  key: RunbookKey;
  title: string;
  /** Where the guide keeps it (repository path), for people who want the long version. */
  source: string;
  /** The severities the guide gives it: "P0", "P1–P2". */
  severity: string;
  steps: readonly RunbookStep[];
  escalateWhen: string;
}

export const RUNBOOKS: Readonly<Record<RunbookKey, Runbook>> = {
  'incident-response': {
    key: 'incident-response',
    title: 'Incident response',
    source: 'docs/operations/runbooks/incident-response.md',
    severity: 'P0–P3',
    steps: [
      { command: 'health', text: 'one look at databases, alerts, jobs, providers and IPFS' },
      { command: 'integrity persistence', text: 'full integrity check of persistence.db, off the event loop' },
      { command: 'jobs', text: 'latest jobs from the jobs table and jobs/*.json' },
      { command: 'alerts', text: 'firing alerts and whether anyone acknowledged them' },
      { text: 'Write down what is broken, who is affected, when it started and what changed. Unsure of the severity? Pick the higher one.' },
    ],
    escalateWhen: 'P0: tech lead after 30 min, CTO after 1 h; data loss or a suspected breach: CTO and security at once.',
  },
  'data-corruption': {
    key: 'data-corruption',
    title: 'Data corruption',
    source: 'docs/operations/runbooks/common-incidents/data-corruption.md',
    severity: 'P0',
    steps: [
      { text: 'Stop the writers first (batch orchestrator, extraction runs). No restarts and no writes until copies exist.' },
      { command: 'integrity all', text: 'full integrity_check of persistence.db, then metrics.db' },
      { text: 'Copy each database aside WITH its -wal and -shm files (the .db alone misses pages still in the WAL). Go on only once the copies exist.' },
      { command: 'disk', text: 'room for the copies and a restore; what backups/ holds' },
      { text: 'Check passes: false alarm. One table bad: sqlite3 .recover into a new file. Several tables bad: restore the newest backup that passes integrity_check. Every backup bad: rebuild from the snapshot on IPFS.' },
    ],
    escalateWhen: 'every backup is corrupt, recovery takes over 2 h, data loss exceeds 24 h, or the path is unclear.',
  },
  'proofs-failing': {
    key: 'proofs-failing',
    title: 'Proofs failing',
    source: 'docs/operations/on-call-guide.md (severity matrix; no dedicated runbook)',
    severity: 'P0',
    steps: [
      { command: 'errors --window 10m', text: 'proof_generation / merkle_proof rows labelled success=false (their value is latency, not 0/1)' },
      { command: 'snapshots', text: 'is the current snapshot new? does it have an IPFS CID?' },
      { command: 'health', text: 'includes a timed fetch of the current CID from the IPFS gateways' },
      { text: 'A new snapshot broke proofs: roll back to the previous one (swap deprecated_at between the two rows in ONE transaction). A Merkle root mismatch: follow that runbook.' },
    ],
    escalateWhen: 'tech lead after 30 min, CTO after 1 h.',
  },
  'merkle-root-mismatch': {
    key: 'merkle-root-mismatch',
    title: 'Merkle root mismatch',
    source: 'docs/operations/MERKLE-ROOT-MISMATCH.md',
    severity: 'P0',
    steps: [
      { text: 'Halt proof generation first (scale the proof generator to 0 replicas).' },
      { command: 'snapshots', text: "the current snapshot's merkle_root and CID: compare with the merkleRoot inside the IPFS content" },
      { command: 'errors --window 1h', text: 'extraction and validation failures behind the build (an extraction error is the most likely cause)' },
      { text: 'Extraction error: re-extract, check counts, rebuild, validate, re-pin. Code bug: roll back the deployment. Resume proofs only after validation and a test proof.' },
    ],
    escalateWhen: 'targets: ack < 5 min, diagnose < 15 min, mitigate < 30 min, resolve < 2 h; tech lead after 30 min.',
  },
  'ipfs-unavailable': {
    key: 'ipfs-unavailable',
    title: 'IPFS unavailable',
    source: 'docs/operations/runbooks/common-incidents/ipfs-unavailable.md',
    severity: 'P1 (P0 when completely down)',
    steps: [
      { command: 'snapshots', text: 'the current snapshot and its CID (an empty CID means it was never uploaded)' },
      { command: 'health', text: 'times a fetch of the current CID from every configured gateway' },
      { text: 'Gateway timeout: use another gateway. CID not found: check the pin at the pinning provider. Pinning fails: provider status page, credentials, quota.' },
      { text: 'Recovered when the CID is pinned and retrievable from at least 2 gateways in under 10 s.' },
    ],
    escalateWhen: 'the pinning provider is down over 4 h, every gateway fails, quota cannot grow, or the quarterly snapshot cannot be pinned.',
  },
  'upstream-failure': {
    key: 'upstream-failure',
    title: 'Upstream provider failure',
    source: 'docs/operations/runbooks/common-incidents/upstream-failure.md',
    severity: 'P1–P2',
    steps: [
      { command: 'providers', text: 'status, latency and the HTTP decision tree per provider, with availability over 1 h and 24 h' },
      { command: 'errors --window 1h', text: 'provider_error rows by provider and error (429s mean back off)' },
      { command: 'jobs', text: 'running jobs that need the failing provider' },
      { text: "Don't cancel running jobs to resume them later: a cancelled job can never be resumed (resume works only from partial or failed)." },
      { text: 'Re-check every 5 min until it recovers; a 503 outage usually lasts 1–4 h.' },
    ],
    escalateWhen: 'TIGER is down over 4 h (the quarterly snapshot is at risk), several providers are down, or a critical state has no fallback.',
  },
  'stuck-job': {
    key: 'stuck-job',
    title: 'Stuck job',
    source: 'docs/operations/on-call-guide.md (scenario "job running for 12+ h")',
    severity: 'P1',
    steps: [
      { command: 'jobs stuck', text: 'running jobs with no update for 12 h or more' },
      { text: "A suspicion, not a proof: is the orchestrator process alive? Does the job file's updatedAt still move? Jobs with not-configured tasks end as running although nothing runs." },
      { text: "The orchestrator reads jobs/<jobId>.json, not the jobs table: the guide's UPDATE jobs changes nothing it reads. Resume works only from partial or failed." },
      { command: 'errors --window 1h', text: 'what the job was failing on' },
    ],
    escalateWhen: 'tech lead after 2 h.',
  },
  'high-latency': {
    key: 'high-latency',
    title: 'High latency',
    source: 'docs/operations/runbooks/common-incidents/high-latency.md',
    severity: 'P1–P2',
    steps: [
      { command: 'metrics --window 1h', text: "request_latency, db_query and provider_latency (the guide's operation_duration types do not exist)" },
      { command: 'providers', text: 'a slow provider (over 2 s) slows every extraction' },
      { command: 'disk', text: 'database size (over 5 GB is a red flag) and free space' },
      { command: 'jobs', text: 'running jobs competing for the database' },
      { text: 'Over 30 s on everything: P1, act now. 10–30 s: P1 within 1 h. 5–10 s: P2 within 4 h.' },
    ],
    escalateWhen: 'over 30 s with no cause found, 2 h of failed mitigation, or it needs an architecture change.',
  },
  'high-error-rate': {
    key: 'high-error-rate',
    title: 'High error rate',
    source: 'docs/operations/on-call-guide.md (scenario "error rate > 5 % over 10 min")',
    severity: 'P1',
    steps: [
      { command: 'errors --window 10m', text: "error rate by family and the top groups (the guide's type='error' query always returns nothing)" },
      { command: 'providers', text: 'when provider_error dominates' },
      { command: 'jobs', text: 'when extraction_failure dominates: which job, which states' },
      { command: 'metrics --window 1h', text: 'the trend: getting worse or recovering?' },
    ],
    escalateWhen: 'tech lead after 2 h.',
  },
  'job-failures': {
    key: 'job-failures',
    title: 'Failed or partial jobs',
    source: 'docs/operations/runbooks/incident-response.md (P2: partial job failure)',
    severity: 'P2',
    steps: [
      { command: 'jobs --status failed', text: 'failed jobs' },
      { command: 'jobs --status partial', text: 'jobs that finished with some tasks failed' },
      { command: 'errors --window 1h', text: 'which states and layers failed, and why' },
      { text: 'Resume only from partial or failed; a cancelled job is never resumed.' },
    ],
    escalateWhen: 'no escalation: team queue, business hours.',
  },
};

export type RunbookSelection =
  | {
      kind: 'match';
      query: string;
      symptom: Symptom;
      policy: SeverityPolicy;
      /** null for P3 symptoms: no runbook, it goes to the backlog. */
      runbook: Runbook | null;
      /** config.runbooks[runbook key] (or [symptom id]) when configured. */
      link: string | null;
      /** Other symptoms the text also matched, for "did you mean". */
      alsoMatched: Symptom[];
    }
  | { kind: 'no-match'; query: string; known: readonly Symptom[] };

/** "upstream-failure", "Upstream failure", "upstream_failure": a runbook named by its key. */
function runbookByKey(text: string): Runbook | undefined {
  const key = text.trim().toLowerCase().replace(/[\s_]+/g, '-');
  return Object.values(RUNBOOKS).find((r) => r.key === key);
}

/**
 * The runbook for a symptom typed by a person ("tiger down", "corrupt db", or a runbook key such
 * as "upstream-failure"), with its severity, first steps and configured link.
 */
export function selectRunbook(symptomText: string, config: Pick<Config, 'runbooks'>): RunbookSelection {
  const query = symptomText.slice(0, 200);
  const byKey = runbookByKey(query);
  const ranked = rankSymptoms(symptomText);
  const first = byKey ? SYMPTOMS.find((s) => s.runbook === byKey.key) : ranked[0]?.symptom;
  if (!first) return { kind: 'no-match', query, known: SYMPTOMS };
  const runbook = first.runbook ? RUNBOOKS[first.runbook] : null;
  const link = (runbook && config.runbooks[runbook.key]) ?? config.runbooks[first.id] ?? null;
  const alsoMatched = ranked
    .filter((m) => m.symptom.id !== first.id && m.whole)
    .map((m) => m.symptom)
    .slice(0, 3);
  return { kind: 'match', query, symptom: first, policy: SEVERITY_POLICIES[first.severity], runbook, link, alsoMatched };
}
