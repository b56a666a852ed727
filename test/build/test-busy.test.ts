import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/slack-harness.js';
import { tempDir } from '../helpers/test-deps.js';

const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/test-busy.mjs');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** CPU time `pid` has used, in clock ticks: utime + stime from /proc/<pid>/stat. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After "pid (name) ": state, ppid, …; utime and stime are the 12th and 13th from there.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * `npm run test:busy` (scripts/test-busy.mjs): a command with two CPU burners beside it for its
 * whole run; the burners stop when it ends, fails or is interrupted. Tried with a small command
 * in place of the suite.
 */
describe('scripts/test-busy.mjs', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir('atlas-test-busy-')));
  afterEach(() => cleanup());

  /** Starts the script with a command that waits for `go` to exist, then exits with `code`. */
  function startBusy(code: number) {
    const go = path.join(dir, 'go');
    const waiter = `const fs = require('node:fs'); const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(go)})) { clearInterval(t); process.exit(${code}); } }, 20);`;
    const child = spawn(process.execPath, [SCRIPT, '--', process.execPath, '-e', waiter], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (c, s) => resolve({ code: c, signal: s })));
    const burners = async () => {
      const line = await eventually(() => /pids ([\d, ]+)\)/.exec(stderr), 'the burners named');
      return line[1]!.split(', ').map(Number);
    };
    return { child, exited, burners, go: () => writeFileSync(go, ''), stderr: () => stderr };
  }

  it('burns CPU in two processes while the command runs, passes its exit code on, and stops them when it ends', async () => {
    const busy = startBusy(3);
    const pids = await busy.burners();
    expect(pids).toHaveLength(2);
    const before = pids.map(cpuTicks);
    await eventually(() => pids.every((pid, i) => cpuTicks(pid) > before[i]!), 'both burners using CPU');
    expect(existsSync(path.join(dir, 'go'))).toBe(false);
    busy.go();
    expect(await busy.exited).toEqual({ code: 3, signal: null });
    await eventually(() => pids.every((pid) => !alive(pid)), 'the burners stopped');
    expect(busy.stderr()).toMatch(/failed \(exit 3\) in \d+ s beside 2 CPU burners/);
  });

  it('stops the burners and the command when it is interrupted', async () => {
    const busy = startBusy(0);
    const pids = await busy.burners();
    busy.child.kill('SIGINT');
    const { code } = await busy.exited;
    expect(code).not.toBe(0);
    await eventually(() => pids.every((pid) => !alive(pid)), 'the burners stopped');
  });
});
