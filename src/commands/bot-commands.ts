import { z } from 'zod';
import { doctor } from '../checks/doctor.js';
import { doctorReport } from '../templates/check-items-report.js';
import { defineCommand, noPositionals, type CommandSpec } from './command-spec.js';

export const botCommands: CommandSpec[] = [
  defineCommand({
    name: 'doctor',
    summary: "the bot's self-check: config, database files, schema mismatches, Slack connection",
    usage: '',
    tier: 'read',
    args: z.object({ _: noPositionals }),
    run: async (_args, deps) => doctorReport(await doctor(deps)),
  }),
];
