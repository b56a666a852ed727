/**
 * The background rollup builder (started by background-build.ts): argv = metrics.db, rollup
 * file. Takes the build lock or exits at once (another is building), then catches the rollups
 * up to the newest row of metrics.db in slices of a few seconds, touching the lock between
 * them, and exits. It runs below normal CPU priority, so on 2 cores the questions answered
 * meanwhile from the raw rows, and Slack's acknowledgements, win.
 */
import { setPriority } from 'node:os';
import { AtlasDatabase } from '../atlas-database.js';
import { acquireBuildLock } from './build-lock.js';
import { MetricsRollups } from './metrics-rollups.js';

/** Work between two touches of the lock, well under BUILD_LOCK_STALE_MS even on a loaded machine. */
const SLICE_MS = 5_000;

/** As the metrics readers (metrics-reader-worker.ts): below the bot's event loop. */
const BUILDER_NICE = 10;

/** How long the builder waits for the service's write lock on metrics.db between its chunks. */
const BUSY_TIMEOUT_MS = 5_000;

function main(argv: readonly string[]): number {
  const [metricsFile, rollupFile] = argv;
  if (!metricsFile || !rollupFile) return 64;
  try {
    setPriority(0, BUILDER_NICE);
  } catch {
    // Not allowed here: build at the normal priority.
  }
  const lock = acquireBuildLock(rollupFile);
  if (!lock) return 0;
  const atlas = new AtlasDatabase(metricsFile, undefined, BUSY_TIMEOUT_MS);
  const rollups = new MetricsRollups(rollupFile);
  try {
    for (;;) {
      const result = rollups.catchUp(atlas.connection(), SLICE_MS);
      lock.touch();
      if (result.ready) return 0;
    }
  } catch {
    // metrics.db unreadable or the rollups unwritable: the questions keep answering from the
    // raw rows, and the next one that finds the rollups behind starts another build.
    return 1;
  } finally {
    rollups.close();
    atlas.close();
    lock.release();
  }
}

process.exitCode = main(process.argv.slice(2));
