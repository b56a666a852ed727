/** What can be wrong with an Atlas database file, in words an on-call engineer can act on. */
export type DbProblemKind = 'missing' | 'locked' | 'corrupt' | 'unreadable';

export interface DbProblem {
  kind: DbProblemKind;
  /** One sentence: what is wrong and what to do. */
  message: string;
  /** The underlying error, for the log only. */
  detail?: string;
}

/** Maps a better-sqlite3 error to a DbProblem, or null when it is not a file-level problem. */
export function classifySqliteError(err: unknown, file: string): DbProblem | null {
  const code = typeof err === 'object' && err && 'code' in err ? String((err as { code: unknown }).code) : '';
  const detail = err instanceof Error ? err.message : String(err);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return { kind: 'locked', message: `${file} is locked by a writer; try again in a few seconds.`, detail };
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return {
      kind: 'corrupt',
      message: `${file} is not a readable SQLite database (corrupt?); run \`integrity\` and see the data-corruption runbook.`,
      detail,
    };
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return { kind: 'unreadable', message: `${file} cannot be opened; check the file's permissions.`, detail };
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_PERM' || code === 'SQLITE_READONLY') {
    return { kind: 'unreadable', message: `${file} cannot be read (${code}); check the disk and permissions.`, detail };
  }
  return null;
}

/** Thrown by store reads so a command can answer with the problem instead of a stack trace. */
export class DbProblemError extends Error {
  override name = 'DbProblemError';
  constructor(readonly problem: DbProblem) {
    super(problem.message);
  }
}
