import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CronExpressionParser } from 'cron-parser';
import YAML from 'yaml';
import { z } from 'zod';
import { SLACK_CHANNEL_ID, SLACK_USER_ID, SLACK_USERGROUP_ID } from './ids.js';
import { appTokenProblem, botTokenProblem, signingSecretProblem } from './slack-credential-formats.js';

const userId = z.string().regex(SLACK_USER_ID, 'a Slack user ID such as U012ABC3DEF');
const channelId = z.string().regex(SLACK_CHANNEL_ID, 'a Slack channel ID such as C012ABC3DEF');
const usergroupId = z.string().regex(SLACK_USERGROUP_ID, 'a Slack user group ID such as S012ABC3DEF');
const httpUrl = z.url({ protocol: /^https?$/, error: 'an http(s) URL' });

const percent = z.number().min(0, 'a percentage from 0 to 100').max(100, 'a percentage from 0 to 100');

/**
 * A target/alert pair from the on-call guide's dashboard table. `worse` says which way the alert
 * lies from the target: an inverted pair would turn warnings into pages or hide them.
 */
const band = (target: number, alert: number, worse: 'higher' | 'lower', unit: 'pct' | 'other' = 'other') => {
  const value = unit === 'pct' ? percent : z.number().nonnegative();
  return z
    .object({ target: value, alert: value })
    .strict()
    .refine((b) => (worse === 'higher' ? b.alert >= b.target : b.alert <= b.target), {
      error: (iss) => {
        const b = iss.input as { target: number; alert: number };
        return worse === 'higher'
          ? `alert at or above target (higher is worse; got target ${b.target}, alert ${b.alert})`
          : `alert at or below target (lower is worse; got target ${b.target}, alert ${b.alert})`;
      },
    })
    .default({ target, alert });
};

export const thresholdsSchema = z
  .object({
    proofSuccessPct: band(95, 90, 'lower', 'pct'),
    extractionSuccessPct: band(90, 80, 'lower', 'pct'),
    validationPassPct: band(90, 80, 'lower', 'pct'),
    providerAvailabilityPct: band(95, 95, 'lower', 'pct'),
    jobDurationSec: band(60, 120, 'higher'),
    queryLatencyP95Sec: band(1, 5, 'higher'),
    ipfsRetrievalSec: band(10, 30, 'higher'),
    databaseSizeGb: band(5, 10, 'higher'),
    diskUsagePct: band(80, 90, 'higher', 'pct'),
    activeJobs: band(5, 10, 'higher'),
    stuckJobHours: z.number().positive().default(12),
    backupMaxAgeHours: z.number().positive().default(48),
    snapshotWarnAgeDays: z.number().positive().default(30),
    snapshotCritAgeDays: z.number().positive().default(90),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.snapshotCritAgeDays < t.snapshotWarnAgeDays) {
      ctx.addIssue({
        code: 'custom',
        path: ['snapshotCritAgeDays'],
        message: `at least snapshotWarnAgeDays (got ${t.snapshotCritAgeDays}, below ${t.snapshotWarnAgeDays})`,
      });
    }
  });

export type Thresholds = z.infer<typeof thresholdsSchema>;

const DEFAULT_PROVIDERS = [
  { name: 'Census TIGER', url: 'https://tigerweb.geo.census.gov/arcgis/rest/services/TIGERweb/tigerWMS_Current/MapServer/17?f=json' },
  { name: 'ArcGIS Hub', url: 'https://hub.arcgis.com/api/v3/datasets?page[size]=1' },
];

const DEFAULT_GATEWAYS = ['https://w3s.link/ipfs/', 'https://dweb.link/ipfs/'];

const TIME_ZONE_EXPECTED = 'an IANA time zone such as Europe/Berlin';

/** A time zone the timers can use: Intl is what they call, so Intl decides (it throws RangeError on an unknown one). */
const timeZone = z.string({ error: TIME_ZONE_EXPECTED }).superRefine((tz, ctx) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    ctx.addIssue({ code: 'custom', message: `${TIME_ZONE_EXPECTED} (got ${JSON.stringify(tz)})` });
  }
});

const CRON_EXPECTED = 'a cron expression of five fields (minute hour day-of-month month day-of-week) such as "0 0 * * 1"';

