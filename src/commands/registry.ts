import { randomBytes } from 'node:crypto';
import { rememberName } from '../slack/people-names.js';
import { parseArgs } from 'node:util';
import { COMMAND_GROUPS, type Actor, type CommandDeps, type CommandSpec } from './command-spec.js';
import type { Authorizer, Decision } from './authorize.js';
import { closestNames } from './closest-names.js';
import { DbProblemError } from '../db/sqlite-problem.js';
import { isStateUnreachable, STATE_UNREACHABLE_ANSWER } from '../db/state/state-unreachable.js';
import { quoteInput } from '../text/quote-input.js';
import { withoutUrlPasswords } from '../text/url-credentials.js';
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

/** What typed words stand for; `rest` is the words after the subcommand's name (or after `help`). */
type Parsed =
  | { kind: 'help'; topic?: string; rest: string[] }
  | { kind: 'unknown'; name: string }
  | { kind: 'usage'; spec: CommandSpec; message: string; rest: string[] }
  | { kind: 'ok'; spec: CommandSpec; args: unknown; rest: string[] };

const MAX_INPUT_CHARS = 1000;

/** A subcommand's name: lowercase words, one space between them (`oncall cover`). */
const COMMAND_NAME = /^[a-z0-9][a-z0-9-]*(?: [a-z0-9][a-z0-9-]*)*$/;

/**
 * Slack's help: the subcommands by family, one short line each (its name and summary; flags are
 * in `help <subcommand>`), which a phone shows without wrapping a table apart.
 */
