import { webApi } from '@slack/bolt';

/** Every Web API call is bounded: a Slack that does not answer costs at most this long. */
export const SLACK_CALL_TIMEOUT_MS = 10_000;

/** Options for a WebClient that tries once and gives up after the time bound: the caller decides about retries. */
export function boundedClientOptions(apiUrl: string | undefined, logger?: webApi.WebClientOptions['logger'], timeoutMs = SLACK_CALL_TIMEOUT_MS): webApi.WebClientOptions {
  return {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: timeoutMs,
    ...(logger ? { logger } : {}),
  };
}

/** A WebClient logger that says nothing: the callers log outcomes themselves. */
export const silentSlackLogger: webApi.Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => webApi.LogLevel.ERROR,
  setName: () => {},
};
