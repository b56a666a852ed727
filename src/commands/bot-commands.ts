import { z } from 'zod';
import { doctor } from '../checks/doctor.js';
import { sharedHealth } from '../checks/health.js';
import { healthReport } from '../templates/health-report.js';
import { doctorReport } from '../templates/check-items-report.js';
import { defineCommand, noPositionals, windowArg, type CommandSpec } from './command-spec.js';

/** `health` leads help: it is the first thing anyone runs. `doctor` closes it. */
export const healthCommands: CommandSpec[] = [
  defineCommand({
    name: 'health',
    summary: 'The on-call dashboard: every threshold, firing alerts, stuck jobs, snapshot, backup, database check',
    usage: '[--window 1h]',
    tier: 'read',
    examples: ['health', 'health --window 30m'],
    group: 'Diagnostics',
    options: { window: { type: 'string' } },
    args: z.object({ _: noPositionals, window: windowArg('1h') }),
    run: async (args, deps) => healthReport(await sharedHealth(deps, args.window)),
  }),
];

export const botCommands: CommandSpec[] = [
  defineCommand({
    name: 'doctor',
    summary: "The bot's self-check: config, database files, schema mismatches, Slack connection",
    usage: '',
    tier: 'read',
    group: 'Bot',
    args: z.object({ _: noPositionals }),
    run: async (_args, deps) => doctorReport(await doctor(deps)),
  }),
];
