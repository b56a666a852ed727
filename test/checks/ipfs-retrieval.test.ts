import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ipfsRetrievalItem } from '../../src/checks/ipfs-retrieval.js';
import { buildConfig } from '../../src/config.js';
import { NEVER_MS } from '../helpers/busy-machine.js';

const CID = 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi';
const thresholds = buildConfig('/nowhere').thresholds;
const gateways = ['https://gw1.test/ipfs/', 'https://gw2.test/ipfs'];

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterAll(() => {
  nock.enableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});

describe('ipfsRetrievalItem', () => {
  it('times the fastest gateway that serves the CID and reports the ones that failed', async () => {
    nock('https://gw1.test').get(`/ipfs/${CID}`).reply(504, 'gateway timeout');
    nock('https://gw2.test').get(`/ipfs/${CID}`).delay(30).reply(200, Buffer.alloc(200_000, 1));
    const item = await ipfsRetrievalItem(CID, gateways, fetch, thresholds);
    expect(item).toMatchObject({ key: 'ipfs_retrieval', level: 'ok', unit: 's', target: '≤ 10 s', alert: '> 30 s' });
    expect(item.value).toBeGreaterThan(0);
    expect(item.detail).toMatch(/^bafybeig…5fbzdi from gw2\.test in [\d.]+ s; failed: gw1\.test HTTP 504$/);
  });

  it('is crit when every gateway fails', async () => {
    nock('https://gw1.test').get(`/ipfs/${CID}`).reply(404);
    nock('https://gw2.test').get(`/ipfs/${CID}`).replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
    const item = await ipfsRetrievalItem(CID, gateways, fetch, thresholds);
    expect(item.level).toBe('crit');
    expect(item.value).toBeNull();
    expect(item.detail).toBe('bafybeig…5fbzdi not retrievable from any of 2 gateways: gw1.test HTTP 404; gw2.test connection failed: ECONNRESET');
  });

  it('bounds each fetch at the alert threshold: slower than alert is a failure', async () => {
    const quick = buildConfig('/nowhere', { thresholds: { ipfsRetrievalSec: { target: 0.05, alert: 0.1 } } }).thresholds;
    nock('https://gw1.test').get(`/ipfs/${CID}`).delay(NEVER_MS).reply(200, 'x');
    const item = await ipfsRetrievalItem(CID, ['https://gw1.test/ipfs/'], fetch, quick);
    expect(item.level).toBe('crit');
    expect(item.detail).toContain('gw1.test timeout after 100 ms');
  });

  it('is a warning between target and alert', async () => {
    // The alert threshold far above what a busy machine takes for a 20 ms answer.
    const tight = buildConfig('/nowhere', { thresholds: { ipfsRetrievalSec: { target: 0.001, alert: 300 } } }).thresholds;
    nock('https://gw1.test').get(`/ipfs/${CID}`).delay(20).reply(200, 'x');
    const item = await ipfsRetrievalItem(CID, ['https://gw1.test/ipfs/'], fetch, tight);
    expect(item.level).toBe('warn');
  });

  it('stops waiting for slow gateways once one has served the CID', async () => {
    nock('https://gw1.test').get(`/ipfs/${CID}`).reply(200, 'content');
    nock('https://gw2.test').get(`/ipfs/${CID}`).delay(NEVER_MS).reply(200, 'late');
    // Each fetch is bounded at the alert threshold, here longer than any test runs: the answer
    // coming at all means the slow gateway was cancelled, not awaited (no stopwatch needed).
    const patient = buildConfig('/nowhere', { thresholds: { ipfsRetrievalSec: { target: 300, alert: NEVER_MS / 1000 } } }).thresholds;
    const item = await ipfsRetrievalItem(CID, gateways, fetch, patient);
    expect(item.level).toBe('ok');
    expect(item.detail).toMatch(/from gw1\.test/);
    expect(item.detail).not.toContain('gw2');
  });

  it('is unknown without a CID, and never fetches', async () => {
    for (const cid of [null, '', '   ']) {
      const item = await ipfsRetrievalItem(cid, gateways, fetch, thresholds);
      expect(item).toMatchObject({ level: 'unknown', value: null, detail: 'current snapshot has no CID' });
    }
  });

  it('refuses a CID that is not one (no request goes out with it)', async () => {
    const scope = nock('https://gw1.test').get(/.*/).reply(200);
    for (const cid of ['../../etc/passwd', 'bafy<script>', 'Qm x', `${'a'.repeat(300)}`]) {
      const item = await ipfsRetrievalItem(cid, ['https://gw1.test/ipfs/'], fetch, thresholds);
      expect(item.level).toBe('crit');
      expect(item.detail).toMatch(/is not a valid CID$/);
    }
    expect(scope.isDone()).toBe(false);
  });
});
