
export type CommandOutcome = 'ok' | 'warn' | 'crit' | 'unknown' | 'info' | 'error' | 'usage' | 'denied';

/** One row of the audit trail: who ran what, where, and how it ended. */
export interface CommandRun {
  /** 'YYYY-MM-DD HH:MM:SS' UTC. */
  at: string;
  source: 'slack' | 'cli';
  /** The Slack surface it came from: a slash command, a button or a modal. */
  via: 'command' | 'button' | 'modal' | 'terminal';
  userId: string;
  channelId: string | null;
  command: string;
  args: string;
  outcome: CommandOutcome;
  summary: string;
  durationMs: number;
  errorId: string | null;
}

export interface CommandRunStore {
  add(run: CommandRun): Promise<void>;
}
