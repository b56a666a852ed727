import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/run-sandbox.js';

export interface SandboxSession {
  sandbox: RunningSandbox;
  /** The sandbox's data directory (the demo data, chatops.db). */
  dir: string;
  /** POSTs a page action (`/sandbox/command`, `/sandbox/press`, `/sandbox/clock`, …) and returns its JSON answer. */
  call(pathname: string, body: unknown): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** `npm run sandbox` in a temporary directory on any free port, quiet, as the page drives it. */
export async function startSandboxSession(prefix: string): Promise<SandboxSession> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const sandbox = await startSandbox({ dataDir: dir, port: 0, logLevel: 'silent' });
  return {
    sandbox,
    dir,
    async call(pathname, body) {
      const res = await fetch(new URL(pathname, sandbox.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return (await res.json()) as Record<string, unknown>;
    },
    async close() {
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
