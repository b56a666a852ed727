import { describe, expect, it } from 'vitest';
import { RUNBOOKS, selectRunbook } from '../../src/incidents/runbook-selector.js';
import { buildConfig } from '../../src/config.js';
import { SYMPTOMS } from '../../src/incidents/severity-matrix.js';

const config = buildConfig('/nowhere', { runbooks: { 'upstream-failure': 'https://wiki.example/upstream', 'stuck-job': 'https://wiki.example/stuck' } });

/** The bot's subcommands (this module's and the other families'), with the flags each takes. */
const SUBCOMMANDS: Record<string, string[]> = {
  health: [],
  errors: ['--window'],
  metrics: ['--window'],
  alerts: ['--all'],
  jobs: ['--limit', '--status'],
  snapshots: ['--limit'],
  integrity: ['--quick'],
  disk: [],
  providers: [],
  runbook: [],
  severity: [],
};

describe('selectRunbook', () => {
  it('maps a symptom to its runbook, severity and configured link', () => {
    const s = selectRunbook('tiger down', config);
    expect(s.kind).toBe('match');
    if (s.kind !== 'match') return;
    expect(s.symptom.id).toBe('provider-outage');
    expect(s.policy.severity).toBe('P1');
    expect(s.runbook?.key).toBe('upstream-failure');
    expect(s.runbook?.steps[0]).toEqual(expect.objectContaining({ command: 'providers' }));
    expect(s.link).toBe('https://wiki.example/upstream');
  });

  it('leads the corruption runbook with the integrity check and no link when none is configured', () => {
    const s = selectRunbook('corrupt db', config);
    if (s.kind !== 'match') throw new Error('no match');
    expect(s.symptom.severity).toBe('P0');
    expect(s.runbook?.key).toBe('data-corruption');
    expect(s.runbook?.steps.map((x) => x.command).filter(Boolean)).toContain('integrity all');
    expect(s.link).toBeNull();
  });

  it('finds stuck jobs through `jobs stuck`', () => {
    const s = selectRunbook('job stuck since yesterday', config);
    if (s.kind !== 'match') throw new Error('no match');
    expect(s.runbook?.steps[0]?.command).toBe('jobs stuck');
    expect(s.link).toBe('https://wiki.example/stuck');
  });

  it('accepts a runbook key, and a link keyed by symptom id', () => {
    const byKey = selectRunbook('upstream-failure', config);
    expect(byKey.kind === 'match' && byKey.runbook?.key).toBe('upstream-failure');
    const bySymptom = selectRunbook('ipfs down', buildConfig('/nowhere', { runbooks: { 'ipfs-down': 'https://wiki.example/ipfs' } }));
    expect(bySymptom.kind === 'match' && bySymptom.link).toBe('https://wiki.example/ipfs');
  });

  it('has no runbook for P3 symptoms', () => {
    const s = selectRunbook('registry stale', config);
    expect(s.kind === 'match' && s.runbook).toBeNull();
    expect(s.kind === 'match' && s.symptom.severity).toBe('P3');
  });

  it('lists the known symptoms when nothing matches, whatever the text', () => {
    for (const text of ['the coffee machine', "'; DELETE FROM snapshots;--", '<!here>', '💥', 'x'.repeat(5000)]) {
      const s = selectRunbook(text, config);
      expect(s.kind).toBe('no-match');
      if (s.kind === 'no-match') {
        expect(s.known).toBe(SYMPTOMS);
        expect(s.query.length).toBeLessThanOrEqual(200);
      }
    }
  });

  it('gives 3 to 5 steps per runbook, bot subcommands with real flags, and never the guide SQL', () => {
    for (const runbook of Object.values(RUNBOOKS)) {
      expect(runbook.steps.length, runbook.key).toBeGreaterThanOrEqual(3);
      expect(runbook.steps.length, runbook.key).toBeLessThanOrEqual(5);
      for (const step of runbook.steps) {
        expect(step.text).not.toMatch(/\b(SELECT|INSERT INTO|DELETE FROM)\b|UPDATE \w+ SET|started_at|extracted_at|type\s*=\s*'error'\s+(AND|GROUP)/i);
        if (!step.command) continue;
        const [name, ...rest] = step.command.split(' ');
        expect(Object.keys(SUBCOMMANDS), step.command).toContain(name);
        for (const flag of rest.filter((w) => w.startsWith('--'))) expect(SUBCOMMANDS[name!], step.command).toContain(flag);
      }
    }
  });
});
