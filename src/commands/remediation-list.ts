import { remediationCommands, type RemediationEntry } from './remediation-commands.js';

/** Every remediation the bot offers, in the order help lists them. */
const REMEDIATIONS: readonly RemediationEntry[] = [];

export const remediationCommandList = remediationCommands(REMEDIATIONS);
