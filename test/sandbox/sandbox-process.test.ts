/**
 * `npm run sandbox`'s entry point as its own process: it prints one URL, serves the page there,
 * and stops on SIGTERM (or Ctrl-C) with a page still connected to its live events.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cwd = mkdtempSync(path.join(tmpdir(), 'atlas-sandbox-cli-'));

afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('npm run sandbox (src/sandbox/run-sandbox.ts)', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('prints its URL and stops on %s with a page connected', async (signal) => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(ROOT, 'src/sandbox/run-sandbox.ts')], {
      cwd,
      env: { PATH: process.env.PATH, SANDBOX_PORT: '0', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, sig) => resolve({ code, signal: sig })));
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /^Shadow Atlas sandbox: (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(out);
        if (m) {
          clearInterval(timer);
          resolve(m[1] as string);
        }
      }, 20);
      void exited.then(() => {
        clearInterval(timer);
        reject(new Error(`the sandbox exited before printing its URL: ${err}`));
      });
    });
    expect(out.split('\n')[0]).toBe(`Shadow Atlas sandbox: ${url}`);
    expect(existsSync(path.join(cwd, 'demo-data/sandbox/metrics.db'))).toBe(true);

    const page = await fetch(url);
    expect(page.status).toBe(200);
    const events = await fetch(new URL('/sandbox/events', url));
    const reader = events.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('retry:');

    child.kill(signal);
    // Without the fix the live-events stream kept the process up for good; the deadline is 9 s.
    expect(await exited).toEqual({ code: 0, signal: null });
    await reader.cancel().catch(() => undefined);
    expect(err).toBe('');
  });
});
