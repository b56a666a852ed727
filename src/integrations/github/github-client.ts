/**
 * The bot's GitHub calls, through the maintained client (@octokit/rest): filing an issue, listing
 * a repository's open issues by label, and finding an issue the bot filed by the marker in its
 * body. Every call is bounded in time and made once (octokit has no retry plugin here): a failure
 * becomes a GitHubError whose sentence tells the person what is wrong and what to do.
 */
import { Octokit } from '@octokit/rest';
import type { Config } from '../../config.js';

/** How long one GitHub call may take, answer body included. */
export const GITHUB_TIMEOUT_MS = 10_000;

export interface GitHubIssue {
  number: number;
  title: string;
  html_url: string;
  state: string;
  labels: string[];
  created_at: string;
  body: string | null;
}

export type GitHubProblemKind = 'token' | 'forbidden' | 'not-found' | 'gone' | 'invalid' | 'rate-limited' | 'timeout' | 'unreachable' | 'server';

/** A GitHub call that failed, with the one sentence the person reads. */
export class GitHubError extends Error {
  override name = 'GitHubError';
  constructor(
    readonly kind: GitHubProblemKind,
    message: string,
    readonly status: number | null = null,
    /** Rate limits: when GitHub takes calls again. */
    readonly retryAt: Date | null = null,
  ) {
    super(message);
  }

  /** Whether GitHub may have done the work although the bot got no answer (timeout, connection cut). */
  get inDoubt(): boolean {
    return this.kind === 'timeout' || this.kind === 'unreachable' || (this.kind === 'server' && this.status !== null && this.status >= 500);
  }
}

export interface GitHubClient {
  /** `owner/name`. */
  repo: string;
  createIssue(input: { title: string; body: string; labels: readonly string[] }): Promise<GitHubIssue>;
  /** Open issues carrying every one of `labels`, newest first, pull requests left out; at most `limit`. */
  listOpenIssues(labels: readonly string[], limit: number): Promise<GitHubIssue[]>;
  /** The issue whose body holds `marker`, among those updated since `since` (open or closed); null when none. */
  findIssueByMarker(marker: string, since: Date): Promise<GitHubIssue | null>;
}

export { gitHubSetupProblem } from '../../github-setup.js';

type IssueItem = {
  number: number;
  title: string;
  html_url: string;
  state: string;
  labels: (string | { name?: string | null })[];
  created_at: string;
  body?: string | null;
  pull_request?: unknown;
};

const toIssue = (i: IssueItem): GitHubIssue => ({
  number: i.number,
  title: i.title,
  html_url: i.html_url,
  state: i.state,
  labels: i.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter((l) => l !== ''),
  created_at: i.created_at,
  body: i.body ?? null,
});

const header = (headers: Record<string, unknown> | undefined, name: string): string | null => {
  const v = headers?.[name];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
};

const hhmmUtc = (d: Date) => `${d.toISOString().slice(11, 16)} UTC`;

/** GitHub's own words, short: its message and the first field error (422). */
function gitHubSays(data: unknown): string {
  if (!data || typeof data !== 'object') return '';
  const d = data as { message?: unknown; errors?: unknown };
  const parts: string[] = [];
  if (typeof d.message === 'string') parts.push(d.message);
  if (Array.isArray(d.errors) && d.errors.length > 0) {
    const e = d.errors[0] as { field?: unknown; code?: unknown; value?: unknown; message?: unknown };
    const detail = typeof e.message === 'string' ? e.message : [e.field, e.code, e.value].filter((x) => typeof x === 'string' || typeof x === 'number').join(' ');
    if (detail) parts.push(detail);
  }
  const text = parts.join(': ').replace(/\s+/g, ' ').trim();
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}

