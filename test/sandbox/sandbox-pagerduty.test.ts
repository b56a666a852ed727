/**
 * PagerDuty in the sandbox: the bot pages through PagerDuty's Events API v2, stood in on the
 * sandbox server (src/sandbox/pagerduty-stand-in.ts). Firing an alert from the page sends a
 * trigger with the alert's dedup key and the card says "PagerDuty: paged"; a responder's
 * Acknowledge sends an acknowledge with the same key and the card says so; the stand-in refuses
 * what PagerDuty would refuse, keeps none of it, and the page hears of every event it took.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/sandbox/run-sandbox.js';
import { SANDBOX_PAGERDUTY_ROUTING_KEY } from '../../src/sandbox/run-sandbox.js';
import type { SandboxState } from '../../src/sandbox/sandbox-state.js';
import { SANDBOX_USERS } from '../../src/sandbox/slack-stand-in.js';
import { UPSTREAM_PATHS } from '../../src/sandbox/upstream-stand-ins.js';
import { startSandboxSession, type SandboxSession } from '../helpers/sandbox-session.js';
import { eventually } from '../helpers/slack-harness.js';

const INCIDENTS = 'C0INCIDENT';
/** The ServiceDown preset's alert, as the bot keys it (alertKey: its name, lower-cased). */
const DEDUP_KEY = 'shadow-atlas/servicedown';

let session: SandboxSession;
let sandbox: RunningSandbox;
const call = (pathname: string, body: unknown) => session.call(pathname, body);

beforeAll(async () => {
  session = await startSandboxSession('atlas-sandbox-pagerduty-');
  ({ sandbox } = session);
});

afterAll(() => session?.close());

/** Everything a message says, its blocks included (the PagerDuty line is a context element). */
const said = (m: { text?: string; blocks?: unknown[] }) => `${m.text ?? ''}\n${JSON.stringify(m.blocks ?? [])}`;
const alertMessage = () => sandbox.slack.workspace.messages(INCIDENTS).find((m) => (m.text ?? '').includes('ServiceDown'));
const taken = (action: string) => sandbox.pagerduty.events().filter((e) => e.event_action === action && e.dedup_key === DEDUP_KEY);

async function stateOf(user: string): Promise<SandboxState> {
  const res = await fetch(new URL(`/sandbox/state?user=${user}`, sandbox.url));
  return (await res.json()) as SandboxState;
}

