/** doctor says whether the PagerDuty webhook is on and which alert file is watched, over real files. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { doctor } from '../../src/checks/doctor.js';
import { createAtlasFiles, tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';

let env: TestEnv | undefined;
let cleanup: (() => void) | undefined;

afterEach(async () => {
  await env?.close();
  cleanup?.();
});

function open(file: object) {
  const t = tempDir();
  cleanup = t.cleanup;
  const dataDir = path.join(t.dir, '.shadow-atlas');
  const files = createAtlasFiles(dataDir);
  files.metrics.close();
  files.persistence.close();
  env = testDeps(dataDir, { file });
  return { dir: t.dir, env };
}

const line = async (key: string) => (await doctor(env!.deps)).find((i) => i.key === key);

describe('doctor on the integrations', () => {
  it('says the PagerDuty webhook is off and what to set, and lists no alert file when none is configured', async () => {
    open({});
    expect(await line('pagerduty')).toMatchObject({ level: 'ok', detail: 'off: set PAGERDUTY_WEBHOOK_SECRET to take PagerDuty incidents in' });
    expect(await line('alerts-file')).toBeUndefined();
    expect(await line('pagerduty-paging')).toMatchObject({ level: 'ok', detail: 'off: set pagerduty.routingKey to page through PagerDuty' });
    expect(await line('github')).toMatchObject({
      level: 'ok',
      detail: 'off: set GITHUB_TOKEN (a token with Issues read and write) and github.repo (owner/name) in the config file to file review issues and list them in the handoff',
    });
  });

  it('says paging through PagerDuty is on, and where, with a routing key', async () => {
    open({ pagerduty: { routingKey: 'R0UT1NGKEY0123456789abcdefABCDEF' } });
    expect(await line('pagerduty-paging')).toMatchObject({
      level: 'ok',
      detail: 'on: alerts from every other source page through https://events.pagerduty.com, acknowledged and resolved from Slack',
    });
  });

  it('says the webhook is on with a secret, and names the alert file, said missing until it is written', async () => {
    const { dir } = open({});
    const file = path.join(dir, 'shadow-atlas-alert.json');
    env!.deps.config.env.PAGERDUTY_WEBHOOK_SECRET = 'a-secret-of-sixteen-chars';
    env!.deps.config.alerts.file = file;
    expect(await line('pagerduty')).toMatchObject({ detail: 'on: POST /hooks/pagerduty takes signed incident events' });
    // Without a REST key, acknowledging PagerDuty's incidents in Slack stays in Slack: said.
    expect(await line('pagerduty-sync')).toMatchObject({ level: 'warn', detail: "acknowledging or resolving PagerDuty's incidents in Slack does not reach PagerDuty: set PAGERDUTY_TOKEN" });
    env!.deps.config.env.PAGERDUTY_TOKEN = 'pd-token-u+abcdefghij0123456789';
    expect(await line('pagerduty-sync')).toBeUndefined();
    expect((await line('alerts-file'))!.detail).toBe(`watched every 30 s: ${file} (not there now; fine until something writes it)`);
    writeFileSync(file, '{}');
    expect((await line('alerts-file'))!.detail).toBe(`watched every 30 s: ${file}`);
  });
});

describe('doctor on a PagerDuty rotation', () => {
  it('says where the schedules come from, and warns while PagerDuty has not answered since a time', async () => {
    open({ rotation: { source: 'pagerduty' }, pagerduty: { schedules: { primary: 'PSCHEDPRI', secondary: 'PSCHEDSEC' } } });
    const fresh = await doctor({ ...env!.deps, rotation: { stale: null } });
    expect(fresh.find((i) => i.key === 'pagerduty-rotation')).toMatchObject({ level: 'ok', detail: 'schedules PSCHEDPRI and PSCHEDSEC read from https://api.pagerduty.com' });
    const since = new Date('2026-11-26T10:42:00Z');
    const items = await doctor({ ...env!.deps, rotation: { stale: { since } } });
    expect(items.find((i) => i.key === 'pagerduty-rotation')).toMatchObject({ level: 'warn', detail: "PagerDuty's on-calls API not reachable since 10:42 UTC; the last known answer is used" });
  });
});
