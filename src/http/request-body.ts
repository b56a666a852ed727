/**
 * Reading a request body at the HTTP edge: bounded in size, in time and (through a gate) in how
 * many are read at once; and refusing a request without reading what is left of it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BodyReadGate } from './body-read-gate.js';

/** A body still arriving after this long is refused (408): a sender that trickles holds a place in the gate. */
export const BODY_READ_TIMEOUT_MS = 10_000;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

/** Answers and closes the connection, so a client still sending a huge body is not read to the end. */
export function refuseAndClose(req: IncomingMessage, res: ServerResponse, status: number, error: string, headers: Record<string, string> = {}): void {
  req.pause();
  res.once('finish', () => req.socket.destroySoon());
  sendJson(res, status, { ok: false, error }, { connection: 'close', ...headers });
}

export type BodyRead = { kind: 'ok'; body: Buffer } | { kind: 'too-large' } | { kind: 'aborted' } | { kind: 'timeout' };

/** The body, stopping as soon as it passes `maxBytes` or `timeoutMs` has passed. */
export function readBody(req: IncomingMessage, maxBytes: number, timeoutMs = BODY_READ_TIMEOUT_MS): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (result: BodyRead) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onError);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) done({ kind: 'too-large' });
      else chunks.push(chunk);
    };
    const onEnd = () => done({ kind: 'ok', body: Buffer.concat(chunks, size) });
    const onError = () => done({ kind: 'aborted' });
    const timer = setTimeout(() => done({ kind: 'timeout' }), timeoutMs);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onError);
  });
}

export interface BoundedBodyOptions {
  /** Bounds how many bodies are read at once; when it is full the request is refused with 503. */
  gate?: BodyReadGate;
  timeoutMs?: number;
}

/**
 * The request's body within `maxBytes`, or null once the request is refused: a declared or
 * actual size over it (413), no place in the gate (503), too slow (408); null too when the
 * client went away.
 */
export async function readBoundedBody(req: IncomingMessage, res: ServerResponse, maxBytes: number, opts: BoundedBodyOptions = {}): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    refuseAndClose(req, res, 413, `body larger than ${maxBytes} bytes`);
    return null;
  }
  const { gate } = opts;
  if (gate && !gate.tryEnter()) {
    refuseAndClose(req, res, 503, 'too many requests being read; try again', { 'retry-after': '1' });
    return null;
  }
  let read: BodyRead;
  try {
    read = await readBody(req, maxBytes, opts.timeoutMs);
  } finally {
    gate?.leave();
  }
  if (read.kind === 'too-large') refuseAndClose(req, res, 413, `body larger than ${maxBytes} bytes`);
  else if (read.kind === 'timeout') refuseAndClose(req, res, 408, 'body not received in time');
  return read.kind === 'ok' ? read.body : null;
}
