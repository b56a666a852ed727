/**
 * `npm run docs`: rewrites the generated documentation (docs/commands.md and the README's
 * quick-start block) from the command registry. `--check` only says which files are stale and
 * exits 1 when any is, as the drift test does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ALL_COMMANDS } from '../commands/index.js';
import type { CommandSpec } from '../commands/command-spec.js';
import { exitWith, isMainModule } from '../is-main-module.js';
import { commandReference, withQuickStart } from './command-reference.js';

export interface GeneratedDoc {
  /** Relative to the repository root. */
  file: string;
  /** What the file should hold. */
  expected: string;
  /** What it holds now ('' when missing). */
  actual: string;
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Each generated file with what it should hold and what it holds; nothing is written. */
export function generatedDocs(root: string, specs: readonly CommandSpec[] = ALL_COMMANDS): GeneratedDoc[] {
  const readme = readOrEmpty(path.join(root, 'README.md'));
  return [
    { file: 'docs/commands.md', expected: commandReference(specs), actual: readOrEmpty(path.join(root, 'docs/commands.md')) },
    { file: 'README.md', expected: withQuickStart(readme, specs), actual: readme },
  ];
}

export function writeDocs(root: string, check: boolean, out: (line: string) => void): number {
  let stale = 0;
  for (const doc of generatedDocs(root)) {
    if (doc.expected === doc.actual) {
      out(`${doc.file}: up to date\n`);
      continue;
    }
    stale++;
    if (check) {
      out(`${doc.file}: stale; run npm run docs\n`);
      continue;
    }
    writeFileSync(path.join(root, doc.file), doc.expected, 'utf8');
    out(`${doc.file}: rewritten from the command registry\n`);
  }
  return check && stale > 0 ? 1 : 0;
}

if (isMainModule(import.meta.url)) {
  exitWith(Promise.resolve(writeDocs(process.cwd(), process.argv.includes('--check'), (line) => process.stdout.write(line))), 'docs', 1);
}
