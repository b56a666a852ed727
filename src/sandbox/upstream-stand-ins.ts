/**
 * The sandbox's stand-ins for what the bot calls beyond Slack, so that it needs no network:
 * the two data providers (each answering 503 while the stood-in service has it down, as in the
 * demo's Census TIGER outage, and 200 otherwise), an IPFS gateway that has every CID, and PagerDuty's Events API v2
 * (src/sandbox/pagerduty-stand-in.ts), which the bot pages through. The bot's config points at them.
 */
import type { ExtraRoute } from './http-server.js';
import type { PagerDutyStandIn } from './pagerduty-stand-in.js';

export const UPSTREAM_PATHS = {
  tiger: '/upstream/census-tiger',
  arcgis: '/upstream/arcgis-hub',
  ipfsGateway: '/upstream/ipfs/',
  /** PAGERDUTY_EVENTS_URL: the bot posts to `<this>/v2/enqueue`. */
  pagerdutyEvents: '/upstream/pagerduty-events',
} as const;

export interface UpstreamStandIns {
  /** PagerDuty's Events API, served under UPSTREAM_PATHS.pagerdutyEvents. */
  pagerduty: PagerDutyStandIn;
  /** Whether the provider of that name is down now (the running service's outages); default: Census TIGER, the demo's. */
  providerDown?: (provider: string) => boolean;
}

const PROVIDER_PATHS: Readonly<Record<string, string>> = { [UPSTREAM_PATHS.tiger]: 'Census TIGER', [UPSTREAM_PATHS.arcgis]: 'ArcGIS Hub' };

/** What the bot only reads: the providers and the IPFS gateway. */
const readOnlyUpstreams = (providerDown: (provider: string) => boolean): ExtraRoute => (req, res, url) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const provider = PROVIDER_PATHS[url.pathname];
  if (provider !== undefined && providerDown(provider)) {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '120' });
    res.end('Service Unavailable');
    return true;
  }
  if (provider !== undefined) {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ data: [{ id: 'sandbox', type: 'dataset' }], meta: { total: 1 } }));
    return true;
  }
  if (url.pathname.startsWith(UPSTREAM_PATHS.ipfsGateway) && url.pathname.length > UPSTREAM_PATHS.ipfsGateway.length) {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(Buffer.alloc(64 * 1024, 0x61));
    return true;
  }
  return false;
};

/** Every upstream the sandbox stands in, as one route of the sandbox server. */
export const upstreamStandIns = ({ pagerduty, providerDown = (name) => name === 'Census TIGER' }: UpstreamStandIns): ExtraRoute => {
  const readOnly = readOnlyUpstreams(providerDown);
  return (req, res, url, body) => {
    if (url.pathname.startsWith(`${UPSTREAM_PATHS.pagerdutyEvents}/`)) return pagerduty.route(req, res, url, body);
    return readOnly(req, res, url, body);
  };
};
