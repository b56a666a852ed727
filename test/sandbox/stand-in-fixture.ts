/**
 * Drives the Slack stand-in with the real WebClient, configured as a test should: no retries,
 * 429s surfaced as errors, a short timeout, and a logger that keeps quiet (the WebClient logs
 * every "[ERROR] …" line of a refusal).
 */
import { LogLevel, webApi, type Logger } from '@slack/bolt';
import { afterEach, beforeEach, expect } from 'vitest';
import { startSlackStandIn, type SlackStandIn, type SlackStandInOptions } from '../../src/sandbox/slack-stand-in.js';

export const quietLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};

export function clientFor(standIn: SlackStandIn, options: { timeout?: number; token?: string } = {}): webApi.WebClient {
  return new webApi.WebClient(options.token ?? standIn.token, {
    slackApiUrl: standIn.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: options.timeout ?? 2000,
    logger: quietLogger,
  });
}

/** A stand-in and a client for each test, closed after it. */
export function useStandIn(options: SlackStandInOptions = {}): { standIn: SlackStandIn; client: webApi.WebClient } {
  const ctx = {} as { standIn: SlackStandIn; client: webApi.WebClient };
  beforeEach(async () => {
    ctx.standIn = await startSlackStandIn(options);
    ctx.client = clientFor(ctx.standIn);
  });
  afterEach(async () => {
    await ctx.standIn.close();
  });
  return ctx;
}

/** The body of the Slack refusal a call ended in; fails the test when it did not end in one. */
export async function refusal(call: Promise<unknown>): Promise<Record<string, unknown> & { error: string }> {
  try {
    await call;
  } catch (err) {
    expect(err).toBeInstanceOf(webApi.WebAPIPlatformError);
    return (err as webApi.WebAPIPlatformError).data as unknown as Record<string, unknown> & { error: string };
  }
  throw new Error('expected Slack to refuse the call, but it answered ok');
}

export const INCIDENTS = 'C0INCIDENT';
export const HANDOFF = 'C0HANDOFF';
