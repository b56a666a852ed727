import { z } from 'zod';
import { parseAtlasTime } from '../time/atlas-time.js';

/** The six job statuses shared by the jobs table and the orchestrator's JSON files. */
export const JOB_STATUSES = ['pending', 'running', 'partial', 'completed', 'failed', 'cancelled'] as const;

export type JobStatus = (typeof JOB_STATUSES)[number];

export const jobStatusSchema = z.enum(JOB_STATUSES);

/** A job file is a few KB to a few hundred KB; anything far larger is not one. */
export const MAX_JOB_FILE_BYTES = 8 * 1024 * 1024;

/**
 * Job ids end up in file paths and Slack messages: letters, digits, dot, dash and underscore
 * only (the orchestrator writes `job-<base36>-<hex8>`), never a path separator.
 */
export const jobIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'a job id such as job-mbx3k2a1-1a2b3c4d');

const atlasTimestamp = z.string().refine((s) => parseAtlasTime(s) !== null, 'an ISO-8601 timestamp');

const count = z.number().int().nonnegative();

/**
 * `.shadow-atlas/jobs/<jobId>.json` as the orchestrator's JobStateStore writes it.
 * Objects are loose so a file that is rewritten (cancel, mark-partial) keeps every field the
 * bot does not know about; only what the bot reads is checked.
 */
export const jobFileSchema = z.looseObject({
  jobId: jobIdSchema,
  createdAt: atlasTimestamp,
  updatedAt: atlasTimestamp,
  status: jobStatusSchema,
  scope: z.looseObject({ states: z.array(z.string()), layers: z.array(z.string()) }),
  progress: z.looseObject({
    totalTasks: count,
    completedTasks: count,
    failedTasks: count,
    currentTask: z.string().optional(),
  }),
  completedExtractions: z.array(z.unknown()),
  failures: z.array(z.unknown()),
  // Older files have no notConfiguredTasks; the orchestrator reads them as [].
  notConfiguredTasks: z.array(z.unknown()).optional(),
  options: z.unknown().optional(),
});

export type JobFile = z.infer<typeof jobFileSchema>;

export type JobFileParse = { ok: true; job: JobFile } | { ok: false; reason: string };

/**
 * Parses and validates the text of a job file. `fileName` (e.g. "job-x.json") must match the
 * jobId inside: the orchestrator finds a job by its file name, so a mismatch is not a job it
 * can act on.
 */
export function parseJobFile(text: string, fileName?: string): JobFileParse {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  const result = jobFileSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return { ok: false, reason: `${where}${issue?.message ?? 'not a job file'}` };
  }
  if (fileName !== undefined && fileName !== `${result.data.jobId}.json`) {
    return { ok: false, reason: `jobId ${result.data.jobId} does not match the file name` };
  }
  return { ok: true, job: result.data };
}

/**
 * What a listing needs of a job file: a few fields, not its extractions and failures (megabytes
 * in a big job), so that only this crosses from the worker that parses the file.
 */
export interface JobFileSummary {
  jobId: string;
  status: JobStatus;
  createdAt: string;
  updatedAt: string;
  totalTasks: number;
  completedTasks: number;
  failedTasks: number;
  currentTask: string | null;
  notConfiguredTasks: number;
}

export function summarizeJobFile(job: JobFile): JobFileSummary {
  return {
    jobId: job.jobId,
    status: job.status,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    totalTasks: job.progress.totalTasks,
    completedTasks: job.progress.completedTasks,
    failedTasks: job.progress.failedTasks,
    currentTask: job.progress.currentTask ?? null,
    notConfiguredTasks: job.notConfiguredTasks?.length ?? 0,
  };
}