function helpGroups(specs: readonly CommandSpec[]): { title: string; lines: string[] }[] {
  const groups = [...COMMAND_GROUPS, undefined].map((group) => ({
    title: group ?? 'Other',
    lines: specs.filter((s) => s.group === group).map((s) => `\`${s.name}\` ${s.summary}`),
  }));
  return groups.filter((g) => g.lines.length > 0);
}

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
  /** The most words in one name: how far `match` looks. */
  private readonly longestName: number = 1;

  constructor(
    specs: readonly CommandSpec[],
    private readonly authorizer: Authorizer,
  ) {
    for (const spec of specs) {
      if (!COMMAND_NAME.test(spec.name)) throw new Error(`command name ${JSON.stringify(spec.name)} is not lowercase words with one space between them`);
      if (this.byName.has(spec.name)) throw new Error(`duplicate command ${spec.name}`);
      this.byName.set(spec.name, spec);
      this.longestName = Math.max(this.longestName, spec.name.split(' ').length);
    }
  }

  get(name: string): CommandSpec | undefined {
    return this.byName.get(name);
  }

  /**
   * The subcommand the first words name, the longest name first: `oncall cover 12` is
   * `oncall cover`, `oncall @ann` is `oncall`. Case-insensitive; null when none matches.
   */
  private match(words: readonly string[]): { spec: CommandSpec; rest: string[] } | null {
    for (let n = Math.min(this.longestName, words.length); n >= 1; n--) {
      const spec = this.byName.get(words.slice(0, n).join(' ').toLowerCase());
      if (spec) return { spec, rest: words.slice(n) };
    }
    return null;
  }

  parse(argv: readonly string[]): Parsed {
    const [name = 'help', ...afterName] = argv;
    const lowered = name.toLowerCase();
    if (lowered === 'help' || lowered === '--help' || lowered === '-h') {
      return { kind: 'help', topic: this.match(afterName)?.spec.name ?? afterName[0]?.toLowerCase(), rest: afterName };
    }
    const found = this.match(argv);
    if (!found) return { kind: 'unknown', name };
    const { spec, rest } = found;
    if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help', topic: spec.name, rest };
    let parsed: ReturnType<typeof parseArgs>;
    try {
      const options = Object.fromEntries(Object.entries(spec.options ?? {}).map(([k, o]) => [k, { type: o.type }]));
      parsed = parseArgs({ args: withDashValues(rest, spec), options, strict: true, allowPositionals: true });
    } catch (err) {
      return { kind: 'usage', spec, message: describeParseError(err), rest };
    }
    return this.validate(spec, { _: parsed.positionals, ...parsed.values }, rest);
  }

  private validate(spec: CommandSpec, raw: RawArgs, rest: string[]): Parsed {
    const result = spec.args.safeParse(raw);
    if (!result.success) {
      const issue = result.error.issues[0];
      const where = issue && issue.path.length > 0 && issue.path[0] !== '_' ? `--${String(issue.path[0])}: ` : '';
      return { kind: 'usage', spec, message: `${where}${issue?.message ?? 'invalid arguments'}`, rest };
    }
    return { kind: 'ok', spec, args: result.data, rest };
  }

  usageLine(spec: CommandSpec, prefix: string): string {
    return `${prefix} ${spec.name}${spec.usage ? ` ${spec.usage}` : ''}`;
  }

  /** Whether `actor` may run subcommand `name` here (a form checks before it opens, not only when it is sent). */
  async allows(actor: Actor, name: string): Promise<Decision> {
    const spec = this.byName.get(name);
    if (!spec) throw new Error(`no subcommand ${name} in the registry`);
    return this.authorizer.decide(actor, spec.tier, spec.name);
  }

  async visibleTo(actor: Actor): Promise<CommandSpec[]> {
    const out: CommandSpec[] = [];
    for (const spec of this.byName.values()) {
      if (!spec.hidden && offeredTo(spec, actor) && (await this.authorizer.decide(actor, spec.tier, spec.name)).allowed) out.push(spec);
    }
    return out;
  }

  async helpReport(actor: Actor, prefix: string, topic?: string): Promise<Report> {
    const topicSpec = topic ? this.byName.get(topic) : undefined;
    if (topicSpec && !topicSpec.hidden && offeredTo(topicSpec, actor)) {
      // `help oncall` names the subcommands under it too (`oncall cover`, `oncall uncover`) that the caller may run.
      const family = (await this.visibleTo(actor)).filter((s) => s.name.startsWith(`${topicSpec.name} `));
      return {
        command: 'help',
        level: 'info',
        headline: `${this.usageLine(topicSpec, prefix)}: ${topicSpec.summary}`,
        sections: family.length > 0 ? [{ title: 'Also', lines: family.map((s) => `${this.usageLine(s, prefix)}: ${s.summary}`) }] : [],
        data: { name: topicSpec.name, usage: topicSpec.usage, tier: topicSpec.tier },
      };
    }
    const specs = await this.visibleTo(actor);
    return {
      command: 'help',
      level: 'info',
      headline: `${prefix} <subcommand>: ${specs.length} subcommands you can run`,
      // Usage lines whole: the terminal wraps the column to its width (renderPlainText).
      sections: [{ table: { columns: ['command', 'what it answers'], rows: specs.map((s) => [this.usageLine(s, prefix), s.summary]) } }],
      slackSections: helpGroups(specs),
      footer: `Details: ${prefix} help <subcommand>`,
      data: specs.map((s) => ({ name: s.name, usage: s.usage, tier: s.tier, summary: s.summary })),
    };
  }

  /** " Closest: `health`, `errors`." among what `actor` may run, or "" when nothing is close (unless `orNearest`). */
  private async closestHint(typed: string, actor: Actor, orNearest = false): Promise<string> {
    const names = closestNames(typed, (await this.visibleTo(actor)).map((s) => s.name), { orNearest });
    return names.length > 0 ? ` Closest: ${names.map((n) => `\`${n}\``).join(', ')}.` : '';
  }

  /** Typed words (a slash command, the terminal): parses, then runs as `invoke` does. Never throws. */
  async run(argv: readonly string[], actor: Actor, deps: CommandDeps): Promise<RunResult> {
    const prefix = actor.source === 'slack' ? '/atlas' : 'atlas';
    const started = performance.now();
    const inputLength = argv.reduce((n, w) => n + w.length + 1, 0);
    if (inputLength > MAX_INPUT_CHARS) {
      const result = usage('input', `That is ${inputLength} characters; /atlas takes at most ${MAX_INPUT_CHARS}. Try \`${prefix} help\`.`);
      return await this.audited(deps, actor, '(too long)', [], result, started);
    }
    const parsed = this.parse(argv);
    if (parsed.kind !== 'unknown') {
      // A terminal-only subcommand typed (or asked about) in Slack: where to run it, and nothing else.
      const named = parsed.kind === 'help' ? (parsed.topic ? this.byName.get(parsed.topic) : undefined) : parsed.spec;
      if (named && !offeredTo(named, actor)) return await this.audited(deps, actor, named.name, parsed.rest, terminalOnly(named), started);
    }
    switch (parsed.kind) {
      case 'help':
        // `help nosuch` is a usage error like `nosuch` itself, not the whole list with success.
        if (parsed.topic !== undefined && !parsed.topic.startsWith('-') && !this.byName.has(parsed.topic)) {
          const message = `There is no subcommand \`${quoteInput(parsed.topic)}\`.${await this.closestHint(parsed.topic, actor, true)} Try \`${prefix} help\` for the list.`;
          return await this.audited(deps, actor, 'help', parsed.rest, usage('help', message), started);
        }
        return await this.audited(deps, actor, 'help', parsed.rest, { report: await this.helpReport(actor, prefix, parsed.topic), outcome: 'info' }, started);
      case 'unknown': {
        const message = `Unknown subcommand \`${quoteInput(parsed.name)}\`.${await this.closestHint(parsed.name, actor)} Try \`${prefix} help\` for the list.`;
        return await this.audited(deps, actor, '(unknown)', argv, usage(parsed.name, message), started);
      }
      case 'usage':
        return await this.audited(deps, actor, parsed.spec.name, parsed.rest, usage(parsed.spec.name, `${parsed.message}. Usage: \`${this.usageLine(parsed.spec, prefix)}\``), started);
      case 'ok':
        return this.execute(parsed.spec, parsed.args, parsed.rest, actor, deps, started);
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
    const parsed = this.validate(spec, raw, shown);
    if (parsed.kind !== 'ok') {
      const message = parsed.kind === 'usage' ? parsed.message : 'invalid arguments';
      return await this.audited(deps, actor, spec.name, shown, usage(spec.name, `That could not be read (${message}).`), started);
    }
    return this.execute(spec, parsed.args, shown, actor, deps, started);
  }

  private async execute(spec: CommandSpec, args: unknown, shown: readonly string[], actor: Actor, deps: CommandDeps, started: number): Promise<RunResult> {
    if (!offeredTo(spec, actor)) return await this.audited(deps, actor, spec.name, shown, terminalOnly(spec), started);
    const decision = await this.authorizer.decide(actor, spec.tier, spec.name);
    if (!decision.allowed) {
      // A refused remediation (or change of who is on call) is part of the audit trail too (who tried, where).
      if (spec.tier === 'remediate' || spec.changesWhoMayAct) await this.auditRefusal(deps, actor, spec.name, shown, decision.reason);
      return await this.audited(deps, actor, spec.name, shown, { report: { command: spec.name, level: 'error', headline: decision.reason, sections: [] }, outcome: 'denied' }, started);
    }
    // Whoever acts in Slack is someone the terminal should be able to name later (never awaited).
    if (actor.source === 'slack' && deps.userName) void rememberName(deps, actor.userId);
    let result: RunResult;
    try {
      const standing = spec.changesWhoMayAct ? { remediator: await this.authorizer.isRemediator(actor), remediators: this.authorizer.remediatorsNamed() } : undefined;
      const report = await spec.run(args, deps, actor, standing);
      result = { report, outcome: report.level };
    } catch (err) {
      if (err instanceof DbProblemError) {
        deps.logger.warn({ command: spec.name, problem: err.problem }, 'command could not read a database');
        result = { report: { command: spec.name, level: 'error', headline: err.problem.message, sections: [] }, outcome: 'error' };
      } else if (isStateUnreachable(err)) {
        deps.logger.warn({ err, command: spec.name }, 'command could not reach the state store');
        result = { report: { command: spec.name, level: 'error', headline: STATE_UNREACHABLE_ANSWER, sections: [] }, outcome: 'error' };
      } else {
        const errorId = randomBytes(4).toString('hex');
        deps.logger.error({ err, errorId, command: spec.name }, 'command failed');
        result = { report: unexpectedFailure(spec.name, errorId), outcome: 'error', errorId };
      }
    }
    return await this.audited(deps, actor, spec.name, shown, result, started);
  }

  private async auditRefusal(deps: CommandDeps, actor: Actor, command: string, args: readonly string[], reason: string): Promise<void> {
    try {
      await deps.state.audit.append(
        { source: actor.source, userId: actor.userId, channelId: actor.channelId ?? null, command, args: JSON.stringify(args), outcome: 'refused', plan: null, result: reason, undo: null },
        deps.clock(),
      );
    } catch (err) {
      deps.logger.error({ err, command }, 'could not append the refusal to the audit log');
    }
  }

  private async audited(deps: CommandDeps, actor: Actor, command: string, args: readonly string[], result: RunResult, started: number): Promise<RunResult> {
    try {
      await deps.state.commandRuns.add({
        at: toSqlTime(deps.clock()),
        source: actor.source,
        via: actor.source === 'cli' ? 'terminal' : (actor.via ?? 'command'),
        userId: actor.userId.slice(0, 100),
        channelId: actor.channelId ?? null,
        command: command.slice(0, 100),
        // A password typed into a URL (`state migrate --to postgresql://u:pw@…`) is not kept.
        args: JSON.stringify(args.map(withoutUrlPasswords)).slice(0, 2000),
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

/** Whether `actor` is offered `spec` at all: a terminal-only subcommand is not, in Slack. */
function offeredTo(spec: CommandSpec, actor: Actor): boolean {
  return !(spec.terminalOnly && actor.source === 'slack');
}

function terminalOnly(spec: CommandSpec): RunResult {
  return usage(spec.name, `\`${spec.name}\` runs only in a terminal on the bot's host: \`atlas ${spec.name}${spec.usage ? ` ${spec.usage}` : ''}\`.`);
}

function usage(command: string, message: string): RunResult {
  return { report: { command, level: 'error', headline: message, sections: [] }, outcome: 'usage' };
}

/**
 * A flag that takes a value, followed by a word starting with a dash (`--window -5m`,
 * `--weeks -2`): the word is its value, so that the flag's own check names it and says what it
 * takes. parseArgs would otherwise refuse it as "ambiguous" in three lines about its own syntax.
 * A following flag (`--window --all`) is left alone: then the value is missing.
 */
function withDashValues(words: readonly string[], spec: CommandSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const next = words[i + 1];
    const option = word.startsWith('--') ? spec.options?.[word.slice(2)] : undefined;
    if (option?.type === 'string' && next !== undefined && next.startsWith('-') && !next.startsWith('--') && next !== '-h') {
      out.push(`${word}=${next}`);
      i++;
    } else {
      out.push(word);
    }
  }
  return out;
}

/** parseArgs' refusal as one sentence of ours, whole (never cut), naming the flag. */
function describeParseError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const unknownOption = /Unknown option '([^']*)'/.exec(message);
  if (unknownOption) return `unknown flag \`${quoteInput(unknownOption[1] ?? '')}\``;
  const missingValue = /Option '([^']*)'.*argument missing/.exec(message);
  if (missingValue) return `\`${missingValue[1]?.split(' ')[0]}\` needs a value`;
  // `--window --all`: the word after the flag is another flag, so the flag has no value.
  const ambiguous = /Option '([^']*)' argument is ambiguous/.exec(message);
  if (ambiguous) return `\`${ambiguous[1]?.split(' ')[0]}\` needs a value`;
  const noValue = /Option '([^']*)' does not take an argument/.exec(message);
  if (noValue) {
    const flag = noValue[1]?.split(' ')[0] ?? '';
    return `\`${flag}\` takes no value: write \`${flag}\` alone`;
  }
  return message.replace(/\s+/g, ' ').trim().replace(/\.$/, '');
}
