/**
 * The one way the bot runs a program: an argument array without a shell, placeholders filled
 * inside single arguments, a time bound that kills the whole process group, output bounded to
 * its tail.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildConfig, ConfigError, loadConfig } from '../../src/config.js';
import { argumentValueProblem, describeRun, fillPlaceholders, outputTail, placeholdersOf, runCommand, UnsafeArgumentError } from '../../src/remediation/external-command.js';
import { eventually } from '../helpers/slack-harness.js';
import { tempDir } from '../helpers/test-deps.js';

const node = process.execPath;
let dirs: { cleanup: () => void }[] = [];
afterEach(() => {
  for (const d of dirs) d.cleanup();
  dirs = [];
});

/** Running (a zombie nobody reaped yet is not: in a container, PID 1 may never reap it). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

describe('runCommand', () => {
  it('runs without a shell: metacharacters in an argument stay one argument', async () => {
    const { dir, cleanup } = tempDir();
    dirs.push({ cleanup });
    const evil = `x'; touch ${path.join(dir, 'pwned')}; echo "$(id)" \`id\` | cat > /dev/null && ../../etc/passwd`;
    const run = await runCommand([node, '-e', 'console.log(JSON.stringify(process.argv.slice(1)))', '--', evil, '--job={jobId}'], { timeoutMs: 10_000, placeholders: { jobId: 'job-1' } });
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.output)).toEqual([evil, '--job=job-1']);
    expect(existsSync(path.join(dir, 'pwned'))).toBe(false);
  });

  it('never substitutes a value that could be read as an option or a path, whatever its source: nothing is started', async () => {
    const { dir, cleanup } = tempDir();
    dirs.push({ cleanup });
    const marker = path.join(dir, 'started');
    const argv = [node, '-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x')`, '{snapshotId}'];
    for (const value of [`-o${path.join(dir, 'x')}`, '--help', '-', '', '../etc', 'a/b', "x'; id", 'snap..1', 'x'.repeat(129), 'snäp']) {
      expect(argumentValueProblem(value), value).not.toBeNull();
      expect(() => runCommand(argv, { timeoutMs: 5000, placeholders: { snapshotId: value } })).toThrow(UnsafeArgumentError);
    }
    expect(argumentValueProblem('-rf')).toBe('it starts with "-", so the program could read it as an option');
    expect(existsSync(marker)).toBe(false);
    for (const value of ['snap-1', 'job-mbx3k2a1-1a2b3c4d', '0f3c.v2_final', 'a'.repeat(128)]) expect(argumentValueProblem(value), value).toBeNull();
  });

  it('captures stdout and stderr with the exit status, and passes none of the bot\'s secrets', async () => {
    process.env.SLACK_BOT_TOKEN_TEST_LEAK = 'xoxb-secret';
    const run = await runCommand([node, '-e', 'console.log("out"); console.error("err", process.env.SLACK_BOT_TOKEN_TEST_LEAK ?? "none"); process.exit(3)'], { timeoutMs: 10_000 });
    delete process.env.SLACK_BOT_TOKEN_TEST_LEAK;
    expect(run.exitCode).toBe(3);
    expect(run.timedOut).toBe(false);
    expect(run.output).toContain('out');
    expect(run.output).toContain('err none');
    expect(describeRun(run, 10_000)).toMatch(/^exit status 3 after \d+\.\d s$/);
  });

  it('keeps only the tail of a large output', async () => {
    const run = await runCommand([node, '-e', 'for (let i = 0; i < 20000; i++) console.log("line " + i + " é")'], { timeoutMs: 10_000, maxOutputBytes: 1000 });
    expect(run.exitCode).toBe(0);
    expect(Buffer.byteLength(run.output)).toBeLessThanOrEqual(1000);
    expect(run.output.trimEnd().endsWith('line 19999 é')).toBe(true);
    expect(run.droppedBytes).toBeGreaterThan(100_000);
    expect(run.output).not.toContain('\uFFFD');
    expect(outputTail(run.output, 3)).toBe('line 19997 é\nline 19998 é\nline 19999 é');
  });

  it('kills a command that hangs at its bound, its whole process group with it', async () => {
    const { dir, cleanup } = tempDir();
    dirs.push({ cleanup });
    const pidFile = path.join(dir, 'grandchild.pid');
    // The child starts a grandchild that ignores SIGTERM, then both hang.
    const script = `
      const { spawn } = require('node:child_process');
      const g = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(g.pid));
      process.on('SIGTERM', () => {});
      console.log('started');
      setInterval(() => {}, 1000);`;
    // The bound leaves a busy machine time to start node and the grandchild; both then hang for
    // good, so runCommand returning at all is the bound killing them (no stopwatch).
    const run = await runCommand([node, '-e', script], { timeoutMs: 10_000, killGraceMs: 300 });
    expect(run.timedOut).toBe(true);
    expect(run.exitCode).toBeNull();
    expect(run.signal).toBe('SIGKILL');
    expect(run.output).toContain('started');
    expect(describeRun(run, 10_000)).toContain('killed with its process group at its 10 s time bound');
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    await eventually(() => !alive(grandchild), 'the grandchild killed with the group');
  });

  it('says when the program cannot be started', async () => {
    const run = await runCommand(['/nonexistent/stop-jobs', '--now'], { timeoutMs: 5000 });
    expect(run.spawnError).toMatch(/could not be started \(ENOENT\)/);
    expect(run.exitCode).toBeNull();
  });

  it('fills placeholders only where they are, and refuses one without a value', () => {
    expect(fillPlaceholders(['resume', '{jobId}', 'x{jobId}y'], { jobId: 'a.b' })).toEqual(['resume', 'a.b', 'xa.by']);
    expect(() => fillPlaceholders(['{snapshotId}'], { jobId: 'j' })).toThrow(/snapshotId/);
    expect(placeholdersOf(['a', '{jobId}', '--{jobId}'])).toEqual(['jobId']);
  });
});

describe('commands config', () => {
  it('defaults: nothing runs, the orchestrator pattern is the guide\'s', () => {
    const c = buildConfig('/tmp/x');
    expect(c.commands).toEqual({ orchestratorProcess: 'batch-orchestrator', timeoutSeconds: 120 });
  });

  it('takes argument arrays with their own placeholder only, and names the key otherwise', () => {
    const c = buildConfig('/tmp/x', { commands: { resumeJob: ['npx', 'tsx', 'resume.ts', '{jobId}'], uploadSnapshot: ['up', '--id={snapshotId}'], stopJobs: ['systemctl', 'stop', 'atlas-orchestrator'] } });
    expect(c.commands.resumeJob).toEqual(['npx', 'tsx', 'resume.ts', '{jobId}']);
    const bad = (commands: unknown) => {
      const { dir, cleanup } = tempDir();
      dirs.push({ cleanup });
      writeFileSync(path.join(dir, 'c.yml'), JSON.stringify({ commands }));
      try {
        loadConfig({ ATLAS_CONFIG: 'c.yml' }, dir);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(bad({ resumeJob: 'npx tsx resume.ts {jobId}' })).toMatch(/commands\.resumeJob: /);
    expect(bad({ resumeJob: ['resume.sh'] })).toMatch(/commands\.resumeJob: an argument with \{jobId\}/);
    expect(bad({ resumeJob: ['resume.sh', '{snapshotId}'] })).toMatch(/commands\.resumeJob: only \{jobId\} placeholder \(got \{snapshotId\}\)/);
    expect(bad({ stopJobs: ['stop.sh', '{jobId}'] })).toMatch(/commands\.stopJobs: only no placeholders/);
    expect(bad({ stopJobs: [] })).toMatch(/commands\.stopJobs: an argument array/);
    expect(bad({ stopJobs: ['stop.sh', ''] })).toMatch(/commands\.stopJobs\.1: a non-empty argument/);
    expect(bad({ orchestratorProcess: '' })).toMatch(/commands\.orchestratorProcess/);
    expect(bad({ timeoutSeconds: 0 })).toMatch(/commands\.timeoutSeconds: seconds from 1 to 3600/);
    expect(bad({ shell: 'rm -rf /' })).toMatch(/commands: /);
  });
});
