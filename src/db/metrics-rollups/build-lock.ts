/**
 * The lock of a background rollup build: a file beside the rollups (metrics-rollups.db.build-lock)
 * holding the builder's process id, created with O_EXCL so that one process holds it. Questions
 * asked meanwhile see it and answer from metrics.db's rows without touching the rollup file, so
 * none waits for a build. The lock only saves work: two processes catching up one file at once
 * still count every row once (SQLite's write lock orders their chunks).
 */
import { closeSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';

/**
 * A builder touches its lock after each few seconds of work; a lock left untouched this long
 * belongs to a process that died or hangs (or to a reused process id), and is taken over.
 */
export const BUILD_LOCK_STALE_MS = 120_000;

export function buildLockFile(rollupFile: string): string {
  return `${rollupFile}.build-lock`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists, it is another user's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock's holder when it is alive and touched recently; null for no lock or a stale one. */
function liveHolder(lock: string, nowMs: number): number | null {
  let pid: number;
  let touched: number;
  try {
    pid = Number.parseInt(readFileSync(lock, 'utf8'), 10);
    touched = statSync(lock).mtimeMs;
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0) {
    // Being written this instant (created, pid not yet in it): a fresh lock is someone's.
    return nowMs - touched < BUILD_LOCK_STALE_MS ? -1 : null;
  }
  return alive(pid) && nowMs - touched < BUILD_LOCK_STALE_MS ? pid : null;
}

/** Whether a live process is building these rollups now. */
export function buildRunning(rollupFile: string, nowMs = Date.now()): boolean {
  return liveHolder(buildLockFile(rollupFile), nowMs) !== null;
}

export interface BuildLock {
  /** Marks the build as alive (call between chunks of work). */
  touch(): void;
  /** Removes the lock if it is still this process's. */
  release(): void;
}

/** Takes the lock for this process; null when another live process holds it. A stale lock is taken over. */
export function acquireBuildLock(rollupFile: string, nowMs = Date.now()): BuildLock | null {
  const lock = buildLockFile(rollupFile);
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (liveHolder(lock, nowMs) !== null) return null;
      rmSync(lock, { force: true });
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    const mine = () => {
      try {
        return Number.parseInt(readFileSync(lock, 'utf8'), 10) === process.pid;
      } catch {
        return false;
      }
    };
    return {
      touch: () => {
        if (!mine()) return;
        const t = new Date();
        utimesSync(lock, t, t);
      },
      release: () => {
        if (mine()) rmSync(lock, { force: true });
      },
    };
  }
  return null;
}
