/** `atlas state migrate --to postgresql://…`: the bot's state from chatops.db into PostgreSQL (terminal only). */
import { z } from 'zod';
import { copyStateToPostgres } from '../db/state/postgres/copy-state-to-postgres.js';
import { stateFileOf } from '../db/state/state-file.js';
import { stateMigrateReport } from '../templates/state-migrate-report.js';
import { defineCommand, noPositionals, type CommandSpec } from './command-spec.js';

export const stateCommands: CommandSpec[] = [
  defineCommand({
    name: 'state migrate',
    summary: "Terminal only: copies chatops.db into an empty PostgreSQL database in one transaction and verifies row counts and the audit chain",
    usage: '--to postgresql://user@host:5432/database',
    examples: ['state migrate --to postgresql://atlas@db.internal:5432/atlas_state'],
    // The terminal on the bot's host may do anything; in Slack it is not offered at all (terminalOnly).
    tier: 'read',
    terminalOnly: true,
    group: 'Bot',
    // A password in the URL is kept out of chatops.db's command record by the registry (url-credentials.ts).
    options: { to: { type: 'string' } },
    args: z.object({
      _: noPositionals,
      to: z.string({ message: 'needs the PostgreSQL URL to copy into' }).min(1, { message: 'needs the PostgreSQL URL to copy into' }),
    }),
    run: async (args, deps) => stateMigrateReport(await copyStateToPostgres({ stateFile: stateFileOf(deps.config), target: args.to })),
  }),
];
