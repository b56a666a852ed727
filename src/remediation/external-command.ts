/**
 * Runs one external command that the config names (`commands.*`), the only way the bot runs a
 * program: an argument array, never a shell string; placeholders such as `{jobId}` are filled
 * inside single arguments (a value with spaces, quotes or `;` stays one argument and means
 * nothing to anyone); a time bound that kills the whole process group (SIGTERM, then SIGKILL);
 * output captured from stdout and stderr together, bounded to its last bytes.
 *
 *   const run = await runCommand(config.commands.resumeJob, { timeoutMs: 120_000, placeholders: { jobId } });
 *   if (run.spawnError) …; else if (run.timedOut) …; else run.exitCode, outputTail(run.output)
 */
import { spawn } from 'node:child_process';

export interface RunOptions {
  /** Killed (its whole process group) after this long. */
  timeoutMs: number;
  /** Output kept, from the end (default 64 KiB). */
  maxOutputBytes?: number;
  /** `{name}` in any argument is replaced by the value, within that argument. */
  placeholders?: Record<string, string>;
  /** Working directory (default the bot's). */
  cwd?: string;
  /** Extra environment; the child gets only PATH, HOME, USER, LANG, LC_ALL, TZ from the bot's (never its Slack tokens). */
  env?: Record<string, string>;
  /** Between SIGTERM and SIGKILL at the time bound (default 2 s). */
  killGraceMs?: number;
}

export interface CommandRun {
  /** The arguments as run (placeholders filled). */
  argv: string[];
  /** The exit status; null when killed by a signal or never started. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** True when the time bound killed it. */
  timedOut: boolean;
  /** Set when the program could not be started (ENOENT, EACCES): one clause. */
  spawnError: string | null;
  durationMs: number;
  /** stdout and stderr as they came, the last maxOutputBytes of them. */
  output: string;
  /** Bytes dropped from the front of the output. */
  droppedBytes: number;
}

const PASSED_ENV = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ'] as const;
/** After the program exits, how long its pipes may stay open (a background grandchild holding them). */
const PIPE_GRACE_MS = 1000;

/** A placeholder in an argument: `{jobId}`. */
const PLACEHOLDER = /\{([A-Za-z]+)\}/g;

/**
 * The one rule for every value put into an external command, wherever it came from (typed, read
 * from persistence.db, a job file or a webhook): an id of letters, digits, ".", "-" and "_",
 * starting with a letter or digit, at most 128 characters, no "..". A value starting with "-"
 * could be read as an option (`sort -o<path>`), one with "/" or ".." as a path: neither is
 * ever substituted.
 */
const SAFE_VALUE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Why `value` may not be put into an external command (a phrase), or null when it may. */
export function argumentValueProblem(value: string): string | null {
  if (SAFE_VALUE.test(value) && !value.includes('..')) return null;
  if (value.startsWith('-')) return 'it starts with "-", so the program could read it as an option';
  if (value.length === 0) return 'it is empty';
  if (value.length > 128) return `it is ${value.length} characters (at most 128)`;
  return 'it holds characters other than letters, digits, ".", "-" and "_" (or "..", or does not start with a letter or digit)';
}

/** A value refused by argumentValueProblem: nothing was run. */
export class UnsafeArgumentError extends Error {
  override name = 'UnsafeArgumentError';
  constructor(
    readonly placeholder: string,
    readonly value: string,
    readonly problem: string,
  ) {
    super(`the value for {${placeholder}} cannot be passed to a command: ${problem}`);
  }
}

/**
 * Fills `{name}` placeholders inside each argument; throws when one has no value, and
 * UnsafeArgumentError when a value breaks the one rule (argumentValueProblem).
 */
export function fillPlaceholders(argv: readonly string[], values: Record<string, string> = {}): string[] {
  return argv.map((arg) =>
    arg.replace(PLACEHOLDER, (_, name: string) => {
      const value = values[name];
      if (value === undefined) throw new Error(`no value for the placeholder {${name}}`);
      const problem = argumentValueProblem(value);
      if (problem) throw new UnsafeArgumentError(name, value, problem);
      return value;
    }),
  );
}

/** The placeholders an argument array uses. */
export function placeholdersOf(argv: readonly string[]): string[] {
  return [...new Set(argv.flatMap((a) => [...a.matchAll(PLACEHOLDER)].map((m) => m[1]!)))];
}

