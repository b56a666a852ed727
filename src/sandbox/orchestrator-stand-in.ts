/**
 * The Shadow Atlas scripts the remediations run (stop the orchestrator, resume a job, upload a
 * snapshot to IPFS), stood in for the sandbox, where no orchestrator and no IPFS node exist.
 * Run as a separate process with an argument array, exactly as the configured commands are:
 *   stop | resume <jobId> | upload <snapshotId>
 * `upload` prints the CID a raw-leaves upload of the snapshot id's bytes would have.
 */
import { fileURLToPath } from 'node:url';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import { isMainModule } from '../is-main-module.js';

/** The argument array that runs this stand-in for `verb`, with `{placeholder}` arguments after it. */
export function standInCommand(verb: 'stop' | 'resume' | 'upload', ...rest: string[]): string[] {
  const url = new URL(import.meta.url);
  const file = fileURLToPath(url);
  // Under tsx (tests, `npm run sandbox` runs the built .js): the child needs tsx to read the .ts.
  return url.pathname.endsWith('.ts') ? [process.execPath, '--import', 'tsx', file, verb, ...rest] : [process.execPath, file, verb, ...rest];
}

async function main(argv: string[]): Promise<number> {
  const [verb, id] = argv;
  switch (verb) {
    case 'stop':
      process.stdout.write('sandbox stand-in: no orchestrator runs here; nothing to stop\n');
      return 0;
    case 'resume':
      process.stdout.write(`sandbox stand-in: would resume ${id ?? '(no job id)'}; nothing ran\n`);
      return 0;
    case 'upload': {
      if (!id) return 2;
      const cid = CID.create(1, raw.code, await sha256.digest(new TextEncoder().encode(id)));
      process.stdout.write(`sandbox stand-in: added ${id}\n${cid.toString()}\n`);
      return 0;
    }
    default:
      process.stderr.write('usage: orchestrator-stand-in stop | resume <jobId> | upload <snapshotId>\n');
      return 64;
  }
}

if (isMainModule(import.meta.url)) void main(process.argv.slice(2)).then((code) => process.exit(code));
