import type { HandoffProblem } from '../oncall/handoff-content.js';

/** A people problem of the handoff in one sentence; `who` renders a user ID for the surface. */
export function problemText(p: HandoffProblem, who: (userId: string) => string): string {
  switch (p.kind) {
    case 'user-gone':
      return `${who(p.userId)} (${p.role}) is not in the workspace any more: fix the rotation in the config, or \`/atlas oncall cover\` someone for the shift.`;
    case 'reminder-undelivered':
      return `The notes reminder to ${who(p.userId)} could not be delivered (Slack: ${p.error}); these notes may be missing.`;
  }
}
