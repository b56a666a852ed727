import { auditCommands } from './audit-commands.js';
import { backupReadCommands } from './backup-commands.js';
import { botCommands, healthCommands } from './bot-commands.js';
import { bundleCommands } from './bundle-commands.js';
import { dataCommands } from './data-commands.js';
import { githubCommands } from './github-commands.js';
import { handoffCommands } from './handoff-commands.js';
import { incidentCommands } from './incident-commands.js';
import { incidentFormCommands } from './incident-form-commands.js';
import { incidentReadCommands } from './incident-read-commands.js';
import { shareCommands } from './share-commands.js';
import { chartCommands } from './chart-commands.js';
import { metricCommands } from './metric-commands.js';
import { remediationCommandList } from './remediation-list.js';
import { oncallCommands } from './oncall-commands.js';
import { oncallHealthCommands } from './health-commands.js';
import { reportCommands } from './report-commands.js';
import { stateCommands } from './state-commands.js';
import { systemCommands } from './system-commands.js';
import type { CommandSpec } from './command-spec.js';
import type { Authorizer } from './authorize.js';
import { CommandRegistry } from './registry.js';

/** Every subcommand, in the order help lists them: the 3 a.m. ones first. */
export const ALL_COMMANDS: readonly CommandSpec[] = [
  ...healthCommands,
  ...incidentCommands,
  ...incidentReadCommands,
  ...githubCommands,
  ...oncallCommands,
  ...oncallHealthCommands,
  ...reportCommands,
  ...handoffCommands,
  ...metricCommands,
  ...chartCommands,
  ...dataCommands,
  ...systemCommands,
  ...bundleCommands,
  ...backupReadCommands,
  ...remediationCommandList,
  ...auditCommands,
  ...botCommands,
  ...stateCommands,
  ...incidentFormCommands,
  ...shareCommands,
];

export function createRegistry(authorize: Authorizer): CommandRegistry {
  return new CommandRegistry(ALL_COMMANDS, authorize);
}
