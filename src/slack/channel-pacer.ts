/**
 * Slack allows about one message per second per channel, with short bursts above it. Posts to
 * one channel go one at a time, in the order they asked (so a channel shows messages in the
 * order the bot meant them), at that pace: a token bucket per channel spreads an alert storm
 * out instead of meeting it with 429s. Real time, not the bot's clock: it is Slack's pace.
 */
/** Thrown by a post that decided not to go after all (it keeps its token for the next one). */
export class Unsent extends Error {}

export class ChannelPacer {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly tails = new Map<string, Promise<void>>();

  constructor(
    private readonly perSecond = 1,
    private readonly burst = 10,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Runs `post` when it is the channel's turn and a token is free; the next post of the channel
   * waits for it to end. A post that throws `Unsent` gives its token back.
   */
  async run<T>(channel: string, post: () => Promise<T>): Promise<T> {
    const before = this.tails.get(channel) ?? Promise.resolve();
    let done!: () => void;
    const tail = before.then(() => new Promise<void>((resolve) => (done = resolve)));
    this.tails.set(channel, tail);
    await before;
    try {
      for (let wait = this.take(channel); wait > 0; wait = this.take(channel)) await new Promise((r) => setTimeout(r, wait));
      try {
        return await post();
      } catch (err) {
        if (err instanceof Unsent) this.refund(channel);
        throw err;
      }
    } finally {
      done();
      if (this.tails.get(channel) === tail) this.tails.delete(channel);
    }
  }

  private refund(channel: string): void {
    const b = this.buckets.get(channel);
    if (b) b.tokens = Math.min(this.burst, b.tokens + 1);
  }

  /** Milliseconds to wait before the next post to `channel`; takes the token when it is 0. */
  private take(channel: string): number {
    const t = this.now();
    const b = this.buckets.get(channel) ?? { tokens: this.burst, at: t };
    const tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.perSecond);
    if (tokens >= 1) {
      this.buckets.set(channel, { tokens: tokens - 1, at: t });
      return 0;
    }
    this.buckets.set(channel, { tokens, at: t });
    return Math.ceil(((1 - tokens) / this.perSecond) * 1000);
  }
}
