/** Two replicas acknowledging one alert at the same moment, on one PostgreSQL state. */
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlert } from '../../src/alerts/alert-ingest.js';
import { manualClock } from '../../src/clock.js';
import { buildConfig } from '../../src/config.js';
import { openPostgresStateStore } from '../../src/db/state/postgres/postgres-state-store.js';
import { acknowledgeAlert } from '../../src/incidents/acknowledge.js';
import { AlreadyAcknowledgedError } from '../../src/incidents/incident-errors.js';
import { closeDeps, createDeps } from '../../src/runtime.js';
import type { CommandDeps } from '../../src/commands/command-spec.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { createAtlasFiles, tempDir, TEST_NOW } from '../helpers/test-deps.js';

let database: TestDatabase;
let dir: ReturnType<typeof tempDir>;
const replicas: CommandDeps[] = [];

beforeEach(async () => {
  database = await createTestDatabase();
  dir = tempDir();
});
afterEach(async () => {
  for (const deps of replicas.splice(0)) await closeDeps(deps);
  await database.drop();
  dir.cleanup();
});

async function replica(name: string): Promise<CommandDeps> {
  const dataDir = path.join(dir.dir, name);
  const files = createAtlasFiles(dataDir);
  files.metrics.close();
  files.persistence.close();
  const state = await openPostgresStateStore({ connectionString: database.url });
  const deps = createDeps(buildConfig(dataDir, { channels: { incidents: 'C0INCIDENT' } }), pino({ level: 'silent' }), { state, clock: manualClock(TEST_NOW) });
  replicas.push(deps);
  return deps;
}

describe('acknowledging one alert from two replicas at once', () => {
  it('opens one incident; the other press is told it is already acknowledged, every time', async () => {
    const [a, b] = [await replica('host-a'), await replica('host-b')];
    for (const name of ['replica_lag', 'disk_full', 'provider_down']) {
      await ingestAlert(a, { name, status: 'firing', message: `${name} now`, source: 'atlas-webhook' });
      const results = await Promise.allSettled([acknowledgeAlert(a, name, 'U0ONCALL1'), acknowledgeAlert(b, name, 'U0ONCALL2')]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r) => r.status === 'rejected');
      expect(refused?.reason).toBeInstanceOf(AlreadyAcknowledgedError);
    }
    expect((await a.state.incidents.open()).length).toBe(3);
  });
});
