import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { SLASH_COMMAND } from '../src/handlers/slash-command.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Vendored copies of github.com/slackapi/manifest-schema v0.5.0 (see its LICENSE there), so a
// clean clone validates offline.
const schemaDir = path.join(root, 'test/fixtures/slack-manifest-schema');
const readJson = (file: string) => JSON.parse(readFileSync(path.join(schemaDir, file), 'utf8')) as Record<string, unknown>;

/** The root schema selects a versioned one through these remote $refs; they are registered under them. */
const V1_URL = 'https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/manifest.schema.1.0.0.json';
const V2_URL = 'https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/manifest.schema.2.0.0.json';

function manifestValidator() {
  // strict: false because the schema uses keywords of its own (`regex`, `requires`, `_note`).
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('uri', /^[a-z][a-z0-9+.-]*:\S*$/i);
  ajv.addSchema(readJson('schemas/manifest.schema.1.0.0.json'), V1_URL);
  ajv.addSchema(readJson('schemas/manifest.schema.2.0.0.json'), V2_URL);
  return ajv.compile(readJson('manifest.schema.json'));
}

const validate = manifestValidator();

/** The leaf errors; oneOf adds "must match exactly one schema" noise around them. */
function schemaProblems(manifest: unknown): string[] {
  if (validate(manifest)) return [];
  return (validate.errors ?? [])
    .filter((e: ErrorObject) => !['oneOf', 'allOf', 'if', 'not'].includes(e.keyword))
    .map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

type Manifest = {
  features?: { slash_commands?: Array<{ command: string; url?: string }> };
  settings?: { socket_mode_enabled?: boolean; interactivity?: { is_enabled: boolean; request_url?: string } };
  oauth_config?: { scopes?: { bot?: string[] } };
  display_information: { long_description?: string };
};

/**
 * Rules Slack enforces on upload that the JSON Schema does not carry ("Interactivity requires a
 * Request URL"): without Socket Mode, commands and interactivity need an https URL.
 */
function crossFieldProblems(m: Manifest): string[] {
  if (m.settings?.socket_mode_enabled) return [];
  const problems: string[] = [];
  for (const c of m.features?.slash_commands ?? []) {
    if (!c.url) problems.push(`slash command ${c.command} needs a url unless socket_mode_enabled`);
    else if (!c.url.startsWith('https://')) problems.push(`slash command ${c.command} url must be https`);
  }
  const interactivity = m.settings?.interactivity;
  if (interactivity?.is_enabled && !interactivity.request_url) problems.push('interactivity needs a request_url unless socket_mode_enabled');
  return problems;
}

const text = readFileSync(path.join(root, 'manifest.yml'), 'utf8');
const load = () => YAML.parse(text) as Manifest;

describe('manifest.yml', () => {
  it('validates against Slack’s manifest schema', () => {
    expect(schemaProblems(load())).toEqual([]);
  });

  it('meets the rules the schema lacks: HTTP mode has the command url and the interactivity request_url', () => {
    const m = load();
    expect(m.settings?.socket_mode_enabled).toBe(false);
    expect(crossFieldProblems(m)).toEqual([]);
    const url = m.features?.slash_commands?.[0]?.url ?? '';
    expect(new URL(url).pathname).toBe('/slack/events');
    expect(m.settings?.interactivity?.request_url).toBe(url);
  });

  it('declares the command the app listens for', () => {
    expect(load().features?.slash_commands?.map((c) => c.command)).toEqual([SLASH_COMMAND]);
  });

  it('asks for the minimal bot scopes, each justified by a comment', () => {
    expect(load().oauth_config?.scopes?.bot).toEqual(['commands', 'chat:write', 'chat:write.public', 'usergroups:read', 'users:read', 'users:read.email', 'im:write', 'channels:history', 'groups:history', 'im:history', 'channels:join', 'files:write', 'files:read']);
    const lines = text.split('\n');
    for (const scope of load().oauth_config?.scopes?.bot ?? []) {
      const at = lines.findIndex((l) => l.trim() === `- ${scope}`);
      expect(at, scope).toBeGreaterThan(0);
      expect(lines[at - 1]?.trim(), `the line above ${scope}`).toMatch(/^# \S.{10,}/);
    }
  });

  it('has a long description of at least 175 characters', () => {
    expect(load().display_information.long_description?.length).toBeGreaterThanOrEqual(175);
  });
});

describe('the manifest checks themselves', () => {
  it('reject what Slack would reject', () => {
    const noSlash = load();
    noSlash.features!.slash_commands![0]!.command = 'atlas';
    expect(schemaProblems(noSlash).join('\n')).toMatch(/slash_commands\/0\/command must match pattern/);

    const short = load();
    short.display_information.long_description = 'A very long description.';
    expect(schemaProblems(short).join('\n')).toMatch(/long_description must NOT have fewer than 175 characters/);

    const extra = load() as Manifest & { settings: { interactivity: Record<string, unknown> } };
    extra.settings.interactivity.unknown_key = true;
    expect(schemaProblems(extra).join('\n')).toMatch(/interactivity must NOT have additional properties/);

    const noUrls = load();
    delete noUrls.features!.slash_commands![0]!.url;
    delete noUrls.settings!.interactivity!.request_url;
    expect(schemaProblems(noUrls)).toEqual([]);
    expect(crossFieldProblems(noUrls)).toEqual([
      'slash command /atlas needs a url unless socket_mode_enabled',
      'interactivity needs a request_url unless socket_mode_enabled',
    ]);
  });

  it('accept the Socket Mode variant the comments describe', () => {
    const socket = load();
    socket.settings!.socket_mode_enabled = true;
    delete socket.features!.slash_commands![0]!.url;
    delete socket.settings!.interactivity!.request_url;
    expect(schemaProblems(socket)).toEqual([]);
    expect(crossFieldProblems(socket)).toEqual([]);
  });
});
