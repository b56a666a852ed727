import type { RemediationEntry } from '../remediation/remediation-spec.js';
import { remediationCommands } from './remediation-commands.js';
import { alertRemediations } from '../remediation/alert-remediations.js';
import { jobRemediations } from '../remediation/job-remediations.js';
import { stopJobsRemediations } from '../remediation/stop-jobs.js';
import { backupRemediations } from './backup-commands.js';
import { snapshotRemediations } from '../remediation/snapshot-remediations.js';
import { emergencyCorruption } from '../remediation/emergency-corruption.js';

/** Every remediation the bot offers, in the order help lists them. */
export const REMEDIATIONS: readonly RemediationEntry[] = [
  ...alertRemediations,
  ...jobRemediations,
  ...stopJobsRemediations,
  ...backupRemediations(),
  ...snapshotRemediations,
  emergencyCorruption(),
];

export const remediationCommandList = remediationCommands(REMEDIATIONS);
