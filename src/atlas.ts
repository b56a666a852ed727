#!/usr/bin/env node
/**
 * The `atlas` command (package.json bin): src/cli.ts, with `health`'s quick checks started
 * before the rest of the terminal is loaded (early-quick-check.ts). Only what starting them
 * needs is imported here; the CLI follows by a dynamic import, so the checks run on the second
 * core while the first loads it. `node dist/cli.js` runs the same commands without the head start.
 */
import { dropEarlyQuickChecks, startQuickChecksEarly } from './checks/early-quick-check.js';
import { QUICK_CHECK_REUSE_MS } from './checks/integrity.js';
import { isMainModule } from './is-main-module.js';

if (isMainModule(import.meta.url)) {
  // Each check is awaited by health, or stopped: none is left unhandled (startQuickChecksEarly).
  void startQuickChecksEarly(process.argv.slice(2), process.env, process.cwd(), new Date(), QUICK_CHECK_REUSE_MS);
  const { cliMain } = await import('./cli.js');
  await cliMain();
  // A command that ended before it needed them (a usage or config error) does not wait for them.
  dropEarlyQuickChecks();
}
