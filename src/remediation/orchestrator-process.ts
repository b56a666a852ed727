/**
 * Is the batch orchestrator running? Read from the process table (/proc/<pid>/cmdline) by a
 * substring of its command line (config `commands.orchestratorProcess`, default
 * `batch-orchestrator`). The bot's own process is never counted. Linux only: where /proc cannot
 * be read the answer is "unknown", and callers treat unknown as alive (writes may be happening).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export const DEFAULT_ORCHESTRATOR_PATTERN = 'batch-orchestrator';

export interface OrchestratorProcess {
  pid: number;
  /** The command line, arguments joined by spaces, at most 200 characters. */
  commandLine: string;
}

export type OrchestratorStatus =
  | { kind: 'alive'; processes: OrchestratorProcess[] }
  | { kind: 'not-running' }
  | { kind: 'unknown'; reason: string };

/** How a caller asks; tests and other platforms pass their own. */
export interface OrchestratorProbe {
  status(): Promise<OrchestratorStatus>;
  isOrchestratorAlive(): Promise<boolean>;
}

/** Every process whose command line contains `pattern`, from `procDir` (default /proc). */
export async function findOrchestratorProcesses(pattern: string, procDir = '/proc'): Promise<OrchestratorStatus> {
  if (!pattern) return { kind: 'unknown', reason: 'no orchestrator pattern is configured' };
  let names: string[];
  try {
    names = await readdir(procDir);
  } catch (err) {
    return { kind: 'unknown', reason: `${procDir} cannot be read (${(err as { code?: string }).code ?? 'error'})` };
  }
  const processes: OrchestratorProcess[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    let raw: Buffer;
    try {
      raw = await readFile(path.join(procDir, name, 'cmdline'));
    } catch {
      continue; // Ended between readdir and read, or not ours to read.
    }
    const commandLine = raw.toString('utf8').split('\0').filter(Boolean).join(' ');
    if (commandLine.includes(pattern)) processes.push({ pid, commandLine: commandLine.slice(0, 200) });
  }
  return processes.length > 0 ? { kind: 'alive', processes } : { kind: 'not-running' };
}

/** The probe over /proc for `pattern`. */
export function procOrchestratorProbe(pattern = DEFAULT_ORCHESTRATOR_PATTERN, procDir = '/proc'): OrchestratorProbe {
  const status = () => findOrchestratorProcesses(pattern, procDir);
  return {
    status,
    async isOrchestratorAlive() {
      return (await status()).kind !== 'not-running';
    },
  };
}

/** True when a process whose command line contains `pattern` runs, or when that cannot be known. */
export async function isOrchestratorAlive(pattern = DEFAULT_ORCHESTRATOR_PATTERN, procDir = '/proc'): Promise<boolean> {
  return (await findOrchestratorProcesses(pattern, procDir)).kind !== 'not-running';
}
