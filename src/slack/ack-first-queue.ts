import type { Server } from 'node:http';
import type { Logger } from 'pino';

interface Job {
  run: () => Promise<void>;
  queuedAt: number;
}

/**
 * The work that follows an acknowledgement (running a subcommand, answering through
 * response_url) starts only while no HTTP request is still waiting for its acknowledgement:
 * Slack allows an acknowledgement 3 s and a response_url 30 minutes, so under a burst the acks
 * go first. A job never waits longer than `maxDelayMs`, so answers cannot starve; with nothing
 * tracked (Socket Mode, tests) jobs start on the next turn of the event loop.
 */
export class AckFirstQueue {
  private readonly jobs: Job[] = [];
  private waitingForAck = 0;
  private active = 0;
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly maxDelayMs = 2000,
    /** Jobs in progress at once; their network waits overlap, their CPU work does not. */
    private readonly concurrency = 8,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Counts requests on `server` from arrival until their response is sent. */
  track(server: Server): void {
    server.on('request', (_req, res) => {
      this.waitingForAck++;
      res.once('close', () => {
        this.waitingForAck--;
        if (this.waitingForAck === 0) this.schedule();
      });
    });
  }

  enqueue(run: () => Promise<void>): void {
    this.jobs.push({ run, queuedAt: this.now() });
    this.schedule();
  }

  /** Jobs not yet started plus jobs in progress. */
  size(): number {
    return this.jobs.length + this.active;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Starts at most one job per turn of the event loop, so incoming requests are read in between. */
  private pump(): void {
    const next = this.jobs[0];
    if (!next || this.active >= this.concurrency) return;
    const waited = this.now() - next.queuedAt;
    if (this.waitingForAck > 0 && waited < this.maxDelayMs) {
      if (!this.timer) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.schedule();
        }, this.maxDelayMs - waited);
      }
      return;
    }
    this.jobs.shift();
    this.active++;
    next
      .run()
      .catch((err: unknown) => this.logger.error({ err }, 'work after an acknowledgement failed'))
      .finally(() => {
        this.active--;
        this.schedule();
      });
    if (this.jobs.length > 0) this.schedule();
  }
}
