/**
 * The chart renderer's worker thread (see chart-renderer.ts): one spec at a time, each answered
 * with the PNG bytes (transferred, not copied) or the reason it could not be drawn.
 */
import { parentPort } from 'node:worker_threads';
import type { TopLevelSpec } from 'vega-lite';
import { renderChartPng } from './chart-render.js';

if (!parentPort) throw new Error('chart-render-worker must run in a worker thread');
const port = parentPort;
port.on('message', (message: { id: number; spec: TopLevelSpec }) => {
  renderChartPng(message.spec).then(
    ({ png, width, height }) => {
      const bytes = new Uint8Array(png.buffer, png.byteOffset, png.byteLength).slice();
      port.postMessage({ id: message.id, kind: 'ok', png: bytes, width, height }, [bytes.buffer]);
    },
    (err: unknown) => port.postMessage({ id: message.id, kind: 'error', message: err instanceof Error ? err.message : String(err) }),
  );
});
