import { DbProblemError } from '../db/sqlite-problem.js';

/** One sentence about a failed write to the service's databases, for the timeline. */
export function atlasProblemText(err: unknown): string {
  if (err instanceof DbProblemError) return err.problem.message;
  return err instanceof Error ? err.message : String(err);
}