/** The one sentence for a failed call, from octokit's error (or a timeout the bot decided). */
export function toGitHubError(err: unknown, repo: string, timedOutAfterMs: number | null, now: () => Date = () => new Date()): GitHubError {
  if (err instanceof GitHubError) return err;
  if (timedOutAfterMs !== null) return new GitHubError('timeout', `GitHub did not answer within ${timedOutAfterMs / 1000} s; try again in a minute (GITHUB_API_URL and the network if it keeps happening).`);
  const e = err as { status?: unknown; response?: { headers?: Record<string, unknown>; data?: unknown }; cause?: unknown; message?: unknown };
  const status = typeof e.status === 'number' ? e.status : null;
  const headers = e.response?.headers;
  if (!e.response || status === null) {
    const cause = e.cause as { code?: unknown; message?: unknown } | undefined;
    const why = typeof cause?.code === 'string' ? cause.code : typeof e.message === 'string' ? e.message.split('\n')[0]!.slice(0, 120) : 'no answer';
    return new GitHubError('unreachable', `GitHub could not be reached (${why}): check GITHUB_API_URL and the network, then try again.`);
  }
  const says = gitHubSays(e.response.data);
  const remaining = header(headers, 'x-ratelimit-remaining');
  const retryAfter = header(headers, 'retry-after');
  const rateLimited = status === 429 || (status === 403 && (remaining === '0' || retryAfter !== null || /rate limit/i.test(says)));
  if (rateLimited) {
    const reset = header(headers, 'x-ratelimit-reset');
    const at =
      retryAfter !== null && /^\d+$/.test(retryAfter)
        ? new Date(now().getTime() + Number(retryAfter) * 1000)
        : reset !== null && /^\d+$/.test(reset)
          ? new Date(Number(reset) * 1000)
          : new Date(now().getTime() + 60_000);
    const minutes = Math.max(1, Math.ceil((at.getTime() - now().getTime()) / 60_000));
    return new GitHubError('rate-limited', `GitHub's rate limit for this token is used up (${status}); try again after ${hhmmUtc(at)} (in ${minutes} min).`, status, at);
  }
  const quoted = says ? ` (GitHub: "${says}")` : '';
  switch (status) {
    case 401:
      return new GitHubError('token', `GitHub refused the token (401): set GITHUB_TOKEN to a valid token with Issues read and write on ${repo}.`, status);
    case 403:
      return new GitHubError('forbidden', `GitHub denied the token access to ${repo} (403)${quoted}: give it Issues read and write on ${repo} (or the repo scope for a classic token).`, status);
    case 404:
      return new GitHubError('not-found', `GitHub does not find ${repo} (404): check github.repo, and that GITHUB_TOKEN can see that repository.`, status);
    case 410:
      return new GitHubError('gone', `Issues are turned off in ${repo} (410): turn them on in the repository's settings, or point github.repo at another repository.`, status);
    case 422:
      return new GitHubError('invalid', `GitHub refused the issue (422)${quoted}: check the labels in the config (github.reviewLabels) and that the token may apply them.`, status);
    default:
      return new GitHubError('server', `GitHub answered ${status}${quoted}; try again in a minute.`, status);
  }
}

export interface GitHubClientOptions {
  timeoutMs?: number;
  /** Injectable for tests; default the global fetch. */
  fetch?: typeof fetch;
}

/** The client for the configured repository, or null when GitHub is not set up (gitHubSetupProblem says why). */
export function gitHubClient(config: Pick<Config, 'env' | 'github'>, opts: GitHubClientOptions = {}): GitHubClient | null {
  const repo = config.github.repo;
  const token = config.env.GITHUB_TOKEN;
  if (!repo || !token) return null;
  const [owner, name] = repo.split('/') as [string, string];
  const timeoutMs = opts.timeoutMs ?? GITHUB_TIMEOUT_MS;
  const octokit = new Octokit({
    auth: token,
    baseUrl: config.env.GITHUB_API_URL.replace(/\/+$/, ''),
    userAgent: 'shadow-atlas-chatops',
    // No logging of request bodies (the review draft) and nothing retried inside the client.
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    ...(opts.fetch ? { request: { fetch: opts.fetch } } : {}),
  });

  async function bounded<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    try {
      return await call(controller.signal);
    } catch (err) {
      throw toGitHubError(err, repo!, timedOut ? timeoutMs : null);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    repo,
    createIssue: (input) =>
      bounded(async (signal) => {
        const res = await octokit.rest.issues.create({ owner, repo: name, title: input.title, body: input.body, labels: [...input.labels], request: { signal } });
        return toIssue(res.data as IssueItem);
      }),
    listOpenIssues: (labels, limit) =>
      bounded(async (signal) => {
        const res = await octokit.rest.issues.listForRepo({
          owner,
          repo: name,
          state: 'open',
          labels: labels.join(','),
          sort: 'created',
          direction: 'desc',
          per_page: Math.min(100, limit + 20),
          request: { signal },
        });
        return (res.data as IssueItem[])
          .filter((i) => i.pull_request === undefined)
          .slice(0, limit)
          .map(toIssue);
      }),
    findIssueByMarker: (marker, since) =>
      bounded(async (signal) => {
        const res = await octokit.rest.issues.listForRepo({
          owner,
          repo: name,
          state: 'all',
          since: since.toISOString(),
          sort: 'created',
          direction: 'desc',
          per_page: 100,
          request: { signal },
        });
        const found = (res.data as IssueItem[]).find((i) => i.pull_request === undefined && (i.body ?? '').includes(marker));
        return found ? toIssue(found) : null;
      }),
  };
}