/** A shift change as cron writes it; cron-parser decides what is valid (the scheduler enumerates with it). */
const cronExpression = z
  .string({ error: CRON_EXPECTED })
  .trim()
  .superRefine((expr, ctx) => {
    if (expr.split(/\s+/).length !== 5) {
      ctx.addIssue({ code: 'custom', message: `${CRON_EXPECTED} (got ${JSON.stringify(expr)})` });
      return;
    }
    try {
      CronExpressionParser.parse(expr, { tz: 'UTC' }).next();
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `${CRON_EXPECTED} (got ${JSON.stringify(expr)}: ${(err as Error).message})` });
    }
  });

/** An instant with its offset (2026-12-01T09:00:00Z, 2026-12-01T10:00:00+01:00). */
const instant = z.iso.datetime({ offset: true, error: 'an ISO instant with its offset, such as 2026-12-24T00:00:00Z' }).transform((t) => new Date(t));

const ROLE_EXPECTED = 'primary or secondary';

const overrideSchema = z
  .object({
    user: userId,
    role: z.enum(['primary', 'secondary'], { error: ROLE_EXPECTED }),
    from: instant,
    until: instant,
  })
  .strict()
  // Zod runs refinements past a field's own error; only two instants can be compared.
  .refine((o) => !(o.from instanceof Date && o.until instanceof Date) || o.until.getTime() > o.from.getTime(), { path: ['until'], message: 'an instant after `from`' });

/** Which slot of a list of `length` holds shift `index` (as the rotation walks it). */
const slot = (index: number, length: number) => index % length;

/**
 * PagerDuty (src/integrations/): `users` maps a PagerDuty user ID to the Slack user it is, for
 * acknowledgements made in PagerDuty (else users.lookupByEmail, else the PagerDuty name is said).
 */
const pagerdutySchema = z
  .object({
    users: z.record(z.string().regex(/^P[A-Z0-9]{5,15}$/, 'a PagerDuty user ID such as PLH1HKV'), userId).default({}),
    /** The schedules `rotation.source: pagerduty` reads who is on call from (src/integrations/pagerduty-rotation.ts). */
    schedules: z
      .object({
        primary: z.string().regex(/^P[A-Z0-9]{5,15}$/, 'a PagerDuty schedule ID such as PI7DH85'),
        secondary: z.string().regex(/^P[A-Z0-9]{5,15}$/, 'a PagerDuty schedule ID such as PI7DH85').optional(),
      })
      .strict()
      .optional(),
    /**
     * An Events API v2 integration key (a service's "Events API V2" integration): alerts from
     * every other source page through PagerDuty (src/integrations/pagerduty-sync.ts).
     */
    routingKey: z.string().regex(/^[A-Za-z0-9]{32}$/, "a service's Events API v2 integration key (32 letters and digits)").optional(),
    /**
     * The PagerDuty user email sent as `From:` when the bot itself resolves a PagerDuty incident
     * (an alert that cleared, a resolution by nobody mapped to PagerDuty).
     */
    fromEmail: z.email('the email of a PagerDuty user, sent as From: for the bot\'s own changes').optional(),
  })
  .strict();

const pagerdutyId = (what: string) => z.string().regex(/^P[A-Z0-9]{5,15}$/, `a PagerDuty ${what} ID such as PXPGF42`);

/** Whom an escalation pages in PagerDuty: a user (assigned the incident) or an escalation policy. */
const pagedContactSchema = z.union(
  [z.object({ user: pagerdutyId('user') }).strict(), z.object({ escalationPolicy: pagerdutyId('escalation policy') }).strict()],
  { error: 'either { user: P… } (a PagerDuty user ID) or { escalationPolicy: P… } (an escalation policy ID)' },
);

/**
 * Escalations that page through PagerDuty besides the Slack mention (src/integrations/pagerduty-escalation.ts):
 * an incident on `service` (REST API `POST /incidents`, PAGERDUTY_TOKEN) assigned to the contact.
 */
const escalationPagingSchema = z
  .object({
    service: pagerdutyId('service'),
    techLead: pagedContactSchema.optional(),
    cto: pagedContactSchema.optional(),
  })
  .strict();

const replaced = (by: string) => z.never({ error: `replaced by ${by}` }).optional();

/**
 * The rotation (src/oncall/config-rotation.ts reads it): a shift change on the `handoff` cron in
 * `timezone`; shift N is the Nth interval between fire times from `start`. Set either nothing or
 * at least `start` and `primary`: with only one of them nobody would ever be on call. On no
 * shift may the primary also be the secondary: escalating to the secondary would page the
 * person who has not answered. Overrides of one role may not overlap.
 */
