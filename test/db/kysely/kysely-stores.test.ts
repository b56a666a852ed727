import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KyselyState } from '../../../src/db/state/kysely/kysely-state.js';
import { openStateStore } from '../../../src/db/state/kysely/sqlite-state-store.js';
import { tempDir } from '../../helpers/test-deps.js';
import { incidentsAlertsStoreCases } from './incidents-alerts-store-cases.js';
import { auditHandoffsPagerDutyStoreCases } from './audit-handoffs-pagerduty-store-cases.js';
import { kyselyStoreCases, type KyselyEngineUnderTest } from './kysely-store-cases.js';
import { leaseReplicaStoreCases } from './lease-replica-store-cases.js';

const sqlite: KyselyEngineUnderTest = {
  engine: 'sqlite',
  concurrentTransactions: false,
  async fresh() {
    const t = tempDir();
    const file = path.join(t.dir, 'chatops.db');
    return { state: openStateStore(file), again: async () => openStateStore(file), cleanup: async () => t.cleanup() };
  },
};

kyselyStoreCases(sqlite);
leaseReplicaStoreCases(sqlite);
incidentsAlertsStoreCases(sqlite);
auditHandoffsPagerDutyStoreCases(sqlite);


describe('the Kysely SQLite state', () => {
  let cleanup: () => void;
  let state: KyselyState;
  let other: Database.Database;

  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = path.join(t.dir, 'chatops.db');
    state = openStateStore(file);
    // Another process on the same file, which does not wait.
    other = new Database(file);
    other.pragma('busy_timeout = 0');
  });
  afterEach(async () => {
    other.close();
    await state.close();
    cleanup();
  });

  it('takes the write lock when a transaction begins (BEGIN IMMEDIATE), so a writer in another process never fails it half-way', async () => {
    let otherWrite: unknown = null;
    await state.transaction(async (tx) => {
      // Only a read so far; Kysely's own (deferred) BEGIN would not hold the lock yet.
      await tx.people.get('U1');
      try {
        other.exec("INSERT INTO people (user_id, name, fetched_at) VALUES ('U9', 'Other', 'x')");
      } catch (err) {
        otherWrite = err;
      }
    });
    expect((otherWrite as { code?: string } | null)?.code).toBe('SQLITE_BUSY');
  });
});
