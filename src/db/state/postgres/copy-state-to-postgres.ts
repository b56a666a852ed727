/**
 * `atlas state migrate --to postgresql://…`: chatops.db into an empty PostgreSQL state database.
 *
 * All or nothing: the schema, every row, the id sequences and the checks go in ONE PostgreSQL
 * transaction, committed only when the row counts of every table match chatops.db's and the
 * audit chain read back from PostgreSQL verifies and ends where chatops.db's does. chatops.db is
 * only read (read-only, one snapshot). Every refusal and failure is one sentence; the password
 * is never in one.
 */
import { existsSync } from 'node:fs';
import pg from 'pg';
import { auditStore, chainHash, GENESIS_HASH, type AuditHead, type AuditRow } from '../audit-store.js';
import { auditHeadFileOf } from '../kysely/sqlite-state-store.js';
import { STATE_MIGRATIONS } from '../state-migrations.js';
import { applyPendingPostgresMigrations, POSTGRES_MIGRATIONS_TABLE } from './apply-postgres-migrations.js';
import { connectionProblem, parsePostgresUrl } from './postgres-url.js';
import { openStateSnapshot, type StateSnapshot } from './sqlite-state-snapshot.js';

export interface StateCopyOptions {
  /** chatops.db */
  stateFile: string;
  /** The PostgreSQL URL as typed. */
  target: string;
  /** How long connecting may take (default 10 s). */
  connectTimeoutMs?: number;
}

export interface CopiedTable {
  name: string;
  rows: number;
}

export type StateCopyResult =
  | {
      ok: true;
      /** The target without its password. */
      target: string;
      tables: CopiedTable[];
      /** The audit chain as verified in PostgreSQL: its length, head, and what chatops.db's was checked against. */
      audit: { rows: number; head: AuditHead; anchors: string[]; notes: string[] };
    }
  | { ok: false; problem: string };

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters for the widest table. */
const BATCH_ROWS = 500;

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** A check after the copy failed: the transaction is rolled back and this is the sentence. */
class CopyRefused extends Error {}

export async function copyStateToPostgres(opts: StateCopyOptions): Promise<StateCopyResult> {
  const url = parsePostgresUrl(opts.target);
  if (!url.ok) return { ok: false, problem: url.problem };
  if (!existsSync(opts.stateFile)) return { ok: false, problem: `There is no chatops.db at ${opts.stateFile}: nothing to migrate.` };

  let snapshot: StateSnapshot;
  try {
    snapshot = openStateSnapshot(opts.stateFile);
  } catch (err) {
    return { ok: false, problem: `${opts.stateFile} could not be read (${(err as Error).message}).` };
  }
  try {
    const source = await checkSource(snapshot, opts.stateFile);
    if (!source.ok) return source;

    const client = new pg.Client({ connectionString: url.url, connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000 });
    // A server that goes away mid-copy surfaces as the failing query's error; this only keeps it from being thrown unhandled.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      return { ok: false, problem: `${connectionProblem(err, url)} Nothing was written.` };
    }
    try {
      await client.query('BEGIN');
      const copied = await copyInTransaction(client, snapshot, url.shown, source.head);
      await client.query('COMMIT');
      return { ok: true, target: url.shown, tables: copied.tables, audit: { ...copied.audit, anchors: source.anchors, notes: source.notes } };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      const problem = err instanceof CopyRefused ? err.message : connectionProblem(err, url);
      return { ok: false, problem: `${problem.replace(/\.$/, '')}: nothing was written.` };
    } finally {
      await client.end().catch(() => undefined);
    }
  } finally {
    snapshot.close();
  }
}

/** chatops.db must be at the schema this bot knows, its references whole and its audit chain verified. */
async function checkSource(
  snapshot: StateSnapshot,
  stateFile: string,
): Promise<{ ok: true; head: AuditHead; anchors: string[]; notes: string[] } | { ok: false; problem: string }> {
  if (snapshot.schemaVersion > STATE_MIGRATIONS.length) {
    return { ok: false, problem: `${stateFile} is at schema version ${snapshot.schemaVersion}, newer than this bot copies (${STATE_MIGRATIONS.length}); run the newer bot's \`atlas state migrate\`.` };
  }
  if (snapshot.schemaVersion < STATE_MIGRATIONS.length) {
    return {
      ok: false,
      problem: `${stateFile} is at schema version ${snapshot.schemaVersion} and this bot copies version ${STATE_MIGRATIONS.length}; run this bot's \`atlas doctor\` once (any \`atlas\` subcommand brings chatops.db up to date), then migrate.`,
    };
  }
  const dangling = snapshot.danglingReferences[0];
  if (dangling) {
    return { ok: false, problem: `${stateFile} has rows whose references point nowhere (first: ${dangling.table} row ${dangling.rowid} → ${dangling.parent}); PostgreSQL would refuse them, so nothing was copied.` };
  }
  // The same verification as `atlas audit verify`: the chain, the head file beside chatops.db, the heads published in Slack.
  // Awaited: the same whether the state interface answers at once or asynchronously.
  const verified = await auditStore(snapshot.db, { headFile: auditHeadFileOf(stateFile) }).verify();
  if (!verified.ok) {
    return {
      ok: false,
      problem: `The audit chain in ${stateFile} does not verify at row #${verified.rowId} (${verified.reason}); run \`atlas audit verify\` and settle that first, so the copy is not taken for a sound log. Nothing was copied.`,
    };
  }
  return { ok: true, head: verified.last ? { seq: verified.last.id, hash: verified.last.hash } : { seq: 0, hash: GENESIS_HASH }, anchors: verified.anchors, notes: verified.notes };
}