/** POSTs raw text to the stand-in's /v2/enqueue, as a client of PagerDuty would. */
async function enqueue(body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(new URL(`${UPSTREAM_PATHS.pagerdutyEvents}/v2/enqueue`, sandbox.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

type Block = { type: string; block_id?: string; elements?: { type: string; action_id?: string; text?: { text: string } }[] };

describe('PagerDuty in the sandbox', () => {
  it('is configured as the bot pages in production: a routing key, and the Events API on the sandbox server', () => {
    expect(sandbox.config.pagerduty.routingKey).toBe(SANDBOX_PAGERDUTY_ROUTING_KEY);
    expect(sandbox.config.env.PAGERDUTY_EVENTS_URL).toBe(`${new URL(sandbox.url).origin}${UPSTREAM_PATHS.pagerdutyEvents}`);
    // Only the Events API is stood in: no REST token, no webhook from PagerDuty.
    expect(sandbox.config.env.PAGERDUTY_TOKEN).toBeUndefined();
    expect(sandbox.config.env.PAGERDUTY_WEBHOOK_SECRET).toBeUndefined();
    // (The demo's own alert, Census TIGER down, is paged too, once the bot's alert poll finds it.)
    expect(sandbox.pagerduty.events().filter((e) => e.dedup_key === DEDUP_KEY)).toEqual([]);
  });

  it('pages a fired alert: the stand-in takes a trigger with its dedup key, the card says "PagerDuty: paged", the page hears of it', async () => {
    const stream = await fetch(new URL('/sandbox/events', sandbox.url));
    const reader = stream.body!.getReader();
    expect(await call('/sandbox/fire-alert', { preset: 'service-down' })).toEqual({ ok: true });

    const [trigger] = await eventually(() => (taken('trigger').length > 0 ? taken('trigger') : null), 'the trigger at the PagerDuty stand-in');
    expect(trigger).toMatchObject({
      routing_key: SANDBOX_PAGERDUTY_ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: DEDUP_KEY,
      payload: { summary: 'ServiceDown', severity: 'critical', source: expect.stringContaining('shadow-atlas') },
    });
    expect(trigger!.receivedAt).toBe(new Date(trigger!.receivedAt).toISOString());
    await eventually(() => {
      const m = alertMessage();
      return m && said(m).includes('PagerDuty: paged');
    }, 'the alert in #incident-response saying "PagerDuty: paged"');
    expect(said(alertMessage()!)).not.toContain('Not paged in PagerDuty');

    // The page is told, and its state lists the event.
    let heard = '';
    while (!heard.includes('"type":"pagerduty"')) heard += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const { pagerduty } = await stateOf(SANDBOX_USERS.primary);
    expect(pagerduty.filter((e) => e.dedupKey === DEDUP_KEY)).toEqual([{ action: 'trigger', dedupKey: DEDUP_KEY, summary: 'ServiceDown', at: trigger!.receivedAt }]);
  });

  it('acknowledges in PagerDuty when a responder presses Acknowledge: the same dedup key, and the card says "PagerDuty: acknowledged"', async () => {
    const alert = alertMessage()!;
    let ack: { blockId: string; actionId: string } | undefined;
    for (const block of (alert.blocks ?? []) as Block[]) {
      const button = block.elements?.find((e) => e.type === 'button' && e.text?.text === 'Acknowledge');
      if (button && block.block_id && button.action_id) ack = { blockId: block.block_id, actionId: button.action_id };
    }
    expect(ack, 'the alert has an Acknowledge button').toBeDefined();
    expect(await call('/sandbox/press', { user: SANDBOX_USERS.responder, channel: INCIDENTS, container: { type: 'message', ts: alert.ts }, ...ack })).toEqual({ ok: true });

    await eventually(() => taken('acknowledge').length > 0, 'the acknowledge at the PagerDuty stand-in');
    expect(taken('acknowledge')).toEqual([{ receivedAt: expect.any(String), routing_key: SANDBOX_PAGERDUTY_ROUTING_KEY, event_action: 'acknowledge', dedup_key: DEDUP_KEY }]);
    await eventually(() => {
      const m = sandbox.slack.workspace.messages(INCIDENTS).find((x) => x.ts === alert.ts);
      return m && said(m).includes('PagerDuty: acknowledged');
    }, 'the card saying "PagerDuty: acknowledged"');
    // Once each, in order.
    expect(sandbox.pagerduty.events().filter((e) => e.dedup_key === DEDUP_KEY).map((e) => e.event_action)).toEqual(['trigger', 'acknowledge']);
    const listed = (await stateOf(SANDBOX_USERS.responder)).pagerduty.filter((e) => e.dedupKey === DEDUP_KEY);
    expect(listed.map((e) => [e.action, e.summary])).toEqual([
      ['acknowledge', null],
      ['trigger', 'ServiceDown'],
    ]);
  });

  it('answers an event as PagerDuty does: 202 with the dedup key, or 400 "invalid event" for a malformed one, which it does not keep', async () => {
    const before = sandbox.pagerduty.events();
    const good = { routing_key: SANDBOX_PAGERDUTY_ROUTING_KEY, event_action: 'trigger', payload: { summary: 'From curl', source: 'test', severity: 'info' } };
    const invalid = (errors: unknown) => ({ status: 400, json: { status: 'invalid event', message: 'Event object is invalid', errors } });

    expect(await enqueue('{not json')).toEqual(invalid(['Event is not valid JSON']));
    expect(await enqueue('[]')).toEqual(invalid(['Event is not a JSON object']));
    expect(await enqueue(JSON.stringify({ ...good, routing_key: 'short' }))).toEqual(invalid(["Length of 'routing_key' is incorrect (should be 32 characters)"]));
    expect(await enqueue(JSON.stringify({ ...good, event_action: 'page' }))).toEqual(invalid(["'event_action' is invalid (must be one of: trigger, acknowledge, resolve)"]));
    expect(await enqueue(JSON.stringify({ ...good, dedup_key: 'k'.repeat(256) }))).toEqual(invalid(["Length of 'dedup_key' is too long (at most 255 characters)"]));
    expect(await enqueue(JSON.stringify({ routing_key: SANDBOX_PAGERDUTY_ROUTING_KEY, event_action: 'trigger' }))).toEqual(invalid(["'payload' is missing or blank"]));
    expect(await enqueue(JSON.stringify({ ...good, payload: { summary: '', severity: 'fatal' } }))).toEqual(
      invalid(["'payload.summary' is missing or blank", "'payload.source' is missing or blank", "'payload.severity' is invalid (must be one of: critical, error, warning, info)"]),
    );
    expect(await enqueue(JSON.stringify({ routing_key: SANDBOX_PAGERDUTY_ROUTING_KEY, event_action: 'resolve' }))).toEqual(invalid(["'dedup_key' is missing or blank"]));
    expect(await enqueue(JSON.stringify({ ...good, payload: { ...good.payload, custom_details: { big: 'x'.repeat(512 * 1024) } } }))).toEqual(invalid(['Event is larger than 512 KB']));
    expect(sandbox.pagerduty.events()).toEqual(before);

    // A trigger without a dedup key gets one made up, as PagerDuty does; only GETs elsewhere fall through.
    const made = await enqueue(JSON.stringify(good));
    expect(made).toEqual({ status: 202, json: { status: 'success', message: 'Event processed', dedup_key: expect.stringMatching(/^[0-9a-f]{32}$/) } });
    expect(sandbox.pagerduty.events().at(-1)).toMatchObject({ event_action: 'trigger', dedup_key: made.json.dedup_key, payload: good.payload });
    expect((await fetch(new URL(`${UPSTREAM_PATHS.pagerdutyEvents}/v2/enqueue`, sandbox.url))).status).toBe(405);
  });
});
