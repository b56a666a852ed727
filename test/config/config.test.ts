import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { tempDir } from '../helpers/test-deps.js';

describe('loadConfig', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  function dirWith(yaml?: string) {
    const t = tempDir();
    cleanup = t.cleanup;
    if (yaml !== undefined) writeFileSync(path.join(t.dir, 'atlas.config.yml'), yaml);
    return t.dir;
  }

  it('applies the documented defaults without a config file', () => {
    const cwd = dirWith();
    const config = loadConfig({}, cwd);
    expect(config.configPath).toBeNull();
    expect(config.env.PORT).toBe(3000);
    expect(config.dataDir).toBe(path.join(cwd, '.shadow-atlas'));
    expect(config.thresholds.diskUsagePct).toEqual({ target: 80, alert: 90 });
    expect(config.providers.map((p) => p.name)).toEqual(['Census TIGER', 'ArcGIS Hub']);
  });

  it('reads the example config file as shipped', () => {
    const cwd = dirWith();
    const config = loadConfig({ ATLAS_CONFIG: path.resolve('atlas.config.example.yml') }, cwd);
    expect(config.channels.incidents).toBe('C0123INCID');
    expect(config.responders.usergroups).toEqual(['S0123ONCAL']);
    expect(config.thresholds.activeJobs).toEqual({ target: 5, alert: 10 });
  });

  it.each([
    ['thresholds:\n  diskUsagePct: { target: 80, alert: "ninety" }\n', /atlas\.config\.yml: thresholds\.diskUsagePct\.alert: .*number/i],
    ['channels:\n  incidents: "#incident-response"\n', /channels\.incidents: a Slack channel ID/],
    ['responders:\n  users: [alice]\n', /responders\.users\.0: a Slack user ID/],
    ['providers:\n  - name: TIGER\n    url: "ftp://x"\n', /providers\.0\.url: an http\(s\) URL/],
    ['chanels: {}\n', /\(top level\): .*chanels/i],
    ['channels: [\n', /not valid YAML/],
  ])('stops with one line naming the key: %s', (yaml, message) => {
    const cwd = dirWith(yaml);
    const attempt = () => loadConfig({}, cwd);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (err) {
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('names a bad environment variable', () => {
    const cwd = dirWith();
    expect(() => loadConfig({ PORT: 'eighty' }, cwd)).toThrow(/environment: PORT/);
    expect(() => loadConfig({ SLACK_BOT_TOKEN: 'abc' }, cwd)).toThrow(/SLACK_BOT_TOKEN: a bot token/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' }, cwd)).toThrow(/LOG_LEVEL/);
  });

  it('refuses an ATLAS_CONFIG that points nowhere, and treats empty variables as unset', () => {
    const cwd = dirWith();
    expect(() => loadConfig({ ATLAS_CONFIG: 'nope.yml' }, cwd)).toThrow(/ATLAS_CONFIG: .*does not exist/);
    expect(loadConfig({ SLACK_BOT_TOKEN: '  ', PORT: '' }, cwd).env.SLACK_BOT_TOKEN).toBeUndefined();
  });
});