const rotationSchema = z
  .object({
    /** Where who-is-on-call comes from: `config` (the rotation below) or `pagerduty` (pagerduty.schedules). */
    source: z.enum(['config', 'pagerduty'], { error: 'config (the rotation below) or pagerduty (pagerduty.schedules)' }).default('config'),
    handoff: cronExpression.default('0 0 * * 1'),
    timezone: timeZone.default('UTC'),
    start: z.union([z.iso.date(), z.iso.datetime({ offset: true })], { error: 'a date YYYY-MM-DD (midnight in rotation.timezone) or an ISO instant' }).optional(),
    primary: z.array(userId).default([]),
    secondary: z.array(userId).default([]),
    overrides: z.array(overrideSchema).default([]),
    handoffTime: replaced('rotation.handoff, a cron expression: handoffTime 09:00 with shiftDays 7 starting on a Monday is "0 9 * * 1"'),
    shiftDays: replaced('rotation.handoff, a cron expression: "0 9 * * 1" changes shift every Monday at 09:00, "0 9 * * *" every day'),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (!r.overrides.every((o) => o.from instanceof Date && o.until instanceof Date)) return;
    if (r.source === 'config' && r.primary.length === 0 && (r.start !== undefined || r.secondary.length > 0 || r.overrides.length > 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['primary'],
        message: 'at least one Slack user ID when the rotation is set (nobody would be on call)',
      });
      return;
    }
    if (r.source === 'config' && r.primary.length > 0 && r.start === undefined) {
      ctx.addIssue({ code: 'custom', path: ['start'], message: 'a date YYYY-MM-DD or an ISO instant (when the first shift starts) when rotation.primary is set' });
      return;
    }
    const byRole = [...r.overrides.entries()].sort(([, a], [, b]) => a.from.getTime() - b.from.getTime());
    for (const [i, o] of byRole) {
      const clash = byRole.find(([j, p]) => j !== i && p.role === o.role && p.from < o.until && o.from < p.until);
      if (clash) {
        ctx.addIssue({ code: 'custom', path: ['overrides', Math.max(i, clash[0])], message: `no overlap with another ${o.role} override (overrides ${Math.min(i, clash[0])} and ${Math.max(i, clash[0])} overlap)` });
        return;
      }
    }
    if (r.secondary.length === 0) return;
    // The pairs repeat every lcm(primary, secondary) shifts; at most primary × secondary.
    const period = r.primary.length * r.secondary.length;
    for (let i = 0; i < period; i++) {
      const who = r.primary[slot(i, r.primary.length)]!;
      if (who === r.secondary[slot(i, r.secondary.length)]) {
        ctx.addIssue({ code: 'custom', path: ['secondary'], message: `someone other than the primary on every shift (${who} would be both on shift ${i + 1})` });
        return;
      }
    }
  });

/** The shift handoff in channels.handoff. */
const handoffSchema = z
  .object({
    /** The outgoing primary's reminder to add notes, this many minutes before the shift change. */
    reminderMinutes: z.number().int().min(1, 'minutes from 1 to 1440').max(1440, 'minutes from 1 to 1440').default(60),
    /** The guide's ops/maintenance-calendar.md, relative to the config file's folder. */
    maintenanceCalendar: z.string().min(1).optional(),
  })
  .strict();

/**
 * The weekly reliability report (src/reports/): posted on `cron`, read in the rotation's time zone
 * (rotation.timezone), into `channel` (default: channels.handoff). Without either channel it is not posted.
 */
const reportSchema = z
  .object({
    cron: cronExpression.default('0 9 * * 1'),
    channel: channelId.optional(),
  })
  .strict();

/** Two providers whose names fold to one key would share one watchdog alert and one availability series. */
const providerKey = (name: string) => name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');

const days = (fallback: number) => z.number().int().min(1).max(3650).default(fallback);

/**
 * How long the bot keeps its own history in chatops.db, in days. Pending messages and timers,
 * and everything of an open incident, are kept whatever the age.
 */
const retentionSchema = z
  .object({
    /** Delivered and given-up Slack messages. */
    outboxDays: days(14),
    /** The audit trail of commands run. */
    commandRunsDays: days(90),
    /** Fired and cancelled reminders. */
    timersDays: days(30),
    /** The timelines of incidents resolved this long ago. */
    timelineDays: days(365),
  })
  .strict();

