// `npm run test:busy`: the whole suite (`npm test`) with two CPU-burning processes beside it for
// its whole run (`node scripts/test-busy.mjs -- <command> [args…]` runs another command instead), as on a CI machine or a laptop doing other work. A test that fails only here
// depends on how fast the machine is, which is a wrong test (docs/tests.md).
//
// No shell strings: npm and the burners are started with argument arrays. The burners stop when
// the suite ends, fails, or is interrupted (Ctrl-C, SIGTERM), and on their own should this
// process die without cleaning up (they watch that their parent is still there).
import { spawn } from 'node:child_process';

const BURNERS = 2;
// Spins for ever; checks twice a second that its parent is still this script, and exits when it
// is not (a dead parent's children are handed to another process; a signal-0 probe would still
// find the dead parent until it is reaped).
const BURN = `
const parent = Number(process.argv[1]);
let last = Date.now();
for (;;) {
  if (Date.now() - last > 500) {
    last = Date.now();
    if (process.ppid !== parent) process.exit(0);
  }
}`;

const burners = Array.from({ length: BURNERS }, () => spawn(process.execPath, ['-e', BURN, String(process.pid)], { stdio: 'ignore' }));
const stopBurners = () => {
  for (const burner of burners) if (burner.exitCode === null && burner.signalCode === null) burner.kill('SIGKILL');
};
process.on('exit', stopBurners);

const dashes = process.argv.indexOf('--');
const given = dashes === -1 ? [] : process.argv.slice(dashes + 1);
// npm's own JavaScript entry, run by this Node (npm_execpath is set when started by npm run).
const npmCli = process.env.npm_execpath;
const [command, ...args] = given.length > 0 ? given : npmCli ? [process.execPath, npmCli, 'test'] : ['npm', 'test'];
const shown = given.length > 0 ? given.join(' ') : 'npm test';

const started = Date.now();
process.stderr.write(`test:busy: ${BURNERS} CPU burners running (pids ${burners.map((b) => b.pid).join(', ')}); running ${shown}\n`);
const suite = spawn(command, args, { stdio: 'inherit' });

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    // Ctrl-C reaches the suite too (same process group); SIGTERM from elsewhere is passed on.
    if (suite.exitCode === null) suite.kill(signal);
    stopBurners();
  });
}

suite.on('exit', (code, signal) => {
  stopBurners();
  const took = ((Date.now() - started) / 1000).toFixed(0);
  process.stderr.write(`test:busy: ${shown} ${code === 0 ? 'passed' : `failed (${signal ?? `exit ${code}`})`} in ${took} s beside ${BURNERS} CPU burners\n`);
  process.exit(code ?? 1);
});
