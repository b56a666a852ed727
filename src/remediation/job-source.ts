/**
 * A job as the job remediations see it: its `jobs/<id>.json` (what the orchestrator reads and
 * writes) and its persistence.db `jobs` row, each read whole, so a plan can show both and its
 * fingerprint covers every byte and every column it read.
 */
import { z } from 'zod';
import { jobIdSchema, parseJobFile, type JobFile, type JobStatus } from '../db/job-file.js';
import type { RemediationDeps } from './remediation-spec.js';
import { readJobFileText, readJobRow, type JobFileRead, type JobTableRow } from '../db/job-writes.js';
import { DbProblemError } from '../db/sqlite-problem.js';
import { quoteInput } from '../text/quote-input.js';
import { parseAtlasTime } from '../time/atlas-time.js';
import { RemediationRefusal } from './remediation-plan.js';

const ID_HELP = 'a job id such as job-mbx3k2a1-1a2b3c4d (letters, digits, dot, dash, underscore; `/atlas jobs` lists them)';

/** One job id, nothing else: an id that is not one is refused before anything is read. */
const jobIdWord = z
  .array(z.string())
  .length(1, { message: `takes one job id: ${ID_HELP}` })
  .refine((w) => jobIdSchema.safeParse(w[0]).success, { message: `takes ${ID_HELP}` });

/** `job <verb> <id> [--force]`'s arguments: `{ id, force }` (plain JSON), `yes` passed through for the framework. */
export function jobArgs(withForce: boolean) {
  return z
    .object({ _: jobIdWord, force: z.boolean().optional(), yes: z.boolean().optional() })
    .refine((a) => withForce || a.force === undefined, { message: 'takes no --force' })
    .transform((a) => ({ id: a._[0]!, force: a.force ?? false, ...(a.yes ? { yes: true } : {}) }));
}

export interface JobArgs {
  id: string;
  force: boolean;
}

/** How a job id reads back as typed words. */
export const shownJob = (a: JobArgs) => `${a.id}${a.force ? ' --force' : ''}`;

export interface JobRead {
  id: string;
  /** The file as read (text, or missing, or unusable). */
  file: JobFileRead;
  /** The file's job when it is a valid job file. */
  job: JobFile | null;
  /** The persistence.db row, every column; null when there is none. */
  row: JobTableRow | null;
  /** Why the table could not be read, when it could not. */
  tableProblem: string | null;
}

/** Reads both sources; refuses (one sentence) when neither has the job or its file is not one the orchestrator could use. */
export async function readJob(deps: RemediationDeps, id: string): Promise<JobRead> {
  const parsedId = jobIdSchema.safeParse(id);
  if (!parsedId.success) throw new RemediationRefusal(`\`${quoteInput(id)}\` is not a job id; it takes ${ID_HELP}. Nothing was changed.`);
  const file = await readJobFileText(deps.atlas.jobsDir, id);
  let row: JobTableRow | null = null;
  let tableProblem: string | null = null;
  try {
    row = readJobRow(deps.atlas.persistence, id);
  } catch (err) {
    if (!(err instanceof DbProblemError)) throw err;
    tableProblem = err.problem.message;
  }
  if (file.kind === 'unusable') throw new RemediationRefusal(`jobs/${id}.json ${file.reason}, so the bot will not touch it; look at it by hand. Nothing was changed.`);
  let job: JobFile | null = null;
  if (file.kind === 'file') {
    const parsed = parseJobFile(file.text, `${id}.json`);
    if (!parsed.ok) throw new RemediationRefusal(`jobs/${id}.json is not a job file the orchestrator can read (${parsed.reason}), so the bot will not rewrite it. Nothing was changed.`);
    job = parsed.job;
  }
  if (!job && !row) {
    if (tableProblem) throw new RemediationRefusal(`No jobs/${id}.json, and the jobs table could not be read: ${tableProblem} Nothing was changed.`);
    throw new RemediationRefusal(`No job ${id} in jobs/ or the jobs table; \`/atlas jobs\` lists them. Nothing was changed.`);
  }
  return { id, file, job, row, tableProblem };
}

/** Everything a job plan read, for its fingerprint. */
export function jobFingerprintParts(r: JobRead): unknown {
  return {
    file: r.file.kind === 'file' ? { text: r.file.text, mode: r.file.mode } : r.file.kind,
    row: r.row,
    tableProblem: r.tableProblem,
  };
}

/** The status the orchestrator acts on: the file's when there is one, else the row's. */
export function jobStatusOf(r: JobRead): JobStatus {
  return (r.job?.status ?? r.row?.status) as JobStatus;
}

/** When the job was last updated (the file's updatedAt, else the row's updated_at). */
export function lastUpdateOf(r: JobRead): { text: string | null; at: Date | null } {
  const text = r.job?.updatedAt ?? (typeof r.row?.updated_at === 'string' ? r.row.updated_at : null) ?? (typeof r.row?.created_at === 'string' ? r.row.created_at : null);
  return { text, at: parseAtlasTime(text) };
}

/** "states CA, TX; layers congressional" for the undo and warnings. */
export function scopeOf(r: JobRead): string {
  const list = (v: unknown): string => {
    if (Array.isArray(v)) return v.map(String).join(', ');
    if (typeof v === 'string') {
      try {
        const parsed: unknown = JSON.parse(v);
        if (Array.isArray(parsed)) return parsed.map(String).join(', ');
      } catch {
        return v;
      }
    }
    return '?';
  };
  const states = r.job ? list(r.job.scope.states) : list(r.row?.scope_states);
  const layers = r.job ? list(r.job.scope.layers) : list(r.row?.scope_layers);
  return `states ${quoteInput(states, 120)}; layers ${quoteInput(layers, 80)}`;
}
