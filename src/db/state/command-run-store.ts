import type Database from 'better-sqlite3';
import { statements } from './statements.js';
import type { Synchronous } from './synchronous.js';

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

export function commandRunStore(db: Database.Database): Synchronous<CommandRunStore> {
  const sql = statements(db);
  return {
    add(r) {
      sql(
        `INSERT INTO command_runs (at, source, via, user_id, channel_id, command, args, outcome, summary, duration_ms, error_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(r.at, r.source, r.via, r.userId, r.channelId, r.command, r.args, r.outcome, r.summary, r.durationMs, r.errorId);
    },
  };
}
