import { z } from 'zod';
import { diskUsage } from '../checks/disk.js';
import { integrity, type IntegrityTarget } from '../checks/integrity.js';
import { probeProviders } from '../checks/providers.js';
import { selectRunbook } from '../incidents/runbook-selector.js';
import { findSymptom } from '../incidents/severity-matrix.js';
import { diskReport } from '../templates/disk-report.js';
import { integrityReport } from '../templates/integrity-report.js';
import { providersReport } from '../templates/providers-report.js';
import { runbookReport } from '../templates/runbook-report.js';
import { severityMatrixReport, symptomSeverityReport, unknownSymptomReport } from '../templates/severity-report.js';
import { defineCommand, noPositionals, type Actor, type CommandSpec } from './command-spec.js';
import { quoteInput } from '../text/quote-input.js';

const prefixFor = (actor: Actor) => (actor.source === 'slack' ? '/atlas' : 'atlas');

const TARGETS = ['persistence', 'metrics', 'all'] as const;

const integrityArgs = z
  .object({
    _: z.array(z.string()).max(1, { message: 'takes one of persistence, metrics or all' }),
    quick: z.boolean().optional(),
  })
  .transform((a, ctx) => {
    const word = (a._[0] ?? 'all').toLowerCase();
    if (!(TARGETS as readonly string[]).includes(word)) {
      ctx.addIssue({ code: 'custom', path: ['_'], message: `choose persistence, metrics or all (got "${quoteInput(a._[0] ?? '', 20)}")` });
      return z.NEVER;
    }
    return { which: word as IntegrityTarget, mode: a.quick ? ('quick' as const) : ('full' as const) };
  });

const words = (min: number, message: string) =>
  z.object({ _: z.array(z.string()).min(min, { message }) }).transform((a) => a._.join(' ').trim());

export const systemCommands: CommandSpec[] = [
  defineCommand({
    name: 'integrity',
    summary: 'SQLite integrity check of persistence.db / metrics.db (runs in the background)',
    usage: '[persistence|metrics|all] [--quick]',
    tier: 'read',
    group: 'Diagnostics',
    options: { quick: { type: 'boolean' } },
    args: integrityArgs,
    slow: true,
    async run(args, deps, actor) {
      return integrityReport(await integrity(deps.atlas, args.which, args.mode), prefixFor(actor));
    },
  }),
  defineCommand({
    name: 'disk',
    summary: 'Disk use of the data directory, database and backup sizes',
    usage: '',
    tier: 'read',
    group: 'Diagnostics',
    args: z.object({ _: noPositionals }),
    async run(_args, deps) {
      return diskReport(await diskUsage(deps.atlas, deps.config.thresholds));
    },
  }),
  defineCommand({
    name: 'providers',
    summary: 'Probe the boundary data providers now, next to their availability from metrics',
    usage: '',
    tier: 'read',
    group: 'Diagnostics',
    args: z.object({ _: noPositionals }),
    slow: true,
    async run(_args, deps, actor) {
      const result = await probeProviders(deps.config.providers, deps.fetch, deps.atlas.metrics, deps.clock());
      return providersReport(result, deps.config.thresholds.providerAvailabilityPct, prefixFor(actor));
    },
  }),
  defineCommand({
    name: 'runbook',
    summary: 'The runbook for a symptom: severity, first steps, escalation',
    usage: '<symptom, e.g. tiger down>',
    tier: 'read',
    examples: ['runbook tiger down'],
    group: 'Incidents',
    args: words(1, 'name a symptom, e.g. `runbook tiger down` or `runbook corrupt db`'),
    async run(text, deps, actor) {
      return runbookReport(selectRunbook(text, deps.config), prefixFor(actor));
    },
  }),
  defineCommand({
    name: 'severity',
    summary: 'Severity, response time and escalation for a symptom (no symptom: the whole matrix)',
    usage: '[symptom]',
    tier: 'read',
    examples: ['severity tiger down'],
    group: 'Incidents',
    args: words(0, ''),
    async run(text, _deps, actor) {
      const prefix = prefixFor(actor);
      if (text === '') return severityMatrixReport(prefix);
      const match = findSymptom(text);
      return match ? symptomSeverityReport(match, prefix) : unknownSymptomReport('severity', text, prefix);
    },
  }),
];
