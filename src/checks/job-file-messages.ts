import type { JobFileSummary } from '../db/job-file.js';

/** What the main thread asks the job file worker: the files of one question, newest first. */
export interface JobFileRequest {
  id: number;
  files: { path: string; name: string }[];
}

/** One answer per file, in order, then `{ id, done: true }`. */
export interface JobFileOutcome {
  id: number;
  name: string;
  outcome: { kind: 'job'; summary: JobFileSummary } | { kind: 'skipped'; reason: string } | { kind: 'gone' };
}

export interface JobFilesDone {
  id: number;
  done: true;
}
