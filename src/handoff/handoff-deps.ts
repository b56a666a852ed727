import type { HealthItemsDeps } from '../checks/health-items.js';
import type { DomainDeps } from '../incidents/incident-deps.js';
import type { UserExists } from '../slack/workspace-people.js';

/** What the handoff reads: the domain's state and clock, the Atlas stores and outbound HTTP for health, and who is still in the workspace. */
export type HandoffDeps = DomainDeps & Pick<HealthItemsDeps, 'fetch'> & { userExists?: UserExists };
