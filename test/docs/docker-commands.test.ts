/**
 * The Docker commands in docs/deployment.md work as written from a clean checkout: every variable
 * a `docker run` line names is one the bot reads (or .env.example lists), every file it mounts from
 * the checkout exists there or is made by a step the page gives before it, the mounts land where
 * the image reads, the image starts on environment variables alone, and its health check has a
 * start period. No Docker engine runs here: the Dockerfile is read, not built.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { tempDir } from '../helpers/test-deps.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** The shell commands of the page's Docker section, in order, continuation lines joined. */
function dockerSectionCommands(markdown: string): string[] {
  const section = markdown.slice(markdown.indexOf('\n# Docker\n'));
  const end = section.indexOf('\n# ', 1);
  const body = end === -1 ? section : section.slice(0, end);
  const commands: string[] = [];
  for (const block of body.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const joined = block[1]!.replace(/\\\n\s*/g, ' ');
    for (const line of joined.split('\n')) {
      const command = line.replace(/\s+#.*$/, '').trim();
      if (command) commands.push(command);
    }
  }
  return commands;
}

/** Shell words, with "…" and '…' quoting (enough for the page's commands). */
function words(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/** The image's ENV, as the Dockerfile's final stage sets it. */
function imageEnv(dockerfile: string): Record<string, string> {
  const stages = dockerfile.split(/^FROM /m);
  const last = stages[stages.length - 1]!.replace(/\\\n\s*/g, ' ');
  const env: Record<string, string> = {};
  for (const line of last.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const m of line.slice(4).matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[m[1]!] = m[2]!;
  }
  return env;
}

/** Every .ts file under src/, as text: a variable the bot reads is named in one of them. */
function sourceText(): string {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.ts')) out.push(readFileSync(full, 'utf8'));
    }
  };
  walk(path.join(ROOT, 'src'));
  return out.join('\n');
}

const commands = dockerSectionCommands(read('docs/deployment.md'));
const runs = commands.filter((c) => c.startsWith('docker run '));
const dockerfile = read('Dockerfile');
const env = imageEnv(dockerfile);
const workdir = /^WORKDIR (\S+)/m.exec(dockerfile.split(/^FROM /m).at(-1)!)?.[1];

describe('the Docker commands in docs/deployment.md', () => {
  it('builds the image the run lines start', () => {
    const build = commands.find((c) => c.startsWith('docker build '));
    expect(build).toBeDefined();
    const tag = words(build!)[words(build!).indexOf('-t') + 1];
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (const run of runs) expect(words(run).at(-1), run).toBe(tag);
  });

  it('names only variables the bot reads or .env.example lists', () => {
    const source = sourceText();
    const listed = new Set([...read('.env.example').matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
    for (const run of runs) {
      const w = words(run);
      const names = w.flatMap((word, i) => (word === '-e' || word === '--env' ? [w[i + 1]!.split('=')[0]!] : []));
      expect(names.length, run).toBeGreaterThan(0);
      for (const name of names) {
        const read = new RegExp(`\\b${name}\\b`).test(source);
        expect(read || listed.has(name), `${name} in: ${run}`).toBe(true);
      }
    }
  });

  it('mounts files from the checkout that exist in a clean checkout or that a step above makes, where the image reads them', () => {
    // The files of a clean checkout: git's list; in a copy without .git (CI's run under another
    // Node line copies the clean clone without it), the files that are there.
    let tracked: { has(file: string): boolean };
    try {
      tracked = new Set(execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n'));
    } catch {
      tracked = { has: (file: string) => existsSync(path.join(ROOT, file)) };
    }
    for (const run of runs) {
      const before = commands.slice(0, commands.indexOf(run));
      const w = words(run);
      const mounts = w.flatMap((word, i) => (word === '-v' || word === '--volume' ? [w[i + 1]!] : []));
      for (const mount of mounts) {
        const [from, to] = mount.split(':');
        if (from!.startsWith('$PWD/')) {
          const file = from!.slice('$PWD/'.length);
          const made = before.some((c) => {
            const cw = words(c);
            return (cw[0] === 'cp' || cw[0] === 'touch') && cw.at(-1) === file && (cw[0] === 'touch' || tracked.has(cw[1]!));
          });
          expect(tracked.has(file) || made, `${file} (${run})`).toBe(true);
          // The config file lands where the bot looks with the image's environment.
          expect(to, mount).toBe(path.posix.resolve(workdir!, env.ATLAS_CONFIG ?? 'atlas.config.yml'));
        } else {
          // The service's data directory (the operator's path) lands on the image's data directory.
          expect(path.isAbsolute(from!), mount).toBe(true);
          expect(to, mount).toBe(env.ATLAS_DATA_DIR);
        }
      }
    }
  });
});

describe('the image', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir('atlas-docker-')));
  afterEach(() => cleanup());

  const slack = { SLACK_BOT_TOKEN: 'xoxb-1234567890-abcdefghij', SLACK_SIGNING_SECRET: 'a'.repeat(32) };

  it('starts on environment variables alone: no config file is needed', () => {
    const config = loadConfig({ ...env, ...slack }, dir);
    expect(config.configPath).toBeNull();
    expect(config.dataDir).toBe(env.ATLAS_DATA_DIR);
  });

  it('reads the config file mounted as the page says, made from the example', () => {
    copyFileSync(path.join(ROOT, 'atlas.config.example.yml'), path.join(dir, 'atlas.config.yml'));
    expect(loadConfig({ ...env, ...slack }, dir).configPath).toBe(path.join(dir, 'atlas.config.yml'));
  });

  it('has a health check with a start period, so a slow start is not counted as unhealthy', () => {
    const check = /^HEALTHCHECK .*$/m.exec(dockerfile)?.[0];
    expect(check).toMatch(/--start-period=\d+s/);
    expect(Number(/--start-period=(\d+)s/.exec(check!)![1])).toBeGreaterThanOrEqual(30);
  });
});
