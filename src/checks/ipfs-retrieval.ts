import type { Thresholds } from '../config.js';
import { bandLevel, bandText, unknownItem, type CheckItem } from './check-item.js';
import { httpProbe, type HttpProbe } from './providers.js';

/** CIDv0 (Qm…, base58) and CIDv1 (bafy…, base32) are plain alphanumerics. */
const CID_PATTERN = /^[A-Za-z0-9]{8,200}$/;

/** Enough of the content to prove the gateway really serves it, without pulling a whole snapshot. */
const READ_BYTES = 64 * 1024;

const KEY = 'ipfs_retrieval';
const LABEL = 'IPFS retrieval';

function gatewayName(gateway: string): string {
  try {
    return new URL(gateway).host;
  } catch {
    return gateway.slice(0, 60);
  }
}

function shortCid(cid: string): string {
  return cid.length > 16 ? `${cid.slice(0, 8)}…${cid.slice(-6)}` : cid;
}

/**
 * Times a fetch of the current snapshot's CID from every gateway in parallel, each bounded at the
 * alert threshold. The first gateway that serves it wins and the others are cancelled: `health`
 * should not wait 30 s for a dead gateway when another one answered.
 */
export async function ipfsRetrievalItem(
  cid: string | null,
  gateways: readonly string[],
  fetchFn: typeof fetch,
  thresholds: Thresholds,
): Promise<CheckItem> {
  const band = thresholds.ipfsRetrievalSec;
  const text = bandText(band, 'lower', 's');
  const trimmed = cid?.trim() ?? '';
  if (trimmed === '') return { ...unknownItem(KEY, LABEL, 'current snapshot has no CID', 's'), ...text };
  if (!CID_PATTERN.test(trimmed)) {
    return { key: KEY, label: LABEL, level: 'crit', value: null, unit: 's', ...text, detail: `current snapshot's CID "${shortCid(trimmed.slice(0, 60))}" is not a valid CID` };
  }
  if (gateways.length === 0) return { ...unknownItem(KEY, LABEL, 'no IPFS gateways configured (ipfs.gateways)', 's'), ...text };

  const timeoutMs = band.alert * 1000;
  const winner = new AbortController();
  const probes: HttpProbe[] = await Promise.all(
    gateways.map(async (gateway) => {
      const base = gateway.endsWith('/') ? gateway : `${gateway}/`;
      const probe = await httpProbe(fetchFn, `${base}${trimmed}`, timeoutMs, { readBytes: READ_BYTES, signal: winner.signal });
      if (probe.ok) winner.abort();
      return probe;
    }),
  );

  const successes = probes
    .map((p, i) => ({ p, name: gatewayName(gateways[i] ?? '') }))
    .filter((x) => x.p.ok && x.p.latencyMs !== null)
    .sort((a, b) => (a.p.latencyMs ?? 0) - (b.p.latencyMs ?? 0));
  const failures = probes
    .map((p, i) => ({ p, name: gatewayName(gateways[i] ?? '') }))
    .filter((x) => !x.p.ok && x.p.error?.kind !== 'cancelled')
    .map((x) => `${x.name} ${x.p.error?.message ?? 'failed'}`);
  const fastest = successes[0];
  if (!fastest) {
    return {
      key: KEY,
      label: LABEL,
      level: 'crit',
      value: null,
      unit: 's',
      ...text,
      detail: `${shortCid(trimmed)} not retrievable from any of ${gateways.length} gateway${gateways.length === 1 ? '' : 's'}: ${failures.join('; ')}`,
    };
  }
  const seconds = Math.round((fastest.p.latencyMs ?? 0) / 10) / 100;
  const failed = failures.length > 0 ? `; failed: ${failures.join('; ')}` : '';
  return {
    key: KEY,
    label: LABEL,
    level: bandLevel(seconds, band, 'lower'),
    value: seconds,
    unit: 's',
    ...text,
    detail: `${shortCid(trimmed)} from ${fastest.name} in ${seconds} s${failed}`,
  };
}
