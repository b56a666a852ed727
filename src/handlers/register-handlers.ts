import type { App } from '@slack/bolt';
import { registerButtons } from './buttons.js';
import { registerGitHubButtons } from './github-buttons.js';
import { registerHandoffButtons } from './handoff-buttons.js';
import { registerHandoffNotesForm } from './handoff-notes-form.js';
import { registerRemediationButtons } from './remediation-buttons.js';
import type { HandlerContext } from './handler-context.js';
import { registerHome } from './home.js';
import { registerModalSubmissions } from './modal-submissions.js';
import { registerSlashCommand } from './slash-command.js';

export type { HandlerContext } from './handler-context.js';

/** Every Slack entry point, surface by surface: the slash command, the buttons, the forms, the Home tab. */
export function registerHandlers(app: App, ctx: HandlerContext): void {
  registerSlashCommand(app, ctx);
  registerButtons(app, ctx);
  registerModalSubmissions(app, ctx);
  registerHome(app, ctx);
  registerHandoffButtons(app, ctx);
  registerHandoffNotesForm(app, ctx);
  registerRemediationButtons(app, ctx);
  registerGitHubButtons(app, ctx);
}
