import type { Server } from 'node:http';
import type { Logger } from 'pino';

interface Job {
  run: () => Promise<void>;
  queuedAt: number;
}

/**
 * The work that follows an acknowledgement (running a subcommand, answering through
 * response_url) waits while HTTP requests are still waiting for their acknowledgement, but at
 * most `maxDelayMs`: Slack allows an acknowledgement 3 s, so a burst of commands is acknowledged
 * first. Past that, jobs start in order, as many per turn of the event loop as fit in `sliceMs`
 * of synchronous work, then the loop reads requests again. So a steady stream of commands
 * (there is always an ack pending) can neither starve the answers, as a queue that started one
 * job per turn did (answers fell behind without bound: `health --window 30d` answered after
 * 69 s), nor stall the acknowledgements behind a backlog of answers. With nothing tracked
 * (Socket Mode, tests) jobs start on the next turn.
 */
export class AckFirstQueue {
  private readonly jobs: Job[] = [];
  private waitingForAck = 0;
  private active = 0;
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly maxDelayMs = 250,
    /** Jobs in progress at once; their network waits overlap, their CPU work does not. */
    private readonly concurrency = 32,
    private readonly now: () => number = () => performance.now(),
    /** Synchronous work started per turn of the event loop before incoming requests are read again. */
    private readonly sliceMs = 5,
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

  /** Starts the jobs that may start, in order, until this turn's slice is used up. */
  private pump(): void {
    const sliceStart = this.now();
    while (this.jobs.length > 0 && this.active < this.concurrency) {
      const next = this.jobs[0]!;
      const waited = this.now() - next.queuedAt;
      if (this.waitingForAck > 0 && waited < this.maxDelayMs) {
        // Held for the acknowledgements; the timer (or the last ack) starts it.
        if (!this.timer) {
          this.timer = setTimeout(() => {
            this.timer = null;
            this.schedule();
          }, this.maxDelayMs - waited);
        }
        return;
      }
      this.jobs.shift();
      this.start(next);
      if (this.now() - sliceStart >= this.sliceMs) {
        // Let the requests that arrived meanwhile be read (and acknowledged) first.
        this.schedule();
        return;
      }
    }
  }

  private start(job: Job): void {
    this.active++;
    job
      .run()
      .catch((err: unknown) => this.logger.error({ err }, 'work after an acknowledgement failed'))
      .finally(() => {
        this.active--;
        this.schedule();
      });
  }
}
