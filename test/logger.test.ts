import { App, LogLevel } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { boltLevelOf, boltLogger, createLogger, scrubSecrets } from '../src/logger.js';
import { captureLogs } from './helpers/slack-harness.js';

const BOT_TOKEN = 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
const USER_TOKEN = 'xoxp-111-222-333-abcdef';
const APP_TOKEN = 'xapp-1-A0ATLAS-123456-deadbeefcafe';
const ROTATING = 'xoxe.xoxp-1-Mi0yLTEyMzQ1Ng';
const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';

describe('createLogger', () => {
  it('never writes a token or a secret, wherever it appears', () => {
    const out = captureLogs();
    const log = createLogger('debug', out, { secrets: [SIGNING_SECRET] });
    log.info({ token: BOT_TOKEN }, 'top-level token field');
    log.info({ body: { token: 'verification-token-value', user_id: 'U1' } }, 'payload with the verification token');
    log.info({ req: { headers: { authorization: `Bearer ${BOT_TOKEN}` } } }, 'request headers');
    log.info({ headers: { Authorization: 'Bearer opaque-value-123' } }, 'headers');
    log.info({ config: { env: { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_APP_TOKEN: APP_TOKEN } } }, 'config');
    log.info({ slack: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, appToken: APP_TOKEN } }, 'options');
    log.warn(`a message that mentions ${USER_TOKEN} and ${ROTATING}`);
    log.error({ err: new Error(`auth failed for ${APP_TOKEN}`) }, 'error with a token in its message');
    log.info({ deep: { a: { b: { c: `url?token%3D${BOT_TOKEN}` } } } }, 'deeply nested');
    log.info(`the signing secret is ${SIGNING_SECRET}`);
    const raw = out.raw.join('');
    for (const secret of [BOT_TOKEN, USER_TOKEN, APP_TOKEN, ROTATING, SIGNING_SECRET, 'verification-token-value', 'opaque-value-123']) {
      expect(raw).not.toContain(secret);
    }
    expect(raw).not.toMatch(/xox[a-z]-|xapp-/);
    expect(out.lines).toHaveLength(10);
    expect(out.lines[1]).toMatchObject({ body: { token: '[redacted]', user_id: 'U1' } });
    expect(out.lines[6]?.msg).toBe('a message that mentions [redacted-token] and [redacted-token]');
    // the rest of the line survives
    expect(out.lines[7]).toMatchObject({ level: 'error', msg: 'error with a token in its message' });
  });

  it('writes JSON lines with a level label and respects the level', () => {
    const out = captureLogs();
    const log = createLogger('warn', out);
    log.info('dropped');
    log.warn({ n: 1 }, 'kept');
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatchObject({ level: 'warn', msg: 'kept', n: 1, name: 'atlas-bot' });
    expect(typeof out.lines[0]?.time).toBe('string');
  });
});

describe('scrubSecrets', () => {
  it('replaces every Slack token shape and leaves ordinary text alone', () => {
    expect(scrubSecrets(`a ${BOT_TOKEN} b ${ROTATING} c ${APP_TOKEN} xoxo-hugs`)).toBe(
      'a [redacted-token] b [redacted-token] c [redacted-token] xoxo-hugs',
    );
    expect(scrubSecrets('nothing to see', ['short'])).toBe('nothing to see');
    expect(scrubSecrets('a "quoted\\"secret" here', ['quoted"secret'])).toBe('a "[redacted-secret]" here');
  });
});

describe('boltLogger', () => {
  it('formats Bolt’s mixed arguments into one message, tagged as bolt', () => {
    const out = captureLogs();
    const bolt = boltLogger(createLogger('debug', out));
    bolt.info('An unhandled request', 3, { path: '/x' });
    bolt.setName('socket-mode');
    bolt.warn('reconnecting');
    expect(out.lines[0]).toMatchObject({ level: 'info', component: 'bolt', msg: "An unhandled request 3 { path: '/x' }" });
    expect(out.lines[1]).toMatchObject({ level: 'warn', component: 'socket-mode', msg: 'reconnecting' });
  });

  it('never lowers our level, though Bolt may raise its own', () => {
    const out = captureLogs();
    const parent = createLogger('warn', out);
    const bolt = boltLogger(parent);
    bolt.setLevel(LogLevel.DEBUG);
    bolt.debug('noise');
    bolt.info('noise');
    expect(bolt.getLevel()).toBe(LogLevel.WARN);
    expect(parent.level).toBe('warn');

    const quieter = boltLogger(parent);
    quieter.setLevel(LogLevel.ERROR);
    quieter.warn('quieted');
    parent.warn('ours');
    expect(out.lines.map((l) => l.msg)).toEqual(['ours']);
  });

  it('stays at our level when Bolt is built without a logLevel (it calls setLevel("info"))', () => {
    const out = captureLogs();
    const parent = createLogger('warn', out);
    const bolt = boltLogger(parent);
    new App({ token: BOT_TOKEN, signingSecret: SIGNING_SECRET, botId: 'B1', botUserId: 'U1', logger: bolt });
    bolt.info('should not appear');
    parent.info('nor this');
    expect(out.lines).toEqual([]);
    expect(parent.level).toBe('warn');
  });

  it('maps pino levels to Bolt’s four', () => {
    expect([boltLevelOf('trace'), boltLevelOf('debug'), boltLevelOf('info'), boltLevelOf('warn'), boltLevelOf('fatal'), boltLevelOf('silent')]).toEqual([
      LogLevel.DEBUG,
      LogLevel.DEBUG,
      LogLevel.INFO,
      LogLevel.WARN,
      LogLevel.ERROR,
      LogLevel.ERROR,
    ]);
  });
});
