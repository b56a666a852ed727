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
    expect(config.remediators).toMatchObject({ users: ['U0123TECHL'], onCall: 'none' });
    expect(config.thresholds.activeJobs).toEqual({ target: 5, alert: 10 });
  });

  it.each([
    ['thresholds:\n  diskUsagePct: { target: 80, alert: "ninety" }\n', /atlas\.config\.yml: thresholds\.diskUsagePct\.alert: .*number/i],
    ['channels:\n  incidents: "#incident-response"\n', /channels\.incidents: a Slack channel ID/],
    ['responders:\n  users: [alice]\n', /responders\.users\.0: a Slack user ID/],
    ['remediators:\n  onCall: always\n', /remediators\.onCall: .*primary-and-secondary/],
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

  describe('keys that used to load and then break later', () => {
    const rotation = (extra: string) => `rotation:\n  start: "2026-11-02"\n  primary: [U0123ALICE, U0123BOBBY]\n${extra}`;

    it.each([
      [rotation('  timezone: Europe/Berln\n'), 'atlas.config.yml: rotation.timezone: an IANA time zone such as Europe/Berlin (got "Europe/Berln")'],
      [rotation('  timezone: ""\n'), 'atlas.config.yml: rotation.timezone: an IANA time zone such as Europe/Berlin (got "")'],
      [rotation('  handoff: "0 25 * * 1"\n'), 'atlas.config.yml: rotation.handoff: a cron expression of five fields (minute hour day-of-month month day-of-week) such as "0 0 * * 1" (got "0 25 * * 1": Constraint error, got value 25 expected range 0-23)'],
      [rotation('  handoff: "0 0 * * * *"\n'), 'atlas.config.yml: rotation.handoff: a cron expression of five fields (minute hour day-of-month month day-of-week) such as "0 0 * * 1" (got "0 0 * * * *")'],
      [rotation('  handoff: mondays\n'), 'atlas.config.yml: rotation.handoff: a cron expression of five fields'],
      [rotation('  handoffTime: "09:00"\n'), 'atlas.config.yml: rotation.handoffTime: replaced by rotation.handoff, a cron expression: handoffTime 09:00 with shiftDays 7 starting on a Monday is "0 9 * * 1"'],
      [rotation('  shiftDays: 7\n'), 'atlas.config.yml: rotation.shiftDays: replaced by rotation.handoff'],
      [rotation('  primary: []\n').replace('  primary: [U0123ALICE, U0123BOBBY]\n', ''), 'atlas.config.yml: rotation.primary: at least one Slack user ID when the rotation is set (nobody would be on call)'],
      [
        rotation('  overrides:\n    - { user: U0123BOBBY, role: primary, from: "2026-12-01T00:00:00Z", until: "2026-12-03T00:00:00Z" }\n    - { user: U0123ALICE, role: primary, from: "2026-12-02T00:00:00Z", until: "2026-12-04T00:00:00Z" }\n'),
        'atlas.config.yml: rotation.overrides.1: no overlap with another primary override (overrides 0 and 1 overlap)',
      ],
      [
        rotation('  overrides:\n    - { user: U0123BOBBY, role: primary, from: "2026-12-03T00:00:00Z", until: "2026-12-01T00:00:00Z" }\n'),
        'atlas.config.yml: rotation.overrides.0.until: an instant after `from`',
      ],
      [rotation('  overrides:\n    - { user: U0123BOBBY, role: boss, from: "2026-12-01T00:00:00Z", until: "2026-12-03T00:00:00Z" }\n'), 'atlas.config.yml: rotation.overrides.0.role: primary or secondary'],
      [rotation('  overrides:\n    - { user: U0123BOBBY, role: primary, from: "2026-12-01", until: "2026-12-03T00:00:00Z" }\n'), 'atlas.config.yml: rotation.overrides.0.from: an ISO instant with its offset'],
      ['handoff:\n  reminderMinutes: 0\n', 'atlas.config.yml: handoff.reminderMinutes: minutes from 1 to 1440'],
      ['rotation:\n  start: "2026-02-30"\n  primary: [U0123ALICE]\n', 'atlas.config.yml: rotation.start: a date YYYY-MM-DD (midnight in rotation.timezone) or an ISO instant'],
      [
        'rotation:\n  start: "2026-11-02"\n  secondary: [U0123BOBBY]\n',
        'atlas.config.yml: rotation.primary: at least one Slack user ID when the rotation is set (nobody would be on call)',
      ],
      [
        'rotation:\n  primary: [U0123ALICE]\n',
        'atlas.config.yml: rotation.start: a date YYYY-MM-DD or an ISO instant (when the first shift starts) when rotation.primary is set',
      ],
      [
        'rotation:\n  start: "2026-11-02"\n  primary: [U0123ALICE, U0123BOBBY, U0123CAROL]\n  secondary: [U0123BOBBY, U0123ALICE]\n',
        'atlas.config.yml: rotation.secondary: someone other than the primary on every shift (U0123ALICE would be both on shift 4)',
      ],
      [
        'providers:\n  - { name: Census TIGER, url: "https://a.example/" }\n  - { name: census-tiger, url: "https://b.example/" }\n',
        'atlas.config.yml: providers.1.name: a name no other provider has (it is the same as "Census TIGER")',
      ],
      [
        'thresholds:\n  diskUsagePct: { target: 90, alert: 80 }\n',
        'atlas.config.yml: thresholds.diskUsagePct: alert at or above target (higher is worse; got target 90, alert 80)',
      ],
      [
        'thresholds:\n  proofSuccessPct: { target: 90, alert: 95 }\n',
        'atlas.config.yml: thresholds.proofSuccessPct: alert at or below target (lower is worse; got target 90, alert 95)',
      ],
      ['thresholds:\n  diskUsagePct: { target: 80, alert: 190 }\n', 'atlas.config.yml: thresholds.diskUsagePct.alert: a percentage from 0 to 100'],
      [
        'thresholds:\n  snapshotWarnAgeDays: 100\n',
        'atlas.config.yml: thresholds.snapshotCritAgeDays: at least snapshotWarnAgeDays (got 90, below 100)',
      ],
    ])('refuses at start: %s', (yaml, message) => {
      const cwd = dirWith(yaml);
      expect(() => loadConfig({}, cwd)).toThrow(ConfigError);
      expect(() => loadConfig({}, cwd)).toThrow(message);
    });

    it('accepts the good forms of the same keys', () => {
      const cwd = dirWith(
        'rotation:\n  timezone: America/New_York\n  handoff: "30 9 * * 1"\n  start: "2099-01-05"\n  primary: [U0123ALICE, U0123BOBBY]\n  secondary: [U0123BOBBY, U0123ALICE]\n' +
          'thresholds:\n  diskUsagePct: { target: 85, alert: 85 }\n  snapshotWarnAgeDays: 10\n',
      );
      const config = loadConfig({}, cwd);
      expect(config.rotation).toMatchObject({ timezone: 'America/New_York', handoff: '30 9 * * 1', start: '2099-01-05', source: 'config' });
      expect(config.handoff).toEqual({ reminderMinutes: 60 });
      expect(config.thresholds.diskUsagePct).toEqual({ target: 85, alert: 85 });
      // A rotation left empty is no rotation, and is not refused.
      expect(loadConfig({}, dirWith('rotation:\n  timezone: Europe/Berlin\n')).rotation).toMatchObject({ primary: [], secondary: [] });
    });
  });

  it('names a bad environment variable', () => {
    const cwd = dirWith();
    expect(() => loadConfig({ PORT: 'eighty' }, cwd)).toThrow(/environment: PORT/);
    expect(() => loadConfig({ SLACK_BOT_TOKEN: 'abc' }, cwd)).toThrow(/SLACK_BOT_TOKEN: not a bot token \(it is 3 characters\): a valid one starts with xoxb-.*OAuth & Permissions/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' }, cwd)).toThrow(/LOG_LEVEL/);
  });

  it('says in one sentence what a valid Slack credential looks like and where the app settings show it, never repeating it', () => {
    const cwd = dirWith();
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ SLACK_SIGNING_SECRET: 'abc123' }, /^environment: SLACK_SIGNING_SECRET: not a signing secret \(it is 6 characters\): a valid one is 32 hexadecimal characters \(0-9, a-f\); copy it from Basic Information → App Credentials → Signing Secret in the Slack app settings \(api\.slack\.com\/apps\)\.$/],
      [{ SLACK_SIGNING_SECRET: 'xoxb-1234-5678-pastedbytoken' }, /^environment: SLACK_SIGNING_SECRET: not a signing secret \(it is a Slack token, xoxb-…\): .*Signing Secret/],
      [{ SLACK_SIGNING_SECRET: '"0123456789abcdef0123456789abcdef"' }, /SLACK_SIGNING_SECRET: not a signing secret \(it holds spaces, quotes/],
      [{ SLACK_BOT_TOKEN: 'xoxb-123' }, /^environment: SLACK_BOT_TOKEN: not a bot token \(it is 8 characters\): a valid one starts with xoxb- .*; copy the Bot User OAuth Token from OAuth & Permissions in the Slack app settings/],
      [{ SLACK_BOT_TOKEN: 'xapp-1-A0123-4567-socketmodetoken' }, /SLACK_BOT_TOKEN: not a bot token \(it is an app-level token, xapp-…\)/],
      [{ SLACK_APP_TOKEN: 'xoxb-1234-5678-pastedbytoken' }, /^environment: SLACK_APP_TOKEN: not an app-level token \(it is a Slack token, xoxb-…\): a valid one starts with xapp- .*Basic Information → App-Level Tokens/],
      [{ SLACK_APP_TOKEN: 'xapp-12' }, /SLACK_APP_TOKEN: not an app-level token \(it is 7 characters\)/],
    ];
    for (const [env, message] of cases) {
      let error: Error | undefined;
      try {
        loadConfig(env, cwd);
      } catch (err) {
        error = err as Error;
      }
      expect(error?.message).toMatch(message);
      for (const value of Object.values(env)) expect(error?.message).not.toContain(value);
    }
    // What the tests, the bench and the sandbox use passes.
    expect(
      loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1111-2222-harnessbottoken', SLACK_SIGNING_SECRET: '0123456789abcdef0123456789abcdef', SLACK_APP_TOKEN: 'xapp-1-A0ATLAS-123-socketmodetoken' }, cwd).env.SLACK_BOT_TOKEN,
    ).toBe('xoxb-1111-2222-harnessbottoken');
  });

  it('refuses an ATLAS_CONFIG that points nowhere, and treats empty variables as unset', () => {
    const cwd = dirWith();
    expect(() => loadConfig({ ATLAS_CONFIG: 'nope.yml' }, cwd)).toThrow(/ATLAS_CONFIG: .*does not exist/);
    expect(loadConfig({ SLACK_BOT_TOKEN: '  ', PORT: '' }, cwd).env.SLACK_BOT_TOKEN).toBeUndefined();
  });
});
