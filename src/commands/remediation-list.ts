import { remediationCommands, type RemediationEntry } from './remediation-commands.js';
import { snapshotRemediations } from '../remediation/snapshot-remediations.js';

/** Every remediation the bot offers, in the order help lists them. */
const REMEDIATIONS: readonly RemediationEntry[] = [
  ...snapshotRemediations,
];

export const remediationCommandList = remediationCommands(REMEDIATIONS);
