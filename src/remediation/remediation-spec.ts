/**
 * What a remediation is, for the framework that previews, confirms, applies and audits it
 * (src/commands/remediation-commands.ts): a plan from the data as it is now, and an apply that
 * re-checks under its own lock or transaction. The remediations themselves know nothing of the
 * registry or of Slack.
 */
import { z } from 'zod';
import type { DomainDeps } from '../incidents/incident-deps.js';
import type { AppliedRemediation, RemediationPlan } from './remediation-plan.js';

/** How long a preview's Confirm stays good. */
export const CONFIRM_MINUTES = 10;

/** What a remediation reads and writes through: the domain's state and stores, and outbound HTTP. */
export type RemediationDeps = DomainDeps & { fetch: typeof fetch };

/** Who applies it, and where a long apply says how far it got. */
export interface RemediationActor {
  source: 'slack' | 'cli';
  userId: string;
  channelId?: string;
  progress?: (line: string) => void;
}

export interface RemediationSpec<A> {
  name: string;
  summary: string;
  usage: string;
  options?: Record<string, { type: 'string' | 'boolean' }>;
  /** Validates the arguments; the result must be plain JSON (it is stored with the preview). */
  args: z.ZodType<A>;
  /**
   * What to look at to learn how it ended when its process died while it ran (SIGKILL, a crash):
   * the bot then reports "outcome unknown: check <this>" in the channel and in `audit`.
   */
  ifInterrupted: string;
  /** Takes long enough that Slack gets a "working on it" reply first. */
  slow?: boolean;
  /** The plan from the data as it is now; throws RemediationRefusal (one sentence) when it cannot be done. */
  plan(args: A, deps: RemediationDeps): Promise<RemediationPlan>;
  /** Applies the plan; re-checks what it must under its own lock or transaction; throws RemediationRefusal for a refusal. */
  apply(args: A, plan: RemediationPlan, deps: RemediationDeps, actor: RemediationActor): Promise<AppliedRemediation>;
}

/** A remediation and how its arguments read back as typed words (for the terminal's `--yes` hint). */
export interface RemediationEntry {
  spec: RemediationSpec<object>;
  shown: (args: object) => string;
}

export function remediation<A extends object>(spec: RemediationSpec<A>, shown: (args: A) => string): RemediationEntry {
  return { spec: spec as unknown as RemediationSpec<object>, shown: shown as (args: object) => string };
}

/** No positional arguments (a remediation's own flags only). */
export const noArguments = z.array(z.string()).max(0, { message: 'takes no arguments besides its flags' });
