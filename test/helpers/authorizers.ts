import type { Authorizer } from '../../src/commands/authorize.js';

/** Lets everyone run everything: for tests of what a command answers, not of who may run it. */
export const allowEveryone: Authorizer = {
  decide: async () => ({ allowed: true }),
  isRemediator: async () => true,
  remediatorsNamed: () => 'everyone',
  warm: () => {},
};
