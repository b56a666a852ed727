import type { IncomingMessage } from 'node:http';

export interface ParsedRequest {
  args: Record<string, unknown>;
  token?: string;
  /** A Slack error code when the body cannot be read (missing_post_type, invalid_post_type, invalid_json, …). */
  error?: string;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function fromParams(params: URLSearchParams): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [key, value] of params) args[key] = value;
  return args;
}

/**
 * The arguments of a Web API call, as Slack reads them: query string and body together; bodies
 * as application/x-www-form-urlencoded (what the WebClient sends) or application/json (with or
 * without "; charset=utf-8"). The token comes from "Authorization: Bearer …", else from a
 * `token` argument, and is not left among the arguments.
 */
export function parseApiRequest(req: IncomingMessage, url: URL, body: string): ParsedRequest {
  let args = fromParams(url.searchParams);
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  let error: string | undefined;
  if (body.length > 0) {
    if (type === '') error = 'missing_post_type';
    else if (type === 'application/x-www-form-urlencoded') args = { ...args, ...fromParams(new URLSearchParams(body)) };
    else if (type === 'application/json') {
      try {
        const parsed: unknown = JSON.parse(body);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) error = 'invalid_json';
        else args = { ...args, ...(parsed as Record<string, unknown>) };
      } catch {
        error = 'invalid_json';
      }
    } else error = 'invalid_post_type';
  }
  const auth = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  const token = auth?.[1] ?? (typeof args.token === 'string' && args.token !== '' ? args.token : undefined);
  delete args.token;
  return { args, ...(token ? { token } : {}), ...(error ? { error } : {}) };
}

/** A response_url post: JSON (what Bolt's respond() sends), or a form with a `payload` field. */
export function parseHookPayload(req: IncomingMessage, body: string): Record<string, unknown> | undefined {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  try {
    const text = type === 'application/x-www-form-urlencoded' ? (new URLSearchParams(body).get('payload') ?? '') : body;
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
