import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { CallRecord } from './call-log.js';
import type { FaultSpec, Faults } from './faults.js';
import { readUploadBytes, receiveUpload, servedFile, setUploadBaseUrl, uploadedBytes, uploadUrlFileId } from './file-methods.js';
import { callMethod } from './method-table.js';
import { decodeNestedFields } from './method-args.js';
import { parseApiRequest, parseHookPayload, readBody } from './request-body.js';
import type { Workspace } from './workspace.js';

/**
 * A route served beside the Web API (the sandbox page and its actions): answers and returns
 * true, or returns false to leave the request to the stand-in.
 */
export type ExtraRoute = (req: IncomingMessage, res: ServerResponse, url: URL, body: string) => boolean | Promise<boolean>;

export interface StandInServer {
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * The HTTP face of the stand-in: POST (or GET) /api/<method> for the Web API, POST
 * /response/<id> for response URLs. Faults are applied here; the workspace never sees them.
 * Every socket and pending timer is tracked, so close() finishes even with calls hanging.
 */
export async function startHttpServer(ws: Workspace, faults: Faults, host: string, port: number, extraRoute?: ExtraRoute): Promise<StandInServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  function finish(record: CallRecord, res: ServerResponse, answer: Answer, headers: Record<string, string> = {}): void {
    record.status = answer.status;
    record.answer = answer.body;
    ws.events.emit({ type: 'api_call', call: record });
    if (res.destroyed) return;
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(answer.body));
  }

  /** Answers with the fault; returns false for faults that only delay (the caller goes on). */
  async function applyFault(fault: FaultSpec, record: CallRecord, req: IncomingMessage, res: ServerResponse, after?: Answer): Promise<boolean> {
    record.fault = fault.kind;
    switch (fault.kind) {
      case 'hang':
        ws.events.emit({ type: 'api_call', call: record });
        return true; // never answered; close() destroys the socket
      case 'reset':
        ws.events.emit({ type: 'api_call', call: record });
        req.socket.destroy();
        return true;
      case 'delay':
        await wait(fault.ms);
        if (after) finish(record, res, after);
        return after !== undefined;
      case 'error':
        finish(record, res, { status: 200, body: { ok: false, error: fault.error } });
        return true;
      case 'ratelimit': {
        const seconds = fault.retryAfter ?? 1;
        finish(record, res, { status: 429, body: { ok: false, error: 'ratelimited' } }, { 'retry-after': String(seconds) });
        return true;
      }
      case 'http': {
        record.status = fault.status;
        record.answer = null;
        ws.events.emit({ type: 'api_call', call: record });
        res.writeHead(fault.status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(fault.body ?? STATUS_CODES[fault.status] ?? 'Error');
        return true;
      }
    }
  }

  /** Runs `work` under whatever fault hits `method`, and answers. */
  async function serve(method: string, args: Record<string, unknown>, req: IncomingMessage, res: ServerResponse, work: () => Answer): Promise<void> {
    const record = ws.log.start(method, loggedArgs(args), ws.clock());
    const fault = faults.take(method);
    if (fault && fault.when !== 'after' && (await applyFault(fault, record, req, res))) return;
    const answer = work();
    if (fault && fault.when === 'after' && (await applyFault(fault, record, req, res, answer))) return;
    finish(record, res, answer);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    // The upload URL files.getUploadURLExternal hands out: the bytes, read as bytes (faults as "file_upload").
    const uploadId = req.method === 'POST' ? uploadUrlFileId(url.pathname) : null;
    if (uploadId) {
      const raw = await readUploadBytes(req);
      const bytes = raw === null ? null : await uploadedBytes(req.headers['content-type'], raw);
      return serve('file_upload', { file_id: uploadId, bytes: bytes?.length ?? null }, req, res, () => receiveUpload(ws, uploadId, bytes));
    }
    const body = await readBody(req);
    const api = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    if (api && (req.method === 'POST' || req.method === 'GET')) {
      const method = api[1] as string;
      const parsed = parseApiRequest(req, url, body);
      return serve(method, parsed.args, req, res, () => ({
        status: 200,
        body: parsed.error ? { ok: false, error: parsed.error } : callMethod(ws, method, parsed.args, parsed.token),
      }));
    }
    const hook = /^\/response\/([A-Za-z0-9]+)$/.exec(url.pathname);
    if (hook && req.method === 'POST') {
      const payload = parseHookPayload(req, body);
      return serve('response_url', { id: hook[1], ...(payload ?? {}) }, req, res, () =>
        payload === undefined ? { status: 400, body: { ok: false, error: 'invalid_payload' } } : ws.responseHooks.use(hook[1] as string, payload),
      );
    }
    if (extraRoute && (await extraRoute(req, res, url, body))) return;
    const file = req.method === 'GET' ? servedFile(ws, url.pathname) : null;
    if (file) {
      res.writeHead(file.status, { 'content-type': file.contentType, 'x-content-type-options': 'nosniff', 'cache-control': 'private, max-age=3600' });
      res.end(file.body);
      return;
    }
    if (url.pathname === '/' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ ok: true, service: 'slack-stand-in', api: '/api/', team: ws.bot.team }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ ok: false, error: 'not_found' }));
  }

  const server = createServer((req, res) => {
    if (closing) {
      req.socket.destroy();
      return;
    }
    route(req, res).catch((err: unknown) => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(err instanceof Error ? err.message : String(err));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the stand-in has no TCP address');
  const shownHost = host.includes(':') ? `[${host}]` : host;
  setUploadBaseUrl(ws, `http://${shownHost}:${address.port}`);

  return {
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Arguments as the calls log keeps them: nested JSON decoded where it parses. */
function loggedArgs(args: Record<string, unknown>): Record<string, unknown> {
  try {
    return decodeNestedFields(args);
  } catch {
    return { ...args };
  }
}
