import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Actor, CommandDeps, CommandSpec } from './command-spec.js';
import type { Authorizer } from './authorize.js';
import { DbProblemError } from '../db/sqlite-problem.js';
import { quoteInput } from '../templates/quote-input.js';
import type { Report } from '../templates/report.js';
import { toSqlTime } from '../time/atlas-time.js';

export type Outcome = Report['level'] | 'usage' | 'denied';

export interface RunResult {
  report: Report;
  outcome: Outcome;
  /** Set when an unexpected error was logged under this id. */
  errorId?: string;
}

/** A command's arguments as parseArgs gives them: positionals under `_`, flags by name. */
export type RawArgs = { _: string[] } & Record<string, string | boolean | string[] | undefined>;

type Parsed =
  | { kind: 'help'; topic?: string }
  | { kind: 'unknown'; name: string }
  | { kind: 'usage'; spec: CommandSpec; message: string }
  | { kind: 'ok'; spec: CommandSpec; args: unknown };

const MAX_INPUT_CHARS = 1000;

/** The answer for an unexpected failure: an error id that is also in the log. */
export function unexpectedFailure(command: string, errorId: string): Report {
  return {
    command,
    level: 'error',
    headline: `\`${command}\` failed unexpectedly (error id ${errorId}); the bot's log has the detail. Other subcommands still work.`,
    sections: [],
  };
}

/**
 * The one table of subcommands that Slack and the terminal share, and the one way to run one:
 * typed in Slack or a terminal, pressed as a button, submitted as a form. Help, usage errors,
 * authorization and the audit record all come from here.
 */
export class CommandRegistry {
  private readonly byName = new Map<string, CommandSpec>();

  constructor(
    specs: readonly CommandSpec[],
    private readonly authorizer: Authorizer,
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
    return this.validate(spec, { _: parsed.positionals, ...parsed.values });
  }

  private validate(spec: CommandSpec, raw: RawArgs): Parsed {
    const result = spec.args.safeParse(raw);
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
    for (const spec of this.byName.values()) {
      if (!spec.hidden && (await this.authorizer.decide(actor, spec.tier, spec.name)).allowed) out.push(spec);
    }
    return out;
  }

  async helpReport(actor: Actor, prefix: string, topic?: string): Promise<Report> {
    const topicSpec = topic ? this.byName.get(topic) : undefined;
    if (topicSpec && !topicSpec.hidden) {
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

  /** Typed words (a slash command, the terminal): parses, then runs as `invoke` does. Never throws. */
  async run(argv: readonly string[], actor: Actor, deps: CommandDeps): Promise<RunResult> {
    const prefix = actor.source === 'slack' ? '/atlas' : 'atlas';
    const started = performance.now();
    const inputLength = argv.reduce((n, w) => n + w.length + 1, 0);
    if (inputLength > MAX_INPUT_CHARS) {
      const result = usage('input', `That is ${inputLength} characters; /atlas takes at most ${MAX_INPUT_CHARS}. Try \`${prefix} help\`.`);
      return this.audited(deps, actor, '(too long)', [], result, started);
    }
    const parsed = this.parse(argv);
    const [name = 'help', ...rest] = argv;
    switch (parsed.kind) {
      case 'help':
        return this.audited(deps, actor, 'help', rest, { report: await this.helpReport(actor, prefix, parsed.topic), outcome: 'info' }, started);
      case 'unknown':
        return this.audited(deps, actor, '(unknown)', argv, usage(name, `Unknown subcommand \`${quoteInput(name)}\`. Try \`${prefix} help\` for the list.`), started);
      case 'usage':
        return this.audited(deps, actor, parsed.spec.name, rest, usage(parsed.spec.name, `${parsed.message}. Usage: \`${this.usageLine(parsed.spec, prefix)}\``), started);
      case 'ok':
        return this.execute(parsed.spec, parsed.args, rest, actor, deps, started);
    }
  }

  /**
   * A button press or a form submission standing for subcommand `name` with `raw` arguments:
   * validated by the same schema, authorized by the same tier, audited in the same table.
   */
  async invoke(name: string, raw: RawArgs, actor: Actor, deps: CommandDeps): Promise<RunResult> {
    const started = performance.now();
    const spec = this.byName.get(name);
    const shown = [...raw._, ...Object.entries(raw).flatMap(([k, v]) => (k === '_' || v === undefined ? [] : [`--${k}`, String(v)]))];
    if (!spec) throw new Error(`no subcommand ${name} in the registry`);
    const parsed = this.validate(spec, raw);
    if (parsed.kind !== 'ok') {
      const message = parsed.kind === 'usage' ? parsed.message : 'invalid arguments';
      return this.audited(deps, actor, spec.name, shown, usage(spec.name, `That could not be read (${message}).`), started);
    }
    return this.execute(spec, parsed.args, shown, actor, deps, started);
  }

  private async execute(spec: CommandSpec, args: unknown, shown: readonly string[], actor: Actor, deps: CommandDeps, started: number): Promise<RunResult> {
    const decision = await this.authorizer.decide(actor, spec.tier, spec.name);
    if (!decision.allowed) {
      return this.audited(deps, actor, spec.name, shown, { report: { command: spec.name, level: 'error', headline: decision.reason, sections: [] }, outcome: 'denied' }, started);
    }
    let result: RunResult;
    try {
      const report = await spec.run(args, deps, actor);
      result = { report, outcome: report.level };
    } catch (err) {
      if (err instanceof DbProblemError) {
        deps.logger.warn({ command: spec.name, problem: err.problem }, 'command could not read a database');
        result = { report: { command: spec.name, level: 'error', headline: err.problem.message, sections: [] }, outcome: 'error' };
      } else {
        const errorId = randomBytes(4).toString('hex');
        deps.logger.error({ err, errorId, command: spec.name }, 'command failed');
        result = { report: unexpectedFailure(spec.name, errorId), outcome: 'error', errorId };
      }
    }
    return this.audited(deps, actor, spec.name, shown, result, started);
  }

  private audited(deps: CommandDeps, actor: Actor, command: string, args: readonly string[], result: RunResult, started: number): RunResult {
    try {
      deps.state.commandRuns.add({
        at: toSqlTime(deps.clock()),
        source: actor.source,
        via: actor.source === 'cli' ? 'terminal' : (actor.via ?? 'command'),
        userId: actor.userId.slice(0, 100),
        channelId: actor.channelId ?? null,
        command: command.slice(0, 100),
        args: JSON.stringify(args).slice(0, 2000),
        outcome: result.outcome,
        summary: result.report.headline.slice(0, 500),
        durationMs: Math.round(performance.now() - started),
        errorId: result.errorId ?? null,
      });
    } catch (err) {
      // The answer matters more than its audit row; the log keeps what the table could not.
      deps.logger.error({ err, command }, 'could not record the command run in chatops.db');
    }
    return result;
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
