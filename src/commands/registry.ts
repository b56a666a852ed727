import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Actor, CommandDeps, CommandSpec, Tier } from './command-spec.js';
import { DbProblemError } from '../db/sqlite-problem.js';
import type { Report } from '../templates/report.js';
import { toSqlTime } from '../time/atlas-time.js';

export type Outcome = Report['level'] | 'usage' | 'denied';

export interface RunResult {
  report: Report;
  outcome: Outcome;
  /** Set when an unexpected error was logged under this id. */
  errorId?: string;
}

/** Decides whether an actor may run commands of a tier. */
export type Authorizer = (actor: Actor, tier: Tier) => Promise<boolean>;

type Parsed =
  | { kind: 'help'; topic?: string }
  | { kind: 'unknown'; name: string }
  | { kind: 'usage'; spec: CommandSpec; message: string }
  | { kind: 'ok'; spec: CommandSpec; args: unknown };

const MAX_INPUT_CHARS = 1000;

/** Quotes user text for a message, short and on one line. */
export function quoteInput(text: string, max = 40): string {
  const flat = text.replace(/\s+/g, ' ').replace(/`/g, "'");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * The one table of subcommands that Slack and the terminal share. Help, usage errors,
 * authorization and the audit record all come from here.
 */
export class CommandRegistry {
  private readonly byName = new Map<string, CommandSpec>();

  constructor(
    specs: readonly CommandSpec[],
    private readonly authorize: Authorizer,
  ) {
    for (const spec of specs) {
      if (this.byName.has(spec.name)) throw new Error(`duplicate command ${spec.name}`);
      this.byName.set(spec.name, spec);
    }
  }

  get(name: string): CommandSpec | undefined {
    return this.byName.get(name);
  }

  parse(argv: readonly string[]): Parsed {
    const [name = 'help', ...rest] = argv;
    const lowered = name.toLowerCase();
    if (lowered === 'help' || lowered === '--help' || lowered === '-h') return { kind: 'help', topic: rest[0]?.toLowerCase() };
    const spec = this.byName.get(lowered);
    if (!spec) return { kind: 'unknown', name };
    if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help', topic: spec.name };
    let parsed: ReturnType<typeof parseArgs>;
    try {
      const options = Object.fromEntries(Object.entries(spec.options ?? {}).map(([k, o]) => [k, { type: o.type }]));
      parsed = parseArgs({ args: [...rest], options, strict: true, allowPositionals: true });
    } catch (err) {
      return { kind: 'usage', spec, message: describeParseError(err) };
    }
    const result = spec.args.safeParse({ _: parsed.positionals, ...parsed.values });
    if (!result.success) {
      const issue = result.error.issues[0];
      const where = issue && issue.path.length > 0 && issue.path[0] !== '_' ? `--${String(issue.path[0])}: ` : '';
      return { kind: 'usage', spec, message: `${where}${issue?.message ?? 'invalid arguments'}` };
    }
    return { kind: 'ok', spec, args: result.data };
  }

  usageLine(spec: CommandSpec, prefix: string): string {
    return `${prefix} ${spec.name}${spec.usage ? ` ${spec.usage}` : ''}`;
  }

  async visibleTo(actor: Actor): Promise<CommandSpec[]> {
    const out: CommandSpec[] = [];
    for (const spec of this.byName.values()) if (await this.authorize(actor, spec.tier)) out.push(spec);
    return out;
  }

  async helpReport(actor: Actor, prefix: string, topic?: string): Promise<Report> {
    const topicSpec = topic ? this.byName.get(topic) : undefined;
    if (topicSpec) {
      return {
        command: 'help',
        level: 'info',
        headline: `${this.usageLine(topicSpec, prefix)}: ${topicSpec.summary}`,
        sections: [],
        data: { name: topicSpec.name, usage: topicSpec.usage, tier: topicSpec.tier },
      };
    }
    const specs = await this.visibleTo(actor);
    return {
      command: 'help',
      level: 'info',
      headline: `${prefix} <subcommand>: ${specs.length} subcommands you can run`,
      // Long flag lists are cut here; `help <subcommand>` shows them all.
      sections: [{ table: { columns: ['command', 'what it answers'], rows: specs.map((s) => [quoteInput(this.usageLine(s, prefix), 60), s.summary]) } }],
      footer: `Details: ${prefix} help <subcommand>`,
      data: specs.map((s) => ({ name: s.name, usage: s.usage, tier: s.tier, summary: s.summary })),
    };
  }

  /** Parses, authorizes, runs and audits one invocation. Never throws. */
  async run(argv: readonly string[], actor: Actor, deps: CommandDeps): Promise<RunResult> {
    const prefix = actor.source === 'slack' ? '/atlas' : 'atlas';
    const started = Date.now();
    const finish = (result: RunResult, command: string, args: readonly string[]): RunResult => {
      this.audit(deps, actor, command, args, result, Date.now() - started);
      return result;
    };
    const inputLength = argv.reduce((n, w) => n + w.length + 1, 0);
    if (inputLength > MAX_INPUT_CHARS) {
      return finish(usage('input', `That is ${inputLength} characters; /atlas takes at most ${MAX_INPUT_CHARS}. Try \`${prefix} help\`.`), '(too long)', []);
    }
    const parsed = this.parse(argv);
    const [name = 'help', ...rest] = argv;
    switch (parsed.kind) {
      case 'help':
        return finish({ report: await this.helpReport(actor, prefix, parsed.topic), outcome: 'info' }, 'help', rest);
      case 'unknown':
        return finish(
          usage(name, `Unknown subcommand \`${quoteInput(name)}\`. Try \`${prefix} help\` for the list.`),
          '(unknown)',
          argv,
        );
      case 'usage':
        return finish(
          usage(parsed.spec.name, `${parsed.message}. Usage: \`${this.usageLine(parsed.spec, prefix)}\``),
          parsed.spec.name,
          rest,
        );
      case 'ok': {
        const { spec } = parsed;
        if (!(await this.authorize(actor, spec.tier))) {
          const report: Report = {
            command: spec.name,
            level: 'error',
            headline: `\`${spec.name}\` is for ${spec.tier === 'incident' ? 'responders' : 'remediators'}; ask the on-call lead to add you in the bot's config.`,
            sections: [],
          };
          return finish({ report, outcome: 'denied' }, spec.name, rest);
        }
        try {
          const report = await spec.run(parsed.args, deps, actor);
          return finish({ report, outcome: report.level }, spec.name, rest);
        } catch (err) {
          if (err instanceof DbProblemError) {
            deps.logger.warn({ command: spec.name, problem: err.problem }, 'command could not read a database');
            const report: Report = { command: spec.name, level: 'error', headline: err.problem.message, sections: [] };
            return finish({ report, outcome: 'error' }, spec.name, rest);
          }
          const errorId = randomBytes(4).toString('hex');
          deps.logger.error({ err, errorId, command: spec.name }, 'command failed');
          const report: Report = {
            command: spec.name,
            level: 'error',
            headline: `\`${spec.name}\` failed unexpectedly (error id ${errorId}); the bot's log has the detail. Other subcommands still work.`,
            sections: [],
          };
          return finish({ report, outcome: 'error', errorId }, spec.name, rest);
        }
      }
    }
  }

  private audit(deps: CommandDeps, actor: Actor, command: string, args: readonly string[], result: RunResult, ms: number): void {
    try {
      deps.state
        .prepare(
          `INSERT INTO command_runs (at, source, user_id, channel_id, command, args, outcome, summary, duration_ms, error_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          toSqlTime(deps.clock()),
          actor.source,
          actor.userId.slice(0, 100),
          actor.channelId ?? null,
          command.slice(0, 100),
          JSON.stringify(args).slice(0, 2000),
          result.outcome,
          result.report.headline.slice(0, 500),
          ms,
          result.errorId ?? null,
        );
    } catch (err) {
      // The answer matters more than its audit row; the log keeps what the table could not.
      deps.logger.error({ err, command }, 'could not record the command run in chatops.db');
    }
  }
}

function usage(command: string, message: string): RunResult {
  return { report: { command, level: 'error', headline: message, sections: [] }, outcome: 'usage' };
}

function describeParseError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const unknownOption = /Unknown option '([^']*)'/.exec(message);
  if (unknownOption) return `unknown flag \`${quoteInput(unknownOption[1] ?? '')}\``;
  const missingValue = /Option '([^']*)'.*argument missing/.exec(message);
  if (missingValue) return `\`${missingValue[1]?.split(' ')[0]}\` needs a value`;
  return quoteInput(message, 120);
}
