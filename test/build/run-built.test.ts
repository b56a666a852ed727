import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, renameSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/test-deps.js';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');
const DECLARE = 'declare const console: { log(s: string): void };\ndeclare const process: { argv: string[] };\n';

/**
 * `npm start`, `npm run sandbox` and `npm run demo` go through scripts/run-built.mjs: it builds
 * only when a source is newer than the last build. Tried on a one-file project next to a copy of
 * the script, so the real dist/ is never touched.
 */
describe('scripts/run-built.mjs (fast restarts)', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir('atlas-run-built-'));
    mkdirSync(path.join(dir, 'scripts'));
    mkdirSync(path.join(dir, 'src'));
    copyFileSync(path.join(repo, 'scripts/run-built.mjs'), path.join(dir, 'scripts/run-built.mjs'));
    symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'));
    writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2023', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023'], strict: true, types: [] } }),
    );
    // The same build settings as the project's tsconfig.build.json.
    writeFileSync(
      path.join(dir, 'tsconfig.build.json'),
      JSON.stringify({ extends: './tsconfig.json', compilerOptions: { rootDir: 'src', outDir: 'dist', incremental: true, tsBuildInfoFile: 'dist/.tsbuildinfo' }, include: ['src'] }),
    );
    writeFileSync(
      path.join(dir, 'src/main.ts'),
      // Its own declarations: no @types/node to load keeps the build small.
      `${DECLARE}console.log(\`v1 \${process.argv.slice(2).join(' ')} main=\${process.argv[1]?.endsWith('main.js')}\`);\n`,
    );
  });
  afterEach(() => cleanup());

  const start = (...args: string[]) => run(process.execPath, ['scripts/run-built.mjs', 'dist/main.js', ...args], { cwd: dir });

  it('builds when there is no build, then runs the built entry as the main module with its arguments', async () => {
    const { stdout } = await start('--flag', 'x');
    expect(stdout).toBe('v1 --flag x main=true\n');
    expect(statSync(path.join(dir, 'dist/.tsbuildinfo')).isFile()).toBe(true);
  }, 240_000);

  it('does not run the compiler when nothing changed, and rebuilds when a source is newer than the build', async () => {
    await start();
    // Without the compiler at hand, a start that needed it would fail.
    renameSync(path.join(dir, 'node_modules'), path.join(dir, 'node_modules.away'));
    expect((await start()).stdout).toBe('v1  main=true\n');
    renameSync(path.join(dir, 'node_modules.away'), path.join(dir, 'node_modules'));

    writeFileSync(path.join(dir, 'src/main.ts'), `${DECLARE}console.log('v2');\n`);
    const later = new Date(statSync(path.join(dir, 'dist/.tsbuildinfo')).mtimeMs + 2000);
    utimesSync(path.join(dir, 'src/main.ts'), later, later);
    expect((await start()).stdout).toBe('v2\n');
  }, 240_000);

  it('rebuilds when a build setting changed though no source did, and then starts without the compiler', async () => {
    await start();
    const later = new Date(statSync(path.join(dir, 'dist/.tsbuildinfo')).mtimeMs + 2000);
    utimesSync(path.join(dir, 'tsconfig.json'), later, later);
    expect((await start()).stdout).toBe('v1  main=true\n');
    renameSync(path.join(dir, 'node_modules'), path.join(dir, 'node_modules.away'));
    expect((await start()).stdout).toBe('v1  main=true\n');
  }, 240_000);
});
