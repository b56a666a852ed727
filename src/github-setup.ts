import type { Config } from './config.js';

/** What is missing for GitHub to be on, as a sentence naming the settings; null when it is on. */
export function gitHubSetupProblem(config: Pick<Config, 'env' | 'github'>): string | null {
  const missing = [config.env.GITHUB_TOKEN ? null : 'GITHUB_TOKEN (a token with Issues read and write)', config.github.repo ? null : 'github.repo (owner/name) in the config file'].filter(
    (m): m is string => m !== null,
  );
  return missing.length === 0 ? null : `GitHub is not set up: set ${missing.join(' and ')}.`;
}
