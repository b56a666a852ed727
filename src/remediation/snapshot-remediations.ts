/** The snapshot remediations (issue 9), in the order help lists them. */
import type { RemediationEntry } from './remediation-spec.js';
import { snapshotRollback } from './snapshot-rollback.js';
import { snapshotSetCid } from './snapshot-set-cid.js';
import { snapshotUpload } from './snapshot-upload.js';

export const snapshotRemediations: readonly RemediationEntry[] = [snapshotRollback, snapshotSetCid, snapshotUpload];
