import { openPostgresStateStore } from '../../../src/db/state/postgres/postgres-state-store.js';
import { createTestDatabase } from '../../helpers/postgres.js';
import { incidentsAlertsStoreCases } from './incidents-alerts-store-cases.js';
import { auditHandoffsPagerDutyStoreCases } from './audit-handoffs-pagerduty-store-cases.js';
import { kyselyStoreCases, type KyselyEngineUnderTest } from './kysely-store-cases.js';
import { leaseReplicaStoreCases } from './lease-replica-store-cases.js';

const postgresql: KyselyEngineUnderTest = {
  engine: 'postgresql',
  concurrentTransactions: true,
  async fresh() {
    const database = await createTestDatabase();
    return {
      state: await openPostgresStateStore({ connectionString: database.url }),
      again: async () => await openPostgresStateStore({ connectionString: database.url }),
      cleanup: async () => await database.drop(),
    };
  },
};

kyselyStoreCases(postgresql);
leaseReplicaStoreCases(postgresql);
incidentsAlertsStoreCases(postgresql);
auditHandoffsPagerDutyStoreCases(postgresql);

