/**
 * The outbox's sender for replacing a message through its response_url: what Slack's answers
 * mean for another try, and that the URL never appears in what is logged or shown.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutboxRow } from '../../src/db/state/outbox-store.js';
import { startSlackStandIn, type SlackStandIn } from '../../src/sandbox/slack-stand-in.js';
import { RESPONSE_URL_TARGET, responseUrlSender } from '../../src/slack/response-url-sender.js';

const ROW = {} as OutboxRow;
let standIn: SlackStandIn | undefined;
let server: Server | undefined;

afterEach(async () => {
  await standIn?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  standIn = undefined;
  server = undefined;
});

/** A server answering every request with `status` and `headers`. */
async function answering(status: number, headers: Record<string, string> = {}): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(status, headers);
    res.end('{}');
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/response/abc`;
}

async function failureOf(url: string) {
  const sender = responseUrlSender({ timeoutMs: 10_000 });
  const err = await sender.send({ target: RESPONSE_URL_TARGET, url, text: 'Expired' }, ROW).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, 'the call failed').not.toBeNull();
  return sender.failure(err);
}

describe('responseUrlSender', () => {
  it('replaces the original message through the URL', async () => {
    standIn = await startSlackStandIn();
    const url = standIn.mintResponseUrl({ channel: 'C0INCIDENT', user: 'U0ONCALL1' });
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Preview' }) });
    await responseUrlSender().send({ target: RESPONSE_URL_TARGET, url, text: 'Expired', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Expired' } }] }, ROW);
    expect(standIn.workspace.ephemerals({ user: 'U0ONCALL1' }).map((e) => e.text)).toEqual(['Expired']);
  });

  it('gives up on a URL Slack no longer takes, tries a 5xx again, waits out a 429; never says the URL', async () => {
    standIn = await startSlackStandIn();
    const dead = `${standIn.url}/response/nosuchhook`;
    const gone = await failureOf(dead);
    expect(gone).toEqual({ problem: 'Slack refused the replacement (HTTP 404)', permanent: true });
    await standIn.close();
    standIn = undefined;

    const down = await failureOf(await answering(503));
    expect(down).toMatchObject({ permanent: false });
    await new Promise((r) => server!.close(r));
    server = undefined;

    const slow = await failureOf(await answering(429, { 'retry-after': '7' }));
    expect(slow).toEqual({ problem: 'Slack asked to slow down', permanent: false, retryAfterSec: 7 });
    for (const f of [gone, down, slow]) expect(f.problem).not.toMatch(/http|response\//);
  });

  it('refuses an unreadable queued call for good', async () => {
    const sender = responseUrlSender();
    const err = await sender.send({ target: RESPONSE_URL_TARGET, url: 'not a url', text: 'x' }, ROW).catch((e: unknown) => e);
    expect(sender.failure(err)).toEqual({ problem: 'the queued message replacement is unreadable', permanent: true });
  });
});
