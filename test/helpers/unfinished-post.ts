import { request, type IncomingHttpHeaders } from 'node:http';
import { FORM } from './slack-harness.js';

export interface UnfinishedPost {
  /** Resolves with the answer's status (and headers), whatever the client is still sending. */
  response: Promise<{ status: number; headers: IncomingHttpHeaders }>;
  /** How many body bytes the client managed to write before the answer came. */
  written(): number;
  destroy(): void;
}

/**
 * A POST that sends its headers and the start of a body, then keeps sending
 * more slowly and never finishes: only an answer that does not wait for the body arrives.
 */
export function unfinishedPost(url: string, headers: Record<string, string>, declaredBytes = 4 * 1024 * 1024, trickle = true): UnfinishedPost {
  let written = 0;
  let timer: NodeJS.Timeout | undefined;
  const req = request(url, { method: 'POST', headers: { 'content-type': FORM, 'content-length': String(declaredBytes), ...headers } });
  const response = new Promise<{ status: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
    req.on('response', (res) => {
      clearInterval(timer);
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on('error', reject);
  });
  // Destroyed by the test before an answer came: nobody waits for it.
  response.catch(() => undefined);
  const chunk = Buffer.alloc(trickle ? 1024 : 100, 'a');
  req.write(chunk);
  written += chunk.length;
  if (trickle) timer = setInterval(() => {
    if (req.destroyed) return clearInterval(timer);
    req.write(chunk);
    written += chunk.length;
  }, 50);
  return {
    response,
    written: () => written,
    destroy() {
      clearInterval(timer);
      req.destroy();
    },
  };
}
