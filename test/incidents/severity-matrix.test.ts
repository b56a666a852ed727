import { describe, expect, it } from 'vitest';
import { RUNBOOKS } from '../../src/incidents/runbook-selector.js';
import { ESCALATION_CONTACTS } from '../../src/incidents/escalation-contacts.js';
import {
  ESCALATION_TARGET_TEXT,
  ESCALATION_TARGETS,
  findSymptom,
  rankSymptoms,
  SEVERITIES,
  SEVERITY_POLICIES,
  symptomById,
  symptomWords,
  SYMPTOMS,
} from '../../src/incidents/severity-matrix.js';

describe('severity matrix data', () => {
  it('has the guide numbers: response, updates, escalation, handoff', () => {
    expect(SEVERITY_POLICIES.P0).toMatchObject({ responseMinutes: 15, ackMinutes: 5, updateEveryMinutes: { min: 30, max: 60 }, handoffAfterMinutes: 240 });
    expect(SEVERITY_POLICIES.P0.escalation).toEqual([
      { to: 'secondary', afterMinutes: 30, when: 'unacknowledged' },
      { to: 'techlead', afterMinutes: 30, when: 'unresolved' },
      { to: 'cto', afterMinutes: 60, when: 'unresolved' },
    ]);
    expect(SEVERITY_POLICIES.P1).toMatchObject({ responseMinutes: 60, updateEveryMinutes: { min: 120, max: 240 } });
    expect(SEVERITY_POLICIES.P1.escalation).toEqual([
      { to: 'secondary', afterMinutes: 120, when: 'unacknowledged' },
      { to: 'techlead', afterMinutes: 120, when: 'unresolved' },
    ]);
    expect(SEVERITY_POLICIES.P2).toMatchObject({ responseMinutes: 240, escalation: [] });
  });

  it('spells escalation targets one way: the words `/atlas escalate` takes, each with words and a contact', () => {
    expect(ESCALATION_TARGETS).toEqual(['techlead', 'cto', 'secondary', 'db', 'security']);
    const used = [
      ...SEVERITIES.flatMap((s) => SEVERITY_POLICIES[s].escalation.map((r) => r.to)),
      ...SYMPTOMS.flatMap((s) => s.immediateEscalation),
    ];
    for (const target of used) expect(ESCALATION_TARGETS, target).toContain(target);
    expect(Object.keys(ESCALATION_TARGET_TEXT).sort()).toEqual([...ESCALATION_TARGETS].sort());
    expect(Object.keys(ESCALATION_CONTACTS).sort()).toEqual([...ESCALATION_TARGETS].sort());
    // The deadlines the clock keeps are the ones whose reminder an escalation by hand settles.
    expect(ESCALATION_CONTACTS.techlead.timer).toBe('escalate-tech-lead');
    expect(ESCALATION_CONTACTS.cto.timer).toBe('escalate-cto');
  });

  it('lists the matrix symptoms with the guide severities and runbooks', () => {
    const sev = (id: string) => symptomById(id)?.severity;
    expect(sev('all-proofs-failing')).toBe('P0');
    expect(sev('database-corruption')).toBe('P0');
    expect(sev('ipfs-down')).toBe('P0');
    expect(sev('merkle-root-mismatch')).toBe('P0');
    expect(sev('provider-outage')).toBe('P1');
    expect(sev('stuck-job')).toBe('P1');
    expect(sev('validation-below-80')).toBe('P1');
    expect(sev('single-state-failing')).toBe('P2');
    expect(sev('slow-queries')).toBe('P2');
    expect(symptomById('data-loss')?.immediateEscalation).toEqual(['cto', 'security']);
    expect(symptomById('security-breach')?.immediateEscalation).toEqual(['cto', 'security']);
  });

  it('has unique kebab-case ids, aliases, and runbooks that exist', () => {
    const ids = SYMPTOMS.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of SYMPTOMS) {
      expect(s.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(s.aliases.length).toBeGreaterThan(0);
      if (s.runbook) expect(RUNBOOKS[s.runbook]).toBeDefined();
      // Every alias finds its own symptom (or one of equal or higher severity that shares the words).
      for (const alias of s.aliases) {
        const found = findSymptom(alias);
        expect(found, alias).not.toBeNull();
        expect(found!.symptom.severity <= s.severity, `${alias} -> ${found!.symptom.id}`).toBe(true);
      }
    }
  });
});

describe('findSymptom', () => {
  const id = (text: string) => findSymptom(text)?.symptom.id ?? null;

  it('matches what people type', () => {
    expect(id('tiger down')).toBe('provider-outage');
    expect(id('Census TIGER is down again')).toBe('provider-outage');
    expect(id('corrupt db')).toBe('database-corruption');
    expect(id('CORRUPTED DATABASE!!!')).toBe('database-corruption');
    expect(id('persistence.db is malformed')).toBe('database-corruption');
    expect(id('proofs failing')).toBe('all-proofs-failing');
    expect(id('ipfs down')).toBe('ipfs-down');
    expect(id('ipfs slow')).toBe('ipfs-degraded');
    expect(id('job stuck for 14h')).toBe('stuck-job');
    expect(id('the db is slow')).toBe('slow-queries');
    expect(id('merkle root mismatch')).toBe('merkle-root-mismatch');
    expect(id('single state failing')).toBe('single-state-failing');
    expect(id('high error rate')).toBe('high-error-rate');
    expect(id('provider-outage')).toBe('provider-outage');
    expect(id('IPFS completely down')).toBe('ipfs-down');
    expect(id('total outage')).toBe('total-outage');
    expect(id('we think our token was leaked')).toBe('security-breach');
  });

  it('folds accents, width and case, and ignores emoji', () => {
    expect(id('córrüpted DB')).toBe('database-corruption');
    expect(id('ｔｉｇｅｒ ｄｏｗｎ')).toBe('provider-outage');
    expect(id('🔥🔥 tiger down 🔥')).toBe('provider-outage');
    expect(symptomWords('Déjà   VU—DB')).toEqual(['deja', 'vu', 'database']);
  });

  it('picks the higher severity when unsure', () => {
    // "ipfs" alone fits both the P0 and the P1 IPFS symptoms.
    expect(findSymptom('ipfs')?.symptom.severity).toBe('P0');
    const ranked = rankSymptoms('ipfs');
    expect(ranked.map((m) => m.symptom.id).slice(0, 2)).toEqual(['ipfs-down', 'ipfs-degraded']);
  });

  it('does not guess from words that only say something is broken', () => {
    expect(findSymptom('down')).toBeNull();
    expect(findSymptom('it is all failing now')).toBeNull();
    expect(findSymptom('')).toBeNull();
    expect(findSymptom('   ')).toBeNull();
  });

  it('survives hostile and odd text', () => {
    expect(findSymptom("'; DROP TABLE alerts;--")).toBeNull();
    expect(findSymptom('<!channel> <@U123> &amp;')).toBeNull();
    expect(findSymptom('مرحبا שלום')).toBeNull();
    expect(findSymptom('\u0000\u202e\ufeff')).toBeNull();
    const huge = `${'x'.repeat(100_000)} tiger down`;
    // Only the first 500 characters are read: the words at the end of a huge paste are ignored.
    expect(findSymptom(huge)).toBeNull();
    expect(id(`tiger down ${'zz '.repeat(50_000)}`)).toBe('provider-outage');
  });
});
