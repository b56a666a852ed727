/**
 * The whole Slack side of a test in one: real Atlas files in a temporary data directory, the
 * bot's deps over them, the Slack stand-in with a delivery loop, and the app's HTTP receiver
 * taking signed requests. `close()` undoes all of it, in order.
 */
import { BOUND_MS } from './busy-machine.js';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { createAuthorizer } from '../../src/commands/authorize.js';
import type { CommandDeps } from '../../src/commands/command-spec.js';
import { createRegistry } from '../../src/commands/index.js';
import type { CommandRegistry } from '../../src/commands/registry.js';
import { botDmCheck } from '../../src/slack/dm-channels.js';
import { usergroupMembers } from '../../src/slack/usergroup-members.js';
import { REMEDIATION_CONFIRM_ACTION } from '../../src/templates/remediation-messages.js';
import { startDeliveryHarness, type DeliveryHarness, type HarnessOptions } from './delivery-harness.js';
import { startHarness, type Harness } from './slack-harness.js';
import { createAtlasFiles, tempDir, testDeps, type TestEnv } from './test-deps.js';

export interface SlackEnv {
  dataDir: string;
  atlas: { metrics: Database.Database; persistence: Database.Database };
  env: TestEnv;
  /** The stand-in and its delivery loop. */
  d: DeliveryHarness;
  /** The app on 127.0.0.1, signed requests. */
  h: Harness;
  close(): Promise<void>;
}

export interface SlackEnvOptions {
  /** The config file's content. */
  file: object;
  fetch?: CommandDeps['fetch'];
  /** More of the bot's deps (what the running bot sets, such as flowCharts). */
  deps?: Partial<CommandDeps>;
  /** Fills the Atlas files before the bot opens them. */
  seed?: (atlas: SlackEnv['atlas'], dataDir: string) => void;
  /** The registry (default: every command, authorized by the config, user groups from the stand-in, on-call from the rotation). */
  registry?: (env: TestEnv) => CommandRegistry;
  standIn?: HarnessOptions['standIn'];
  /** The /slack/events door's bounds (small ones to show them). */
  edge?: Parameters<typeof startHarness>[0]['edge'];
}

export async function startSlackEnv(opts: SlackEnvOptions): Promise<SlackEnv> {
  const dir = tempDir();
  const dataDir = path.join(dir.dir, '.shadow-atlas');
  const atlas = createAtlasFiles(dataDir);
  opts.seed?.(atlas, dataDir);
  const env = testDeps(dataDir, { file: opts.file, ...(opts.fetch ? { fetch: opts.fetch } : {}), ...opts.deps });
  const d = await startDeliveryHarness(env, opts.standIn ? { standIn: opts.standIn } : {});
  let client: Harness['app']['app']['client'] | null = null;
  const registry = opts.registry?.(env) ?? createRegistry(createAuthorizer(env.deps.config, usergroupMembers(() => client), undefined, async () => await env.deps.rotation.at(env.clock()), botDmCheck(() => client, { boundMs: BOUND_MS }), BOUND_MS));
  const h = await startHarness({ deps: env.deps, registry, slack: d.slack, ...(opts.edge ? { edge: opts.edge } : {}) });
  client = h.app.app.client;
  return {
    dataDir,
    atlas,
    env,
    d,
    h,
    async close() {
      await h.close();
      await d.close();
      await env.close();
      if (atlas.metrics.open) atlas.metrics.close();
      if (atlas.persistence.open) atlas.persistence.close();
      dir.cleanup();
    },
  };
}

type Button = { action_id: string; value: string; style?: string; confirm?: { title: { text: string } } };

/** The Confirm button of a remediation's preview, if the blocks hold one. */
export function confirmButton(blocks: unknown[] | undefined): Button | undefined {
  return ((blocks ?? []) as { type: string; elements?: Button[] }[]).flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : [])).find((e) => e.action_id === REMEDIATION_CONFIRM_ACTION);
}