/** How the bot delivers to Slack; the defaults follow Slack's documented pace. */
const deliverySchema = z
  .object({
    /** Posts per second per channel (Slack allows about one, with short bursts). */
    postsPerSecond: z.number().positive().max(100).default(1),
    /** Posts a channel may take at once above that pace. */
    burst: z.number().int().min(1).max(100).default(10),
    /** How long a process's claim on a message lasts without renewal: after a crash, its messages wait at most this long. */
    leaseSeconds: z.number().min(1).max(600).default(30),
  })
  .strict();

/** An external command as an argument array: run without a shell, each element one argument. */
const argv = z.array(z.string().min(1, 'a non-empty argument'), { error: 'an argument array such as ["npx", "tsx", "scripts/stop.ts"]' }).min(1, 'an argument array with the program first');

/** `{word}` placeholders in an argument array that are not `allowed`. */
const placeholdersIn = (args: readonly string[]) => args.flatMap((a) => [...a.matchAll(/\{([A-Za-z]+)\}/g)].map((m) => m[1]!));

const withPlaceholders = (allowed: readonly string[], required: boolean) =>
  argv.superRefine((args, ctx) => {
    const found = placeholdersIn(args);
    const stray = found.find((p) => !allowed.includes(p));
    if (stray !== undefined) {
      ctx.addIssue({ code: 'custom', message: `only ${allowed.length > 0 ? allowed.map((p) => `{${p}}`).join(', ') : 'no'} placeholder${allowed.length === 1 ? '' : 's'} (got {${stray}})` });
    } else if (required && allowed.some((p) => !found.includes(p))) {
      ctx.addIssue({ code: 'custom', message: `an argument with ${allowed.map((p) => `{${p}}`).join(', ')} (which job or snapshot would it act on?)` });
    }
  });

/**
 * External commands the remediations run (src/remediation/external-command.ts): argument
 * arrays, never a shell; nothing runs that is not named here. A placeholder is replaced by its
 * value as one whole argument.
 */
const commandsSchema = z
  .object({
    /** The guide's "stop all writes" (`stop-jobs`); no placeholders. */
    stopJobs: withPlaceholders([], false).optional(),
    /** `job resume <id>`: must contain {jobId}. */
    resumeJob: withPlaceholders(['jobId'], true).optional(),
    /** `snapshot upload <id>`: must contain {snapshotId}. */
    uploadSnapshot: withPlaceholders(['snapshotId'], true).optional(),
    /** What finds the batch orchestrator among the running processes' command lines (a substring). */
    orchestratorProcess: z.string().trim().min(1, 'a non-empty substring of the orchestrator\'s command line').default('batch-orchestrator'),
    /** How long an external command may run before its process group is killed. */
    timeoutSeconds: z.number().int().min(1, 'seconds from 1 to 3600').max(3600, 'seconds from 1 to 3600').default(120),
  })
  .strict();

/** A GitHub label: 1 to 50 characters, no comma (the issues API takes a comma-separated list). */
const githubLabel = z.string().regex(/^[^,]{1,50}$/, 'a GitHub label of 1 to 50 characters without a comma');

/**
 * GitHub (src/integrations/github/): review issues and runbook feedback are filed in `repo`, the
 * handoff lists its open issues carrying every one of `incidentLabels`. Off without `repo` and GITHUB_TOKEN.
 */
const githubSchema = z
  .object({
    repo: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/, 'a repository as owner/name, such as voter-protocol/shadow-atlas').optional(),
    reviewLabels: z.array(githubLabel).max(20).default(['incident', 'post-incident']),
    incidentLabels: z.array(githubLabel).min(1).max(20).default(['incident', 'ops']),
  })
  .strict();