async function copyInTransaction(
  client: pg.Client,
  snapshot: StateSnapshot,
  shown: string,
  sourceHead: AuditHead,
): Promise<{ tables: CopiedTable[]; audit: { rows: number; head: AuditHead } }> {
  await applyPendingPostgresMigrations(client);
  const targetColumns = await columnsOf(client);

  // Refuse a target that holds state already: any row in any table but the migrations' own.
  const holding: string[] = [];
  for (const table of targetColumns.keys()) {
    if (table === POSTGRES_MIGRATIONS_TABLE) continue;
    const { rows } = await client.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${quote(table)}) AS any`);
    if (rows[0]!.any) holding.push(table);
  }
  if (holding.length > 0) {
    throw new CopyRefused(`${shown} already holds the bot's state (rows in ${holding.slice(0, 3).join(', ')}${holding.length > 3 ? ', …' : ''}); \`state migrate\` copies into an empty database only`);
  }
  for (const table of snapshot.tables) {
    const columns = targetColumns.get(table.name);
    const missing = columns ? table.columns.filter((c) => !columns.has(c)) : [];
    if (!columns || missing.length > 0) {
      throw new CopyRefused(`the PostgreSQL schema has no ${columns ? `column ${missing.join(', ')} in table ${table.name}` : `table ${table.name}`} (chatops.db is newer than this bot's PostgreSQL schema)`);
    }
  }

  // Foreign keys are checked at COMMIT, so tables go in name order whatever refers to what.
  await client.query('SET CONSTRAINTS ALL DEFERRED');
  for (const table of snapshot.tables) {
    const names = table.columns.map(quote).join(', ');
    for (const rows of snapshot.batches(table, BATCH_ROWS)) {
      const width = table.columns.length;
      const tuples = rows.map((_, r) => `(${table.columns.map((__, c) => `$${r * width + c + 1}`).join(', ')})`);
      try {
        await client.query(`INSERT INTO ${quote(table.name)} (${names}) VALUES ${tuples.join(', ')}`, rows.flat());
      } catch (err) {
        // The server's word on the data (a value it cannot take), with the table it is in.
        const { code, message } = err as { code?: string; message?: string };
        if (code && /^(22|23)/.test(code)) throw new CopyRefused(`PostgreSQL refused a row of ${table.name} (${message ?? code})`);
        throw err;
      }
    }
  }
  await continueSequences(client, snapshot);

  const tables: CopiedTable[] = [];
  for (const table of snapshot.tables) {
    const { rows } = await client.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${quote(table.name)}`);
    const copied = Number(rows[0]!.n);
    if (copied !== table.rows) throw new CopyRefused(`table ${table.name} holds ${copied} rows in PostgreSQL and ${table.rows} in chatops.db`);
    tables.push({ name: table.name, rows: copied });
  }
  const audit = await verifyCopiedAuditChain(client, sourceHead);
  return { tables, audit };
}

/** Table → its columns, in the target's public schema. */
async function columnsOf(client: pg.Client): Promise<Map<string, Set<string>>> {
  const { rows } = await client.query<{ t: string; c: string }>("SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = current_schema()");
  const out = new Map<string, Set<string>>();
  for (const r of rows) {
    if (!out.has(r.t)) out.set(r.t, new Set());
    out.get(r.t)!.add(r.c);
  }
  return out;
}

/**
 * Each identity column continues after the highest id chatops.db ever handed out in its table
 * (sqlite_sequence), not merely after the highest id left: an outbox id marks a post in Slack and
 * an audit id is hashed, so neither may be handed out twice.
 */
async function continueSequences(client: pg.Client, snapshot: StateSnapshot): Promise<void> {
  const { rows } = await client.query<{ t: string; c: string }>(
    "SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'",
  );
  for (const { t, c } of rows) {
    const { rows: max } = await client.query<{ m: string | null }>(`SELECT MAX(${quote(c)}) AS m FROM ${quote(t)}`);
    const last = Math.max(snapshot.handedOut.get(t) ?? 0, Number(max[0]!.m ?? 0));
    if (last > 0) await client.query(`SELECT setval(pg_get_serial_sequence($1, $2), $3)`, [quote(t), c, last]);
  }
}

/**
 * The audit chain as PostgreSQL now holds it: ids from #1 without a gap, each hash recomputed
 * over the one before (the same hash as audit-store.ts), ending at chatops.db's verified head.
 */
async function verifyCopiedAuditChain(client: pg.Client, sourceHead: AuditHead): Promise<{ rows: number; head: AuditHead }> {
  const { rows } = await client.query<Omit<AuditRow, 'id'> & { id: string }>('SELECT * FROM audit_log ORDER BY id');
  let prev = GENESIS_HASH;
  let expected = 1;
  for (const raw of rows) {
    const row: AuditRow = { ...raw, id: Number(raw.id) };
    if (row.id !== expected) throw new CopyRefused(`the audit chain as copied skips from #${expected - 1} to #${row.id}`);
    if (row.prev_hash !== prev || row.hash !== chainHash(row.prev_hash, row)) throw new CopyRefused(`the audit chain as copied does not verify at row #${row.id}`);
    prev = row.hash;
    expected += 1;
  }
  const head: AuditHead = { seq: rows.length, hash: prev };
  if (head.seq !== sourceHead.seq || head.hash !== sourceHead.hash) {
    throw new CopyRefused(`the audit chain as copied ends at #${head.seq}, and chatops.db's at #${sourceHead.seq}`);
  }
  return { rows: rows.length, head };
}
