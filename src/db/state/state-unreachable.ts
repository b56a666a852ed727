/**
 * Whether `err` says the state store could not be reached (PostgreSQL restarting, failing over,
 * or not answering), as opposed to a bug: the user is told to try again in a moment.
 */
export function isStateUnreachable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  // 08: connection exceptions; 57P01-57P03: the server shutting down or starting; 53300: too many connections.
  if (code.startsWith('08') || ['57P01', '57P02', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE'].includes(code)) return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Connection terminated due to connection timeout/i.test(message);
}

/** The answer to a command that needed the state while it could not be reached. */
export const STATE_UNREACHABLE_ANSWER = "The bot's state store is not answering just now (PostgreSQL restarting or failing over?); try again in a moment.";
