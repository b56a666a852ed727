import type { Server } from 'node:http';
import type { Logger } from 'pino';

export interface AckFirstQueueOptions {
  /** Jobs in progress at once; their network waits overlap, their CPU work does not. */
  concurrency?: number;
  /**
   * Synchronous work (ms) the queue starts per turn of the event loop while HTTP requests await
   * their acknowledgement; then the loop reads them first.
   */
  sliceMs?: number;
  /** The same while no request awaits one: larger, but still bounded, so no turn stalls the loop. */
  idleSliceMs?: number;
  now?: () => number;
}

interface Job {
  run: () => Promise<void>;
}

/**
 * The work that follows an acknowledgement (running a subcommand, answering through
 * response_url) runs in order, on later turns of the event loop than the acknowledgement. While
 * requests are still waiting for theirs, a turn starts at most `sliceMs` of that work, so a
 * waiting acknowledgement is never behind more than one slice of answers (Slack allows an
 * acknowledgement 3 s; heavy reads run in worker threads, so the slice is the answers'
 * rendering and posting, a millisecond or two each); otherwise at most `idleSliceMs`.
 *
 * It used to hold the work back while any request awaited its acknowledgement (up to 2 s) and
 * then start one job per turn. Under a steady stream of commands there is always an
 * acknowledgement pending and more than one command per turn, so the answers fell behind
 * without bound (`health --window 30d` answered after 69 s). Now a job waits for the jobs
 * ahead of it and for the slices, never for the stream.
 */
export class AckFirstQueue {
  private readonly jobs: Job[] = [];
  private waitingForAck = 0;
  private active = 0;
  private scheduled = false;
  private readonly concurrency: number;
  private readonly sliceMs: number;
  private readonly idleSliceMs: number;
  private readonly now: () => number;

  constructor(
    private readonly logger: Logger,
    opts: AckFirstQueueOptions = {},
  ) {
    this.concurrency = opts.concurrency ?? 16;
    this.sliceMs = opts.sliceMs ?? 5;
    this.idleSliceMs = opts.idleSliceMs ?? 20;
    this.now = opts.now ?? (() => performance.now());
  }

  /** Counts requests on `server` from arrival until their response is sent. */
  track(server: Server): void {
    server.on('request', (_req, res) => {
      this.waitingForAck++;
      res.once('close', () => {
        this.waitingForAck--;
      });
    });
  }

  enqueue(run: () => Promise<void>): void {
    this.jobs.push({ run });
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

  /** Starts jobs in order, one slice's worth per turn. */
  private pump(): void {
    const sliceStart = this.now();
    while (this.jobs.length > 0 && this.active < this.concurrency) {
      const slice = this.waitingForAck > 0 ? this.sliceMs : this.idleSliceMs;
      if (this.now() - sliceStart >= slice) {
        // Let the requests that arrived meanwhile be read and acknowledged first.
        this.schedule();
        return;
      }
      this.start(this.jobs.shift()!);
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