/** The YAML config file (ATLAS_CONFIG). Every key is optional; unknown keys are refused. */
export const fileConfigSchema = z
  .object({
    channels: z
      .object({ incidents: channelId.optional(), handoff: channelId.optional() })
      .strict()
      .default({}),
    responders: z
      .object({
        users: z.array(userId).default([]),
        usergroups: z.array(usergroupId).default([]),
        /** Where the incident commands, buttons and forms may be used (besides a DM with the bot); empty: anywhere. */
        channels: z.array(channelId).default([]),
      })
      .strict()
      .default({ users: [], usergroups: [], channels: [] }),
    remediators: z
      .object({
        /** Who may run the remediations; default: responders.users. */
        users: z.array(userId).optional(),
        /** Default: responders.usergroups. */
        usergroups: z.array(usergroupId).optional(),
        /** Where remediations may run (besides a DM with the bot), so that the team sees them; default: channels.incidents. */
        channels: z.array(channelId).optional(),
        /**
         * Whether being on call makes someone a remediator: none (the default), the primary, or
         * both. Only the rotation's (or PagerDuty's) schedule and overrides set by a remediator count.
         */
        onCall: z.enum(['none', 'primary', 'primary-and-secondary']).optional(),
      })
      .strict()
      .default({}),
    escalation: z
      .object({
        techLead: userId.optional(),
        cto: userId.optional(),
        dbExpert: userId.optional(),
        security: userId.optional(),
        pagerduty: escalationPagingSchema.optional(),
      })
      .strict()
      .default({}),
    rotation: rotationSchema.optional(),
    pagerduty: pagerdutySchema.default(pagerdutySchema.parse({})),
    handoff: handoffSchema.default(handoffSchema.parse({})),
    report: reportSchema.default(reportSchema.parse({})),
    providers: z
      .array(z.object({ name: z.string().min(1).max(80), url: httpUrl }).strict())
      .min(1)
      .superRefine((list, ctx) => {
        const seen = new Map<string, string>();
        list.forEach((p, i) => {
          const first = seen.get(providerKey(p.name));
          if (first !== undefined) {
            ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `a name no other provider has (it is the same as ${JSON.stringify(first)})` });
          } else seen.set(providerKey(p.name), p.name);
        });
      })
      .default(DEFAULT_PROVIDERS),
    ipfs: z
      .object({ gateways: z.array(httpUrl).min(1).default(DEFAULT_GATEWAYS) })
      .strict()
      .default({ gateways: DEFAULT_GATEWAYS }),
    runbooks: z.record(z.string().regex(/^[a-z0-9-]+$/, 'a runbook key such as provider-outage'), httpUrl).default({}),
    thresholds: thresholdsSchema.default(thresholdsSchema.parse({})),
    retention: retentionSchema.default(retentionSchema.parse({})),
    delivery: deliverySchema.default(deliverySchema.parse({})),
    commands: commandsSchema.default(commandsSchema.parse({})),
    alerts: z
      .object({
        /** A JSON file watched as one more alert source (the guide's /tmp/shadow-atlas-alert.json); relative to the bot's working directory. */
        file: z.string().min(1).max(1000).optional(),
        /**
         * Alertmanager labels (or Shadow Atlas webhook context keys) that say what an alert is
         * about: alerts with the same value are one group (one message, one page), after the
         * provider and before Alertmanager's groupKey.
         */
        groupBy: z
          .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a label name such as service or cluster'))
          .max(10)
          .default([]),
      })
      .strict()
      .default({ groupBy: [] }),
    github: githubSchema.default(githubSchema.parse({})),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.rotation?.source === 'pagerduty' && !c.pagerduty.schedules) {
      ctx.addIssue({ code: 'custom', path: ['pagerduty', 'schedules'], message: 'the PagerDuty schedule IDs ({ primary: P…, secondary: P… }) when rotation.source is pagerduty' });
    }
  });

export type FileConfig = z.infer<typeof fileConfigSchema>;

/** A Slack credential, checked for its shape: the problem's sentence says what a valid one looks like and where it is. */
const slackCredential = (problem: (value: string) => string | null) =>
  z.string().superRefine((value, ctx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: 'custom', message });
  });

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export const envSchema = z.object({
  SLACK_BOT_TOKEN: slackCredential(botTokenProblem).optional(),
  SLACK_SIGNING_SECRET: slackCredential(signingSecretProblem).optional(),
  SLACK_APP_TOKEN: slackCredential(appTokenProblem).optional(),
  SLACK_API_URL: httpUrl.optional(),
  /** Bearer token that POST /hooks/alerts requires; the webhook is off without it. */
  ALERT_WEBHOOK_TOKEN: z.string().min(16, 'at least 16 characters (e.g. openssl rand -hex 32)').optional(),
  /** The PagerDuty v3 webhook subscription's signing secret; POST /hooks/pagerduty is off without it. */
  PAGERDUTY_WEBHOOK_SECRET: z.string().min(16, 'the secret PagerDuty showed when the webhook subscription was created').optional(),
  /** A PagerDuty REST API key; `rotation.source: pagerduty` needs it. */
  PAGERDUTY_TOKEN: z.string().min(16, 'a PagerDuty REST API key (Integrations → API Access Keys)').optional(),
  /** PagerDuty's REST API; EU accounts: https://api.eu.pagerduty.com. */
  PAGERDUTY_API_URL: httpUrl.default('https://api.pagerduty.com'),
  /** PagerDuty's Events API (paging out with pagerduty.routingKey); EU accounts: https://events.eu.pagerduty.com. */
  PAGERDUTY_EVENTS_URL: httpUrl.default('https://events.pagerduty.com'),
  /** GitHub token for review issues, runbook feedback and the handoff's issues; GitHub is off without it. */
  GITHUB_TOKEN: z.string().min(20, 'a GitHub token (ghp_…, github_pat_… or an app installation token)').optional(),
  /** GitHub's REST API; GitHub Enterprise Server: https://<host>/api/v3. */
  GITHUB_API_URL: httpUrl.default('https://api.github.com'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  ATLAS_DATA_DIR: z.string().min(1).default('.shadow-atlas'),
  /** The bot's state in PostgreSQL (replicas on two hosts); without it, chatops.db in ATLAS_DATA_DIR. */
  STATE_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/[^/]+\/[^/?]+/, 'a PostgreSQL URL like postgresql://atlas@db.internal:5432/atlas (the password in PGPASSWORD or the URL)')
    .optional(),
  /** This replica's name in /healthz, doctor and App Home; the host name without it. */
  ATLAS_REPLICA_NAME: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, dot, dash or underscore, at most 63 (e.g. bot-a)')
    .optional(),
  ATLAS_CONFIG: z.string().min(1).default('atlas.config.yml'),
  LOG_LEVEL: logLevel.default('info'),
});

