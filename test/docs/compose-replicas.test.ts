import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { envSchema } from '../../src/config.js';

interface Service {
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}

describe('compose.replicas.yml', () => {
  const compose = YAML.parse(readFileSync(fileURLToPath(new URL('../../compose.replicas.yml', import.meta.url)), 'utf8'), { merge: true }) as { services: Record<string, Service> };

  it('runs two bots on one PostgreSQL, each named, one on the service data and one without, with settings the bot knows', () => {
    const { postgres, 'bot-a': a, 'bot-b': b } = compose.services;
    expect(postgres).toBeDefined();
    for (const bot of [a!, b!]) {
      expect(bot.depends_on?.postgres?.condition).toBe('service_healthy');
      expect(bot.environment?.STATE_DATABASE_URL).toBe('postgresql://atlas@postgres:5432/atlas');
      // No password in the URL: PGPASSWORD carries it.
      expect(bot.environment?.PGPASSWORD).toBeDefined();
      const known = new Set([...Object.keys(envSchema.shape), 'PGPASSWORD']);
      expect(Object.keys(bot.environment ?? {}).filter((k) => !known.has(k))).toEqual([]);
    }
    expect([a!.environment?.ATLAS_REPLICA_NAME, b!.environment?.ATLAS_REPLICA_NAME]).toEqual(['bot-a', 'bot-b']);
    expect(a!.volumes?.some((v) => v.endsWith(':/data'))).toBe(true);
    expect(b!.volumes).toBeUndefined();
    expect(b!.environment?.ATLAS_DATA_DIR).toBe('/nonexistent');
    // What the env accepts, it accepts here too.
    expect(envSchema.safeParse({ STATE_DATABASE_URL: a!.environment!.STATE_DATABASE_URL, ATLAS_REPLICA_NAME: 'bot-a' }).success).toBe(true);
  });
});
