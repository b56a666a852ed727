import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread from its compiled script next to the module (dist/ in production).
 * Under vitest the source runs as TypeScript and the compiled worker does not exist: the worker
 * then registers tsx before importing its TypeScript source. (Node 20 ignores `--import` in a
 * worker's execArgv for the worker's own entry, hence the two steps.)
 */
export function startWorker(url: URL): Worker {
  const isTs = url.pathname.endsWith('.ts');
  if (!isTs && existsSync(fileURLToPath(url))) return new Worker(url);
  const source = isTs ? url : new URL(url.href.replace(/\.js$/, '.ts'));
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}
