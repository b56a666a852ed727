/**
 * Slack refuses with HTTP 200 and `{ ok: false, error: '<code>' }`. For Block Kit problems it
 * adds what was wrong, each naming a JSON pointer, e.g.
 *   { ok: false, error: 'invalid_blocks',
 *     errors: ['must be less than 3001 characters [json-pointer:/blocks/0/text/text]'],
 *     response_metadata: { messages: ['[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]'] } }
 * (shape as logged from real Slack answers in public code; the node-sdk's ChatPostMessageResponse
 * has both `errors` and `response_metadata`).
 */
export class SlackRefusal extends Error {
  constructor(
    readonly code: string,
    /** "<what> [json-pointer:<where>]" lines. */
    readonly problems: readonly string[] = [],
  ) {
    super(problems.length ? `${code}: ${problems.join('; ')}` : code);
    this.name = 'SlackRefusal';
  }

  /** The JSON body Slack would answer. */
  body(): Record<string, unknown> {
    const body: Record<string, unknown> = { ok: false, error: this.code };
    if (this.problems.length === 0) return body;
    if (this.code === 'invalid_blocks') body.errors = [...this.problems];
    body.response_metadata = { messages: this.problems.map((p) => `[ERROR] ${p}`) };
    return body;
  }
}

export function refuse(code: string, problems: readonly string[] = []): never {
  throw new SlackRefusal(code, problems);
}

/** One Block Kit problem, in Slack's wording: "<what> [json-pointer:<where>]". */
export function problemAt(pointer: string, what: string): string {
  return `${what} [json-pointer:${pointer}]`;
}
