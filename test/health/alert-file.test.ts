import { writeFileSync, unlinkSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertFileWatcher } from '../../src/alerts/alert-file-watcher.js';
import { CHANNEL, openIncidentEnv, type IncidentEnv } from '../helpers/incident-env.js';

let ie: IncidentEnv;
let file: string;
const warnings: string[] = [];

beforeEach(() => {
  ie = openIncidentEnv({ channels: { incidents: CHANNEL }, alerts: { file: 'placeholder' } });
  file = path.join(ie.dataDir, 'shadow-atlas-alert.json');
  (ie.env.deps.config.alerts as { file?: string }).file = file;
  warnings.length = 0;
  const logger = ie.env.deps.logger;
  ie.env.deps.logger = Object.assign(Object.create(logger) as typeof logger, {
    warn: (obj: { problem?: string }) => warnings.push(obj.problem ?? ''),
    info: () => undefined,
  });
});
afterEach(() => ie.close());

const alert = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ source: 'shadow-atlas', type: 'alert', name: 'ProofGenerationFailing', status: 'FIRING', message: 'proofs failing', severity: 'critical', firedAt: '2026-11-26T11:58:00Z', ...over });
const write = (text: string, bump = 0) => {
  writeFileSync(file, text);
  // A distinct mtime per write, as seconds apart on a real disk.
  const t = new Date(Date.now() + bump * 1000);
  utimesSync(file, t, t);
};
const alertMessages = () => (ie.env.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE anchor LIKE 'alert:%' AND op = 'refresh'").get() as { n: number }).n;

describe('alerts.file', () => {
  it('takes a new alert from the file once, a rewrite of the same alert is a duplicate, a missing file is fine', async () => {
    const watcher = alertFileWatcher(ie.env.deps);
    expect(await watcher.poll()).toEqual({ state: 'missing' });
    write(alert());
    expect(await watcher.poll()).toEqual({ state: 'read', results: [{ name: 'ProofGenerationFailing', action: 'new' }] });
    const row = (await ie.env.deps.state.alerts.get('proofgenerationfailing'))!;
    expect(JSON.parse(row.sources)).toEqual(['file']);
    expect(await watcher.poll()).toEqual({ state: 'unchanged' });
    write(alert({ message: 'still failing' }), 5);
    expect(await watcher.poll()).toEqual({ state: 'read', results: [{ name: 'ProofGenerationFailing', action: 'duplicate' }] });
    expect(alertMessages()).toBe(1);
    // The same alert from the webhook is the same alert.
    unlinkSync(file);
    expect(await watcher.poll()).toEqual({ state: 'missing' });
    write(alert({ status: 'RESOLVED', resolvedAt: '2026-11-26T12:00:00Z' }), 10);
    expect(await watcher.poll()).toEqual({ state: 'read', results: [{ name: 'ProofGenerationFailing', action: 'resolved' }] });
  });

  it('logs an invalid file once per change and changes nothing', async () => {
    const watcher = alertFileWatcher(ie.env.deps);
    write('{ not json');
    expect(await watcher.poll()).toMatchObject({ state: 'invalid', problem: expect.stringContaining('not JSON') });
    // The same file again: not read, not logged again.
    expect(await watcher.poll()).toEqual({ state: 'unchanged' });
    expect(warnings).toHaveLength(1);
    write(JSON.stringify({ source: 'shadow-atlas', type: 'alert', name: '', status: 'FIRING' }), 5);
    expect(await watcher.poll()).toMatchObject({ state: 'invalid' });
    expect(warnings).toHaveLength(2);
    expect(ie.env.db.prepare('SELECT COUNT(*) AS n FROM alerts').get()).toEqual({ n: 0 });
    // Fixed: taken.
    write(alert(), 10);
    expect(await watcher.poll()).toMatchObject({ state: 'read' });
  });

  it('is off without alerts.file', async () => {
    (ie.env.deps.config.alerts as { file?: string }).file = undefined;
    expect(await alertFileWatcher(ie.env.deps).poll()).toEqual({ state: 'off' });
  });
});
