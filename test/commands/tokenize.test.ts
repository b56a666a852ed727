import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tokenize } from '../../src/commands/tokenize.js';

const summaryOf = (text: string) =>
  parseArgs({ args: tokenize(text).slice(2), options: { summary: { type: 'string' }, severity: { type: 'string' } }, strict: true, allowPositionals: true }).values;

describe('tokenize', () => {
  it('splits words and keeps quoted phrases together', () => {
    expect(tokenize('runbook "provider outage"  --window 1h')).toEqual(['runbook', 'provider outage', '--window', '1h']);
    expect(tokenize("runbook 'provider outage'")).toEqual(['runbook', 'provider outage']);
    expect(tokenize('runbook \u201Ctiger down\u201D')).toEqual(['runbook', 'tiger down']);
    expect(tokenize('runbook \u2018tiger down\u2019')).toEqual(['runbook', 'tiger down']);
    expect(tokenize('errors \u2014window 10m')).toEqual(['errors', '--window', '10m']);
    expect(tokenize('note db down \u2014 again')).toEqual(['note', 'db', 'down', '\u2014', 'again']);
    expect(tokenize('incident declare --summary "db is down"')).toEqual(['incident', 'declare', '--summary', 'db is down']);
    expect(tokenize('   ')).toEqual([]);
    expect(tokenize('note ""')).toEqual(['note', '']);
  });

  it.each([
    ['straight double quotes', 'incident declare --summary="db is down"'],
    ['straight single quotes', "incident declare --summary='db is down'"],
    ["Slack's curly double quotes", 'incident declare --summary=\u201Cdb is down\u201D'],
    ["Slack's curly single quotes", 'incident declare --summary=\u2018db is down\u2019'],
    ['a dash for --', 'incident declare \u2014summary=\u201Cdb is down\u201D'],
  ])('keeps a quoted value glued to a flag as one word: %s', (_what, text) => {
    expect(tokenize(text)).toEqual(['incident', 'declare', '--summary=db is down']);
    expect(summaryOf(text)).toEqual({ summary: 'db is down' });
  });

  it('keeps flags after a glued quoted value apart', () => {
    expect(tokenize('incident declare --summary="db is down" --severity P1')).toEqual(['incident', 'declare', '--summary=db is down', '--severity', 'P1']);
    expect(tokenize('incident declare --summary=""')).toEqual(['incident', 'declare', '--summary=']);
  });

  it('leaves apostrophes and quotes inside words alone', () => {
    expect(tokenize("note can't reach db")).toEqual(['note', "can't", 'reach', 'db']);
    expect(tokenize('note can\u2019t reach db')).toEqual(['note', "can't", 'reach', 'db']);
    expect(tokenize("incident declare --summary='it's down'")).toEqual(['incident', 'declare', "--summary=it's down"]);
    expect(tokenize('incident declare --summary=\u201Cit\u2019s down\u201D')).toEqual(['incident', 'declare', "--summary=it's down"]);
    expect(tokenize('note a 5" pipe')).toEqual(['note', 'a', '5"', 'pipe']);
  });

  it('runs an unclosed quote to the end of the text, or up to the next --flag', () => {
    expect(tokenize('incident declare --summary="db is down')).toEqual(['incident', 'declare', '--summary=db is down']);
    expect(tokenize('runbook "provider outage')).toEqual(['runbook', 'provider outage']);
    expect(tokenize('incident declare --summary="db is down --severity P1')).toEqual(['incident', 'declare', '--summary=db is down', '--severity', 'P1']);
    expect(tokenize('incident declare --summary=\u201Cdb is down \u2014severity P1')).toEqual(['incident', 'declare', '--summary=db is down', '--severity', 'P1']);
  });
});
