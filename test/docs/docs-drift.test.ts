/**
 * Documentation that cannot drift from the code: the generated reference is current, every
 * environment variable the code reads is in .env.example and the README, every config key is in
 * atlas.config.example.yml, and every usage form the Slack manifest shows parses.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { ALL_COMMANDS, createRegistry } from '../../src/commands/index.js';
import { tokenize } from '../../src/commands/tokenize.js';
import { buildConfig, envSchema, fileConfigSchema } from '../../src/config.js';
import { examplesOf, QUICK_START_COMMANDS } from '../../src/docs/command-reference.js';
import { generatedDocs } from '../../src/docs/write-docs.js';
import { sandboxEnvSchema } from '../../src/sandbox/run-sandbox.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const registry = createRegistry(createAuthorizer(buildConfig(root)));

/** Variables the code reads from the operating system, not settings of the bot. */
const OS_VARIABLES = new Set(['USER', 'HOME', 'PATH', 'LANG', 'LC_ALL', 'TZ', 'COLUMNS']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return name === 'page' ? [] : sourceFiles(file);
    return /\.(ts|js)$/.test(name) ? [file] : [];
  });
}

/** `process.env.X`, `process.env['X']`, `env.X` and `env['X']` anywhere under src/. */
function envReadsInSource(): Set<string> {
  const names = new Set<string>();
  for (const file of sourceFiles(path.join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]+)\b|\[['"]([A-Z][A-Z0-9_]+)['"]\])/g)) names.add((m[1] ?? m[2]) as string);
  }
  return names;
}

function schemaKeys(schema: z.ZodType): string[] {
  return Object.keys((schema as z.ZodObject).shape);
}

/** The object shape under a schema, through optional, default, pipes and arrays; null for a leaf. */
function shapeOf(schema: z.ZodType): Record<string, z.ZodType> | null {
  const def = (schema as unknown as { def: Record<string, unknown> & { type: string } }).def;
  switch (def.type) {
    case 'object':
      return (schema as z.ZodObject).shape as Record<string, z.ZodType>;
    case 'optional':
    case 'default':
    case 'nullable':
    case 'readonly':
    case 'catch':
    case 'prefault':
      return shapeOf(def.innerType as z.ZodType);
    case 'pipe':
      return shapeOf(def.in as z.ZodType);
    case 'array':
      return shapeOf(def.element as z.ZodType);
    default:
      return null;
  }
}

/** A key that only exists to refuse an old name with a pointer to the new one. */
function isRetired(schema: z.ZodType): boolean {
  const def = (schema as unknown as { def: { type: string; innerType?: z.ZodType } }).def;
  if (def.type === 'never') return true;
  return def.type === 'optional' && def.innerType !== undefined && isRetired(def.innerType);
}

/** Every key path of the config schema (`rotation.overrides.from`); record keys are the user's own. */
function configKeyPaths(schema: z.ZodType, prefix: string[] = []): string[][] {
  const shape = shapeOf(schema);
  if (!shape) return [];
  return Object.entries(shape).flatMap(([key, child]) => (isRetired(child) ? [] : [[...prefix, key], ...configKeyPaths(child, [...prefix, key])]));
}

/** A line of YAML, commented or not: `# rotation:` reads as `rotation:` at column 0. */
interface KeyLine {
  indent: number;
  text: string;
}

function yamlLines(text: string): KeyLine[] {
  return text.split('\n').map((line) => {
    const uncommented = line.replace(/^(\s*)# ?/, '$1');
    const indent = uncommented.length - uncommented.trimStart().length;
    return { indent, text: uncommented.trimStart() };
  });
}

/**
 * Whether `keys` is a path of (possibly commented) YAML keys in `lines`: each key inside the
 * block of the one before (deeper lines, or the flow map `{ … }` on its own line).
 */
function hasKeyPath(lines: readonly KeyLine[], keys: readonly string[]): boolean {
  const keyPattern = (key: string) => new RegExp(`(^|[\\s{,-])${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\s|$)`);
  const search = (from: number, to: number, minIndent: number, depth: number, flowOnly: string | null): boolean => {
    const key = keys[depth];
    if (key === undefined) return true;
    const pattern = keyPattern(key);
    if (flowOnly !== null) return pattern.test(flowOnly) && (depth === keys.length - 1 || search(from, to, minIndent, depth + 1, flowOnly));
    for (let i = from; i < to; i++) {
      const line = lines[i] as KeyLine;
      if (line.indent < minIndent || !pattern.test(line.text)) continue;
      const at = line.text.search(pattern);
      const rest = line.text.slice(at);
      // A flow map on the key's line holds its children there.
      if (/^[^:]+:\s*[[{]/.test(rest.replace(/^[\s{,-]/, '')) && depth < keys.length - 1 && search(i, i, 0, depth + 1, rest.slice(rest.indexOf(':') + 1))) return true;
      let end = i + 1;
      while (end < to && !(lines[end]!.text !== '' && lines[end]!.indent <= line.indent && /^[-A-Za-z]/.test(lines[end]!.text))) end++;
      if (search(i + 1, end, line.indent + 1, depth + 1, null)) return true;
    }
    return false;
  };
  return search(0, lines.length, 0, 0, null);
}

describe('generated documentation', () => {
  it('docs/commands.md and the README quick start are what `npm run docs` writes from the registry', () => {
    for (const doc of generatedDocs(root)) {
      expect(doc.actual, `${doc.file} is stale: run npm run docs`).toBe(doc.expected);
    }
  });

  it('every example in the command specs, and each quick-start one, parses with the real parser', () => {
    const bad: string[] = [];
    for (const spec of ALL_COMMANDS) {
      for (const example of spec.examples ?? []) {
        const parsed = registry.parse(tokenize(example));
        if (parsed.kind !== 'ok' || parsed.spec.name !== spec.name) bad.push(`${example}: ${parsed.kind === 'usage' ? parsed.message : parsed.kind}`);
      }
    }
    expect(bad).toEqual([]);
    for (const name of QUICK_START_COMMANDS) {
      const spec = ALL_COMMANDS.find((s) => s.name === name);
      expect(spec?.examples?.length ?? 0, `${name} is in the quick start, so it needs an example of its own`).toBeGreaterThan(0);
      expect(registry.parse(tokenize(examplesOf(spec!)[0]!)).kind).toBe('ok');
    }
  });

  it('states no hand-written subcommand count anywhere in the docs', () => {
    const docs = ['README.md', ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md') && f !== 'commands.md').map((f) => `docs/${f}`)];
    const counts = docs.flatMap((file) => [...read(file).matchAll(/\b\d+ (?:sub)?commands\b/g)].map((m) => `${file}: ${m[0]}`));
    expect(counts).toEqual([]);
  });
});

describe('environment variables', () => {
  const documented = [...schemaKeys(envSchema), ...schemaKeys(sandboxEnvSchema)];
  const read = envReadsInSource();

  it('every variable the code reads is a variable of a schema (or the operating system’s)', () => {
    expect([...read].filter((name) => !OS_VARIABLES.has(name) && !documented.includes(name))).toEqual([]);
  });

  it('every variable is in .env.example and in the README', () => {
    const envExample = readFileSync(path.join(root, '.env.example'), 'utf8');
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const names = new Set([...documented, ...[...read].filter((n) => !OS_VARIABLES.has(n))]);
    expect([...names].filter((n) => !new RegExp(`^#?\\s*${n}=`, 'm').test(envExample))).toEqual([]);
    expect([...names].filter((n) => !readme.includes(`\`${n}\``) && !new RegExp(`\\b${n}\\b`).test(readme))).toEqual([]);
  });
});

describe('config keys', () => {
  it('every key of the config schema is in atlas.config.example.yml (commented examples count)', () => {
    const example = readFileSync(path.join(root, 'atlas.config.example.yml'), 'utf8');
    const lines = yamlLines(example);
    const missing = configKeyPaths(fileConfigSchema).filter((keys) => !hasKeyPath(lines, keys)).map((k) => k.join('.'));
    expect(missing).toEqual([]);
  });

  it('the example, uncommented as it stands, is a valid config', () => {
    const parsed = fileConfigSchema.safeParse(YAML.parse(readFileSync(path.join(root, 'atlas.config.example.yml'), 'utf8')));
    expect(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([]);
  });

  it('the key finder tells a documented key from a missing one', () => {
    const lines = yamlLines('a:\n  b: 1\n  # c:\n  #   d: 2\ne: { f: 1 }\ng:\n  h: 1\n');
    expect(hasKeyPath(lines, ['a', 'b'])).toBe(true);
    expect(hasKeyPath(lines, ['a', 'c', 'd'])).toBe(true);
    expect(hasKeyPath(lines, ['e', 'f'])).toBe(true);
    expect(hasKeyPath(lines, ['a', 'h'])).toBe(false);
    expect(hasKeyPath(lines, ['g', 'b'])).toBe(false);
  });
});

describe('manifest.yml', () => {
  it('every usage form in the slash command usage hint parses with the real parser', () => {
    const manifest = YAML.parse(readFileSync(path.join(root, 'manifest.yml'), 'utf8')) as { features: { slash_commands: { usage_hint?: string }[] } };
    const hints = manifest.features.slash_commands.map((c) => c.usage_hint ?? '');
    expect(hints.some((h) => h.length > 0)).toBe(true);
    const bad: string[] = [];
    for (const form of hints.flatMap((h) => h.split(' | ').map((f) => f.trim())).filter(Boolean)) {
      // Both the form with its optional parts and the one without them.
      for (const text of [form.replace(/[[\]]/g, ''), form.replace(/\[[^\]]*\]/g, '')]) {
        const parsed = registry.parse(tokenize(text));
        if (parsed.kind !== 'ok' && parsed.kind !== 'help') bad.push(`${text}: ${parsed.kind === 'usage' ? parsed.message : parsed.kind}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
