/**
 * The sandbox page and what it calls, served beside the stand-in's Web API:
 *   GET  /                     the page
 *   GET  /page/<file>          its modules and styles (no build step)
 *   GET  /sandbox/state?user=  what that person sees (SandboxState); no user: the on-call primary
 *   GET  /sandbox/events       server-sent events: `change` whenever something changed (PagerDuty's stand-in took an event too)
 *   POST /sandbox/message      {user, channel, text[, thread_ts]}: a person says something
 *   POST /sandbox/command      {user, channel, text}: `/atlas <text>`
 *   POST /sandbox/press        {user, channel, container: {type: message|ephemeral, ts} | {type: view, viewId}, blockId, actionId[, value]}
 *   POST /sandbox/submit       {user, viewId, values}
 *   POST /sandbox/close-view   {user, viewId}
 *   POST /sandbox/home-opened  {user}: the App Home tab was opened (app_home_opened to the bot)
 *   POST /sandbox/fire-alert   {preset}
 *   POST /sandbox/clock        {advance: '5m' | '30m' | '2h' | 'shift'}: the service's data moves with it
 *   POST /sandbox/scenario     {scenario}: the stood-in service starts a scenario (an outage, a long job) now
 * Every answer is JSON {ok: true} or {ok: false, error: one sentence[, errors: by field]}.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { ExtraRoute } from './http-server.js';
import type { ActionResult, SandboxActions } from './sandbox-actions.js';
import { closeViewInput, commandInput, homeOpenedInput, messageInput, pressInput, submitInput } from './sandbox-actions.js';
import type { SandboxEvents } from './sandbox-events.js';
import type { SandboxState } from './sandbox-state.js';

export const CLOCK_STEPS = { '5m': 5 * 60_000, '30m': 30 * 60_000, '2h': 2 * 3_600_000 } as const;

export interface SandboxControls {
  state(user: string): Promise<SandboxState | undefined>;
  actions: SandboxActions;
  fireAlert(preset: string): Promise<ActionResult>;
  advanceClock(step: keyof typeof CLOCK_STEPS | 'shift'): Promise<ActionResult>;
  startScenario(id: string): Promise<ActionResult>;
  events: SandboxEvents;
  /** Called for changes the workspace does not see (the clock moved). */
  onClockChange(listener: () => void): () => void;
  /** Called for every event PagerDuty's stood-in Events API takes (the page lists the last ones). */
  onPagerDutyEvent?(listener: () => void): () => void;
}

const HEARTBEAT_MS = 15_000;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** The page's files: beside this module when run from src, under src/ when run from dist/. */
export function pageDirectory(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'page'), path.resolve(here, '../../src/sandbox/page')];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html'))) ?? (candidates[0] as string);
}

const fireInput = z.object({ preset: z.string().min(1).max(64) });
const clockInput = z.object({ advance: z.enum(['5m', '30m', '2h', 'shift']) });
const scenarioInput = z.object({ scenario: z.string().min(1).max(64) });

function sendJson(res: ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
  return true;
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid body';
}

function sendFile(res: ServerResponse, dir: string, name: string): boolean {
  const file = path.resolve(dir, name);
  const type = TYPES[path.extname(file)];
  // Only files of the page itself: no way out of its directory, no other kinds.
  if (!type || path.dirname(file) !== dir || !existsSync(file)) return false;
  res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
  res.end(readFileSync(file));
  return true;
}

function openEventStream(res: ServerResponse, controls: SandboxControls): true {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
  res.write('retry: 1000\n\n');
  const change = (type: string) => res.write(`event: change\ndata: ${JSON.stringify({ type })}\n\n`);
  const offEvents = controls.events.subscribe((event) => {
    // Every call is logged as api_call; only what changes the page is worth a refresh.
    if (event.type !== 'api_call' && event.type !== 'response_url_used') change(event.type);
  });
  const offClock = controls.onClockChange(() => change('clock'));
  const offPagerDuty = controls.onPagerDutyEvent?.(() => change('pagerduty'));
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
  // The response's close, not the request's: the request ended when its (empty) body was read.
  res.on('close', () => {
    clearInterval(heartbeat);
    offEvents();
    offClock();
    offPagerDuty?.();
  });
  return true;
}

export function sandboxRoutes(controls: SandboxControls, pageDir = pageDirectory()): ExtraRoute {
  const dir = path.resolve(pageDir);

  async function post(pathname: string, body: string): Promise<[number, unknown] | undefined> {
    let json: unknown;
    try {
      json = body.trim() === '' ? {} : JSON.parse(body);
    } catch {
      return [400, { ok: false, error: 'The body is not JSON.' }];
    }
    const run = async <S extends z.ZodType>(schema: S, act: (input: z.infer<S>) => ActionResult | Promise<ActionResult>): Promise<[number, unknown]> => {
      const parsed = schema.safeParse(json);
      if (!parsed.success) return [400, { ok: false, error: firstIssue(parsed.error) }];
      return [200, await act(parsed.data)];
    };
    switch (pathname) {
      case '/sandbox/message':
        return run(messageInput, (i) => controls.actions.message(i));
      case '/sandbox/command':
        return run(commandInput, (i) => controls.actions.command(i));
      case '/sandbox/press':
        return run(pressInput, (i) => controls.actions.press(i));
      case '/sandbox/submit':
        return run(submitInput, (i) => controls.actions.submit(i));
      case '/sandbox/close-view':
        return run(closeViewInput, (i) => controls.actions.closeView(i));
      case '/sandbox/home-opened':
        return run(homeOpenedInput, (i) => controls.actions.homeOpened(i));
      case '/sandbox/fire-alert':
        return run(fireInput, (i) => controls.fireAlert(i.preset));
      case '/sandbox/clock':
        return run(clockInput, (i) => controls.advanceClock(i.advance));
      case '/sandbox/scenario':
        return run(scenarioInput, (i) => controls.startScenario(i.scenario));
      default:
        return undefined;
    }
  }

  return async (req, res, url, body) => {
    if (req.method === 'GET') {
      if (url.pathname === '/') return sendFile(res, dir, 'index.html');
      const file = /^\/page\/([A-Za-z0-9_.-]+)$/.exec(url.pathname);
      if (file) return sendFile(res, dir, file[1] as string);
      if (url.pathname === '/sandbox/state') {
        const user = url.searchParams.get('user') ?? '';
        const state = await controls.state(user);
        return state ? sendJson(res, 200, state) : sendJson(res, 400, { ok: false, error: `No person ${JSON.stringify(user)} in this workspace.` });
      }
      if (url.pathname === '/sandbox/events') return openEventStream(res, controls);
      return false;
    }
    if (req.method !== 'POST' || !url.pathname.startsWith('/sandbox/')) return false;
    const answer = await post(url.pathname, body);
    if (!answer) return sendJson(res, 404, { ok: false, error: `No sandbox action ${url.pathname}.` });
    return sendJson(res, answer[0], answer[1]);
  };
}
