import { z } from 'zod';
import { refuse } from './slack-refusal.js';
import type { Workspace } from './workspace.js';

/** A Web API method: arguments in, the JSON body of an `ok: true` answer out; refusals are thrown. */
export type MethodHandler = (ws: Workspace, args: Record<string, unknown>) => Record<string, unknown>;

/** Form bodies carry booleans as "true"/"false" (the WebClient) or "1"/"0". */
export const flag = z.preprocess((v) => v === true || v === 'true' || v === '1' || v === 1, z.boolean());
export const optionalString = z.preprocess((v) => (v === '' || v === null ? undefined : v), z.string().optional());
/** Form bodies carry numbers as strings. */
export const count = z.preprocess((v) => (v === undefined || v === '' ? undefined : Number(v)), z.number().int().optional());

/** Parses `args` with `schema`, or refuses with invalid_arguments naming each bad field. */
export function parseArgs<S extends z.ZodType>(schema: S, args: Record<string, unknown>): z.infer<S> {
  const parsed = schema.safeParse(args);
  if (parsed.success) return parsed.data;
  refuse(
    'invalid_arguments',
    parsed.error.issues.map((i) => `${i.message} [json-pointer:/${i.path.join('/')}]`),
  );
}

/** Which refusal a nested field gets when it is not valid JSON. */
const JSON_FIELDS: Record<string, string> = {
  blocks: 'invalid_blocks_format',
  attachments: 'invalid_attachments',
  view: 'invalid_arguments',
  metadata: 'invalid_metadata_format',
};

/**
 * The WebClient sends nested fields (blocks, attachments, view, metadata) as JSON strings inside
 * a form body (reference/slack-platform.md §1.10); JSON bodies carry them as objects. Either way
 * the handlers see objects.
 */
export function decodeNestedFields(args: Record<string, unknown>): Record<string, unknown> {
  const out = { ...args };
  for (const [field, code] of Object.entries(JSON_FIELDS)) {
    const value = out[field];
    if (typeof value !== 'string') continue;
    if (value === '') {
      delete out[field];
      continue;
    }
    try {
      out[field] = JSON.parse(value) as unknown;
    } catch {
      refuse(code, [`failed to parse ${field} as JSON [json-pointer:/${field}]`]);
    }
  }
  return out;
}
