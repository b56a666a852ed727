import { openKyselyPostgresState } from '../../../src/db/state/kysely/kysely-state.js';
import { createTestDatabase } from '../../helpers/postgres.js';
import { incidentsAlertsStoreCases } from './incidents-alerts-store-cases.js';
import { kyselyStoreCases, type KyselyEngineUnderTest } from './kysely-store-cases.js';

const engine: KyselyEngineUnderTest = {
  engine: 'postgresql',
  concurrentTransactions: true,
  async fresh() {
    const database = await createTestDatabase();
    return {
      state: await openKyselyPostgresState({ connectionString: database.url }),
      again: async () => await openKyselyPostgresState({ connectionString: database.url }),
      cleanup: async () => await database.drop(),
    };
  },
};

kyselyStoreCases(engine);
incidentsAlertsStoreCases(engine);
