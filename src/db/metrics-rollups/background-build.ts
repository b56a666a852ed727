/**
 * Building the rollups off the answer path. A first build of a month (5 million rows) takes
 * 35-60 s on 2 cores, ten times one full scan of the table, so no question waits for it: the
 * question is answered from metrics.db's rows and a detached process builds the rollups
 * (build-rollups-process.ts), in the terminal as in the bot. Detached and unreferenced, it
 * outlives a terminal command that has printed its answer; its lock (build-lock.ts) keeps a
 * second one from starting while it runs.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildRunning } from './build-lock.js';

const ENTRY = new URL('./build-rollups-process.js', import.meta.url);

/** The builder's command line: the compiled entry (dist/), or its TypeScript source through tsx (tests). */
function builderArgs(metricsFile: string, rollupFile: string): { args: string[]; cwd: string } {
  const compiled = fileURLToPath(ENTRY);
  // The package root: three folders up from src/db/metrics-rollups or dist/db/metrics-rollups,
  // where `--import tsx` resolves.
  const cwd = path.resolve(path.dirname(compiled), '../../..');
  if (existsSync(compiled)) return { args: [compiled, metricsFile, rollupFile], cwd };
  return { args: ['--import', 'tsx', compiled.replace(/\.js$/, '.ts'), metricsFile, rollupFile], cwd };
}

/**
 * Starts a detached process building the rollups of `metricsFile` into `rollupFile`, unless one
 * is running. Returns whether one was started. Never throws: a build that cannot start leaves
 * the questions answered from the raw rows, as before it.
 */
export function startBackgroundBuild(metricsFile: string, rollupFile: string): boolean {
  if (buildRunning(rollupFile)) return false;
  try {
    const { args, cwd } = builderArgs(path.resolve(metricsFile), path.resolve(rollupFile));
    const child = spawn(process.execPath, args, { cwd, detached: true, stdio: 'ignore' });
    child.on('error', () => {
      // Could not start (no process slots): the next question tries again.
    });
    child.unref();
    return true;
  } catch {
    return false;
  }
}
