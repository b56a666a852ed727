/**
 * A PostgreSQL URL as typed (`postgresql://user:password@host:5432/database`): checked before
 * anything connects, shown without its password, and connection failures said in one sentence
 * that never holds the password.
 */

export type PostgresUrl =
  | {
      ok: true;
      /** What pg connects with, password included. */
      url: string;
      /** What may be printed and recorded: no password, no query parameters. */
      shown: string;
      /** The password in the URL, if any (to scrub from error text); PGPASSWORD serves otherwise. */
      password: string | null;
    }
  | { ok: false; problem: string };

const EXAMPLE = 'postgresql://user@host:5432/database';

export function parsePostgresUrl(text: string): PostgresUrl {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return { ok: false, problem: `That is not a PostgreSQL URL; give one like ${EXAMPLE}.` };
  }
  if (u.protocol !== 'postgresql:' && u.protocol !== 'postgres:') {
    return { ok: false, problem: `The URL must start with postgresql:// (got ${u.protocol}//); give one like ${EXAMPLE}.` };
  }
  if (!u.hostname) return { ok: false, problem: `The URL names no host; give one like ${EXAMPLE}.` };
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!database || database.includes('/')) return { ok: false, problem: `The URL names no database; give one like ${EXAMPLE}.` };
  const user = u.username ? `${u.username}@` : '';
  return {
    ok: true,
    url: text,
    shown: `postgresql://${user}${u.host}/${encodeURIComponent(database)}`,
    password: u.password ? decodeURIComponent(u.password) : null,
  };
}

/** A connection (or query) failure as one sentence naming the target, never the password. */
export function connectionProblem(err: unknown, target: { shown: string; password: string | null }): string {
  const e = err as { code?: string; message?: string };
  const where = target.shown;
  switch (e.code) {
    case 'ECONNREFUSED':
      return `Nothing answers at ${where} (connection refused): is PostgreSQL running there, on that port?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `The host in ${where} cannot be found (DNS); check the name.`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${where} cannot be reached (${e.code}); check the host, the port and the firewall.`;
    case '28P01':
    case '28000':
      return `PostgreSQL at ${where} refused the user name or password.`;
    case '3D000':
      return `The database in ${where} does not exist; create it first (CREATE DATABASE …).`;
    case '42501':
      return `The user in ${where} may not create tables or write there (permission denied); use the database's owner.`;
  }
  let message = (e.message ?? String(err)).replace(/\s+/g, ' ').trim();
  if (/timeout/i.test(message)) return `${where} did not answer in time; check the host, the port and the firewall.`;
  if (target.password) message = message.split(target.password).join('***');
  return `PostgreSQL at ${where} failed: ${message.replace(/\.$/, '')}.`;
}

/** The password a state URL holds, if any: one more secret the log must never show. */
export function postgresPasswordOf(url: string | undefined): string | null {
  if (!url) return null;
  const parsed = parsePostgresUrl(url);
  return parsed.ok ? parsed.password : null;
}
