import { remediationCommands, type RemediationEntry } from './remediation-commands.js';
import { alertRemediations } from '../remediation/alert-remediations.js';
import { jobRemediations } from '../remediation/job-remediations.js';
import { stopJobsRemediations } from '../remediation/stop-jobs.js';
import { snapshotRemediations } from '../remediation/snapshot-remediations.js';

/** Every remediation the bot offers, in the order help lists them. */
const REMEDIATIONS: readonly RemediationEntry[] = [
  ...alertRemediations,
  ...jobRemediations,
  ...stopJobsRemediations,
  ...snapshotRemediations,
];

export const remediationCommandList = remediationCommands(REMEDIATIONS);
