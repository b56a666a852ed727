/**
 * The sandbox's stand-ins for what the bot probes beyond Slack, so that it needs no network:
 * the two data providers (Census TIGER answering 503, as in the demo's outage, and ArcGIS Hub
 * answering 200) and an IPFS gateway that has every CID. The bot's config points at them.
 */
import type { ExtraRoute } from './http-server.js';

export const UPSTREAM_PATHS = {
  tiger: '/upstream/census-tiger',
  arcgis: '/upstream/arcgis-hub',
  ipfsGateway: '/upstream/ipfs/',
} as const;

export const upstreamStandIns: ExtraRoute = (req, res, url) => {
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
