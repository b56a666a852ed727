import { remediationCommands, type RemediationEntry } from './remediation-commands.js';
import { backupRemediations } from './backup-commands.js';

/** Every remediation the bot offers, in the order help lists them. */
const REMEDIATIONS: readonly RemediationEntry[] = [
  ...backupRemediations(),
];

export const remediationCommandList = remediationCommands(REMEDIATIONS);
