import { z } from 'zod';
import type { DomainDeps } from '../incidents/incident-deps.js';
import type { UploadFile } from '../slack/file-upload.js';
import type { UserExists, UserName, UserTimeZone } from '../slack/workspace-people.js';
import type { Report } from '../templates/report.js';
import { parseDuration } from '../time/atlas-time.js';

/** Who may run a command: anyone (read), responders (incident), remediators (remediate). */
export type Tier = 'read' | 'incident' | 'remediate';

/** The families help groups subcommands by, in the order Slack's help lists them. */
export const COMMAND_GROUPS = ['Diagnostics', 'Incidents', 'On call and handoff', 'Remediation', 'Bot'] as const;
export type CommandGroup = (typeof COMMAND_GROUPS)[number];

export interface Actor {
  source: 'slack' | 'cli';
  /** Slack user ID, or the terminal user's login name. */
  userId: string;
  channelId?: string;
  /** Which Slack surface the request came through, for the audit trail (default: a slash command). */
  via?: 'command' | 'button' | 'modal';
  /**
   * Where a long apply says how far it got (a backup's copy), for the person waiting: in Slack the
   * preview they confirmed is replaced by the line. Best effort; never awaited.
   */
  progress?: (line: string) => void;
  /**
   * The response_url of the message the answer becomes (Slack only): a remediation's preview is
   * replaced through it when it expires unconfirmed.
   */
  responseUrl?: string;
}

/**
 * Everything a command may use: the domain's dependencies (state, clock, config, the Atlas
 * stores, the event sink) and the outside world. Built once at start; commands never reach for globals.
 */
export interface CommandDeps extends DomainDeps {
  /** Outbound HTTP (provider and IPFS probes); injectable for tests. */
  fetch: typeof fetch;
  /** Whether the Slack connection works; set by the Slack app, absent in the terminal. */
  slackStatus?: () => Promise<{ ok: boolean; detail: string }>;
  /** Whether a user ID is still someone in the workspace; set by the bot, absent in the terminal. */
  userExists?: UserExists;
  /** A person's time zone from Slack (users.info tz); set by the bot, absent in the terminal (the rotation's zone serves). */
  userTimeZone?: UserTimeZone;
  /** A person's name from Slack (users.info), for what is read outside Slack; set by the bot, absent in the terminal (the state's names serve). */
  userName?: UserName;
  /** Shares a text file in a channel or thread (files upload), bounded in time; set by the Slack app, absent in the terminal. */
  uploadFile?: UploadFile;
  /** This process among the replicas sharing the state (doctor and App Home say "this one"); set by the bot, absent in the terminal. */
  replicaId?: string;

}

/** What the registry tells a command that `changesWhoMayAct` about its caller, from the authorizer. */
export interface Standing {
  /** Holds the remediate tier by who they are (wherever they typed); null when Slack did not say in time. */
  remediator: boolean | null;
  /** Who holds it, for a refusal ("<@U1>, <!subteam^S1>"). */
  remediators: string;
}

export interface OptionSpec {
  type: 'string' | 'boolean';
}

export interface CommandSpec<A = unknown> {
  name: string;
  /** One line for help. */
  summary: string;
  /** Arguments after the name, e.g. "[--window 1h]". */
  usage: string;
  tier: Tier;
  /**
   * Typical invocations, the words after `atlas` (`health --window 30m`): the generated reference
   * (docs/commands.md) shows them and a test parses each with the real parser. Without any, the
   * reference derives one from `usage`.
   */
  examples?: readonly string[];
  /** Its family in Slack's help (Diagnostics, Incidents, …); help lists one without a group last. */
  group?: CommandGroup;
  /** Flags this command accepts; anything else is a usage error. */
  options?: Record<string, OptionSpec>;
  /** Validates `{ _: positionals, ...flags }` into the command's arguments. */
  args: z.ZodType<A>;
  /** Takes long enough that Slack gets a "working on it" reply first (integrity, providers). */
  slow?: boolean;
  /** What that first reply says ("Drawing the errors chart for the last 6 h…"), instead of "Running `…`…". */
  working?: (args: A) => string;
  /** Stands behind a button or form only: not listed in help, still authorized and audited here. */
  hidden?: boolean;
  /**
   * Runs in a terminal on the bot's host only (`state migrate`): Slack's help does not list it and
   * Slack gets one sentence saying where to run it.
   */
  terminalOnly?: boolean;
  /**
   * Changes who is on call, and so who may act (`oncall cover`, `oncall uncover`): run gets the
   * caller's standing, and a refusal at the gate goes to the audit log as a remediation's does.
   */
  changesWhoMayAct?: boolean;
  run(args: A, deps: CommandDeps, actor: Actor, standing?: Standing): Promise<Report>;
}

/** Keeps the argument type of each command while they share one table. */
export function defineCommand<A>(spec: CommandSpec<A>): CommandSpec<unknown> {
  return spec as unknown as CommandSpec<unknown>;
}

/** `--window 10m`: a duration between 1 minute and 30 days, in ms. */
export function windowArg(fallback: string) {
  return z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === null || ms < 60_000 || ms > 30 * 86_400_000) {
        ctx.addIssue({ code: 'custom', message: `takes a duration from 1m to 30d, like 10m, 1h or 2d (got "${text.slice(0, 20)}")` });
        return z.NEVER;
      }
      return ms;
    });
}

/** `--limit N`: a whole number in [1, max]. */
export function limitArg(fallback: number, max: number) {
  return z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined) return fallback;
      const n = Number(text);
      if (!/^\d+$/.test(text) || n < 1 || n > max) {
        ctx.addIssue({ code: 'custom', message: `takes a whole number from 1 to ${max} (got "${text.slice(0, 20)}")` });
        return z.NEVER;
      }
      return n;
    });
}

/** No positional arguments. */
export const noPositionals = z.array(z.string()).max(0, { message: 'takes no arguments besides its flags' });
