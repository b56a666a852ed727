import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';

const userId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack user ID such as U012ABC3DEF');
const channelId = z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'a Slack channel ID such as C012ABC3DEF');
const usergroupId = z.string().regex(/^S[A-Z0-9]{2,}$/, 'a Slack user group ID such as S012ABC3DEF');
const httpUrl = z.url({ protocol: /^https?$/, error: 'an http(s) URL' });

/** A target/alert pair from the on-call guide's dashboard table. */
const band = (target: number, alert: number) =>
  z
    .object({ target: z.number().nonnegative(), alert: z.number().nonnegative() })
    .strict()
    .default({ target, alert });

export const thresholdsSchema = z
  .object({
    proofSuccessPct: band(95, 90),
    extractionSuccessPct: band(90, 80),
    validationPassPct: band(90, 80),
    providerAvailabilityPct: band(95, 95),
    jobDurationSec: band(60, 120),
    queryLatencyP95Sec: band(1, 5),
    ipfsRetrievalSec: band(10, 30),
    databaseSizeGb: band(5, 10),
    diskUsagePct: band(80, 90),
    activeJobs: band(5, 10),
    stuckJobHours: z.number().positive().default(12),
    backupMaxAgeHours: z.number().positive().default(48),
    snapshotWarnAgeDays: z.number().positive().default(30),
    snapshotCritAgeDays: z.number().positive().default(90),
  })
  .strict();

export type Thresholds = z.infer<typeof thresholdsSchema>;

const DEFAULT_PROVIDERS = [
  { name: 'Census TIGER', url: 'https://tigerweb.geo.census.gov/arcgis/rest/services/TIGERweb/tigerWMS_Current/MapServer/17?f=json' },
  { name: 'ArcGIS Hub', url: 'https://hub.arcgis.com/api/v3/datasets?page[size]=1' },
];

const DEFAULT_GATEWAYS = ['https://w3s.link/ipfs/', 'https://dweb.link/ipfs/'];

/** The YAML config file (ATLAS_CONFIG). Every key is optional; unknown keys are refused. */
export const fileConfigSchema = z
  .object({
    channels: z
      .object({ incidents: channelId.optional(), handoff: channelId.optional() })
      .strict()
      .default({}),
    responders: z
      .object({ users: z.array(userId).default([]), usergroups: z.array(usergroupId).default([]) })
      .strict()
      .default({ users: [], usergroups: [] }),
    escalation: z
      .object({
        techLead: userId.optional(),
        cto: userId.optional(),
        dbExpert: userId.optional(),
        security: userId.optional(),
      })
      .strict()
      .default({}),
    rotation: z
      .object({
        timezone: z.string().default('UTC'),
        handoffTime: z.string().regex(/^\d{2}:\d{2}$/, 'HH:MM').default('09:00'),
        shiftDays: z.number().int().positive().default(7),
        start: z.iso.date({ error: 'a date YYYY-MM-DD' }).optional(),
        primary: z.array(userId).default([]),
        secondary: z.array(userId).default([]),
      })
      .strict()
      .optional(),
    providers: z
      .array(z.object({ name: z.string().min(1).max(80), url: httpUrl }).strict())
      .min(1)
      .default(DEFAULT_PROVIDERS),
    ipfs: z
      .object({ gateways: z.array(httpUrl).min(1).default(DEFAULT_GATEWAYS) })
      .strict()
      .default({ gateways: DEFAULT_GATEWAYS }),
    runbooks: z.record(z.string().regex(/^[a-z0-9-]+$/, 'a runbook key such as provider-outage'), httpUrl).default({}),
    thresholds: thresholdsSchema.default(thresholdsSchema.parse({})),
  })
  .strict();

export type FileConfig = z.infer<typeof fileConfigSchema>;

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export const envSchema = z.object({
  SLACK_BOT_TOKEN: z.string().regex(/^xox[bp]-/, 'a bot token starting with xoxb-').optional(),
  SLACK_SIGNING_SECRET: z.string().min(8, 'the signing secret from Basic Information').optional(),
  SLACK_APP_TOKEN: z.string().regex(/^xapp-/, 'an app-level token starting with xapp-').optional(),
  SLACK_API_URL: httpUrl.optional(),
  /** Bearer token that POST /hooks/alerts requires; the webhook is off without it. */
  ALERT_WEBHOOK_TOKEN: z.string().min(16, 'at least 16 characters (e.g. openssl rand -hex 32)').optional(),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  ATLAS_DATA_DIR: z.string().min(1).default('.shadow-atlas'),
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
