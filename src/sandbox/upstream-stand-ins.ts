/**
 * The sandbox's stand-ins for what the bot calls beyond Slack, so that it needs no network:
 * the two data providers (Census TIGER answering 503, as in the demo's outage, and ArcGIS Hub
 * answering 200), an IPFS gateway that has every CID, and PagerDuty's Events API v2
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
}

/** What the bot only reads: the providers and the IPFS gateway. */
const readOnlyUpstreams: ExtraRoute = (req, res, url) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (url.pathname === UPSTREAM_PATHS.tiger) {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '120' });
    res.end('Service Unavailable');
    return true;
  }
  if (url.pathname === UPSTREAM_PATHS.arcgis) {
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
export const upstreamStandIns =
  ({ pagerduty }: UpstreamStandIns): ExtraRoute =>
  (req, res, url, body) => {
    if (url.pathname.startsWith(`${UPSTREAM_PATHS.pagerdutyEvents}/`)) return pagerduty.route(req, res, url, body);
    return readOnlyUpstreams(req, res, url, body);
  };
