// Runs a built entry point (`node scripts/run-built.mjs dist/main.js [args]`) after building only
// when a source is newer than the last build: a second `npm start` with nothing changed skips
// the compiler altogether (docs/benchmarks.md has the numbers). When something changed,
// `tsc --build` compiles what changed (tsconfig.build.json keeps its incremental information in
// dist/.tsbuildinfo).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILD_INFO = path.join(root, 'dist', '.tsbuildinfo');
/**
 * The newest input time (ms) the last build here started from, as a number in a file: a file's
 * modification time cannot carry it exactly (Node lines round it differently), and tsc leaves its
 * own build information alone when no output changed.
 */
const BUILT_FROM = path.join(root, 'dist', '.built-from');
/** What the build reads besides src/: a change to any of them means a build. */
const BUILD_INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

/** The newest modification time under `dir`, in ms (0 when it does not exist). */
function newestUnder(dir) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestUnder(full));
    else newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

function mtimeOf(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** The newest modification time of what the build reads (src/ and the build settings), in ms. */
function newestInput() {
  return Math.max(newestUnder(path.join(root, 'src')), ...BUILD_INPUTS.map((f) => mtimeOf(path.join(root, f))));
}

function builtFrom() {
  try {
    return Number(readFileSync(BUILT_FROM, 'utf8'));
  } catch {
    return 0;
  }
}

/** Whether dist/ is older than any source (or missing). */
export function buildIsStale() {
  const from = builtFrom();
  return mtimeOf(BUILD_INFO) === 0 || !(from > 0) || newestInput() > from;
}

function build() {
  // Measured before the build: a file edited while it runs is newer than what it was built from.
  const inputs = newestInput();
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '--build', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`The build failed (tsc exit ${result.status ?? result.signal}); nothing was started.\n`);
    process.exit(1);
  }
  writeFileSync(BUILT_FROM, String(inputs));
}

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  process.stderr.write('usage: node scripts/run-built.mjs <dist/entry.js> [args…]\n');
  process.exit(64);
}
if (buildIsStale()) build();
// The entry runs in this process, as if node had been started with it: it checks process.argv[1]
// to know it is the main module, and signals (Ctrl-C, SIGTERM) reach it directly.
const entryPath = path.resolve(root, entry);
process.argv.splice(1, process.argv.length - 1, entryPath, ...args);
await import(pathToFileURL(entryPath).href);