export type Env = z.infer<typeof envSchema>;

export interface Config extends FileConfig {
  env: Env;
  dataDir: string;
  /** Where the config file was read from, or null when none exists and defaults apply. */
  configPath: string | null;
}

/** A config problem, with one line that names the key and what is expected. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function describeIssue(source: string, issue: z.core.$ZodIssue): string {
  const key = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  return `${source}: ${key}: ${issue.message}`;
}

/** Treats empty strings as unset, as shells and .env files often leave them. */
function cleanEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v.trim() !== '') out[k] = v.trim();
  return out;
}

export function loadConfig(processEnv: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const envResult = envSchema.safeParse(cleanEnv(processEnv));
  if (!envResult.success) throw new ConfigError(describeIssue('environment', envResult.error.issues[0]!));
  const env = envResult.data;

  const configPath = path.resolve(cwd, env.ATLAS_CONFIG);
  let raw: unknown = {};
  let usedPath: string | null = null;
  if (existsSync(configPath)) {
    usedPath = configPath;
    try {
      raw = YAML.parse(readFileSync(configPath, 'utf8')) ?? {};
    } catch (err) {
      throw new ConfigError(`${env.ATLAS_CONFIG}: not valid YAML (${(err as Error).message.split('\n')[0]})`);
    }
  } else if (processEnv.ATLAS_CONFIG) {
    throw new ConfigError(`ATLAS_CONFIG: ${configPath} does not exist; point it at a YAML file such as atlas.config.example.yml`);
  }
  const fileResult = fileConfigSchema.safeParse(raw);
  if (!fileResult.success) throw new ConfigError(describeIssue(env.ATLAS_CONFIG, fileResult.error.issues[0]!));
  if (fileResult.data.escalation.pagerduty && !env.PAGERDUTY_TOKEN) {
    throw new ConfigError('environment: PAGERDUTY_TOKEN: a PagerDuty REST API key when escalation.pagerduty is set (escalations page through the REST API)');
  }
  if (fileResult.data.rotation?.source === 'pagerduty' && !env.PAGERDUTY_TOKEN) {
    throw new ConfigError('environment: PAGERDUTY_TOKEN: a PagerDuty REST API key when rotation.source is pagerduty');
  }
  return { ...fileResult.data, env, dataDir: path.resolve(cwd, env.ATLAS_DATA_DIR), configPath: usedPath };
}

/**
 * Reads `.env` from the working directory into process.env when it exists; variables already
 * set in the environment win. Returns whether a file was read.
 */
export function loadDotEnv(cwd = process.cwd()): boolean {
  const file = path.join(cwd, '.env');
  if (!existsSync(file)) return false;
  try {
    process.loadEnvFile(file);
    return true;
  } catch (err) {
    throw new ConfigError(`.env: could not be read (${(err as Error).message.split('\n')[0]})`);
  }
}

/** Config for tests and the demo: defaults plus overrides, validated the same way. */
export function buildConfig(dataDir: string, file: unknown = {}, env: Partial<Env> = {}): Config {
  const parsed = fileConfigSchema.parse(file);
  return { ...parsed, env: envSchema.parse(env), dataDir, configPath: null };
}