/** Keeps the last `max` bytes written to it. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  dropped = 0;
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.max && this.chunks.length > 0) {
      const over = this.size - this.max;
      const first = this.chunks[0]!;
      if (first.length <= over) {
        this.chunks.shift();
        this.size -= first.length;
        this.dropped += first.length;
      } else {
        this.chunks[0] = first.subarray(over);
        this.size -= over;
        this.dropped += over;
      }
    }
  }
  text(): string {
    let buf = Buffer.concat(this.chunks);
    // A cut in the middle of a UTF-8 character: start at the next character.
    if (this.dropped > 0) {
      let i = 0;
      while (i < buf.length && i < 4 && (buf[i]! & 0xc0) === 0x80) i++;
      buf = buf.subarray(i);
    }
    return buf.toString('utf8');
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

/**
 * Runs `argv` (placeholders filled) without a shell, in its own process group, bounded in time
 * and output. Never rejects for what the program does (a missing program, a crash, a hang):
 * the result says it. Throws only for a placeholder without a value, a value that breaks the
 * one rule (UnsafeArgumentError: nothing is started) or an empty argv.
 */
export function runCommand(argv: readonly string[], opts: RunOptions): Promise<CommandRun> {
  if (argv.length === 0) throw new Error('an external command needs at least the program');
  const args = fillPlaceholders(argv, opts.placeholders);
  const env: Record<string, string> = {};
  for (const key of PASSED_ENV) if (process.env[key] !== undefined) env[key] = process.env[key]!;
  Object.assign(env, opts.env ?? {});
  const tail = new TailBuffer(opts.maxOutputBytes ?? 64 * 1024);
  const started = performance.now();

  return new Promise((resolve) => {
    let timedOut = false;
    let spawnError: string | null = null;
    let settled = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    const timers: NodeJS.Timeout[] = [];

    const child = spawn(args[0]!, args.slice(1), {
      shell: false,
      detached: true,
      cwd: opts.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });

    const finish = () => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve({
        argv: args,
        exitCode: exit?.code ?? null,
        signal: exit?.signal ?? null,
        timedOut,
        spawnError,
        durationMs: Math.round(performance.now() - started),
        output: tail.text(),
        droppedBytes: tail.dropped,
      });
    };

    child.stdout?.on('data', (c: Buffer) => tail.push(c));
    child.stderr?.on('data', (c: Buffer) => tail.push(c));
    child.once('error', (err: NodeJS.ErrnoException) => {
      // Spawn failures (ENOENT, EACCES) come here, with no exit.
      spawnError = `${args[0]} could not be started (${err.code ?? err.message})`;
      finish();
    });
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      // The pipes close when every process holding them is gone; a background grandchild may keep them.
      timers.push(setTimeout(finish, PIPE_GRACE_MS).unref());
    });
    child.once('close', finish);

    timers.push(
      setTimeout(() => {
        if (exit || settled) return;
        timedOut = true;
        killGroup(child.pid, 'SIGTERM');
        timers.push(
          setTimeout(() => {
            killGroup(child.pid, 'SIGKILL');
            // Whatever escaped the group (setsid) must not hold the answer: stop waiting shortly after.
            timers.push(setTimeout(finish, PIPE_GRACE_MS));
          }, opts.killGraceMs ?? 2000),
        );
      }, opts.timeoutMs),
    );
  });
}

/** The last `maxLines` lines of an output, at most `maxChars` characters, for a message. */
export function outputTail(output: string, maxLines = 15, maxChars = 1500): string {
  const lines = output.replace(/\s+$/, '').split(/\r?\n/);
  let text = lines.slice(-maxLines).join('\n');
  if (text.length > maxChars) text = `…${text.slice(-(maxChars - 1))}`;
  return text;
}

/** One clause for how a run ended: "exit status 0 after 3.2 s", "killed at its 120 s bound". */
export function describeRun(run: CommandRun, timeoutMs: number): string {
  const took = `${(run.durationMs / 1000).toFixed(1)} s`;
  if (run.spawnError) return run.spawnError;
  if (run.timedOut) return `killed with its process group at its ${Math.round(timeoutMs / 1000)} s time bound`;
  if (run.exitCode !== null) return `exit status ${run.exitCode} after ${took}`;
  return `ended by signal ${run.signal ?? 'unknown'} after ${took}`;
}
