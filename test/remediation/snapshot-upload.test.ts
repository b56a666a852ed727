/**
 * `snapshot upload [<id>]`: the preview runs nothing and shows the command Confirm will run;
 * --yes (Confirm) runs commands.uploadSnapshot once (a real child process: node printing what an
 * uploader prints), reads the CID and records it as set-cid does; a missing key, a failing
 * upload, an output without a CID or with two, the id as one argument whatever it holds, and a
 * snapshot id from persistence.db that starts with "-" never reaching the command.
 */
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { createRegistry } from '../../src/commands/index.js';
import type { CommandRegistry } from '../../src/commands/registry.js';
import type { RemediationPlan } from '../../src/remediation/remediation-plan.js';
import { cidFromOutput } from '../../src/remediation/snapshot-upload.js';
import { createAtlasFiles, tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';
import { allRows, cidOf, insertSnapshots, V0, V0_AS_V1 } from './snapshot-fixtures.js';

const CLI = { source: 'cli' as const, userId: 'alice' };
const UPLOADED = cidOf('uploaded snap-new');

/** An uploader: counts its runs in a file, prints its arguments and `out`, exits with `code`. */
function uploader(out: string, code = 0): string[] {
  const script = `
    const fs = require('node:fs');
    const [count, id] = process.argv.slice(1);
    fs.appendFileSync(count, id + '\\n');
    process.stdout.write('uploading ' + JSON.stringify(id) + '\\n' + ${JSON.stringify(out)} + '\\n');
    process.exit(${code});`;
  return [process.execPath, '-e', script, '{countFile}', '{snapshotId}'];
}

let dir: { dir: string; cleanup: () => void };
let atlas: { metrics: Database.Database; persistence: Database.Database };
let env: TestEnv | null = null;
let registry: CommandRegistry;
let countFile: string;

function setup(argv: string[] | null): void {
  const dataDir = path.join(dir.dir, '.shadow-atlas');
  countFile = path.join(dir.dir, 'runs.txt');
  // {countFile} is no placeholder the config allows: the test fills it in itself.
  const filled = argv?.map((a) => a.replace('{countFile}', countFile)) ?? null;
  env = testDeps(dataDir, { file: filled ? { commands: { uploadSnapshot: filled, timeoutSeconds: 10 } } : {} });
  registry = createRegistry(createAuthorizer(env.deps.config));
}

beforeEach(() => {
  dir = tempDir();
  atlas = createAtlasFiles(path.join(dir.dir, '.shadow-atlas'));
  insertSnapshots(atlas.persistence, [
    { id: 'snap-new', cid: '', created: '2026-11-20T09:00:00.000Z' },
    { id: 'snap-prev', cid: V0, created: '2026-08-20T09:00:00.000Z', deprecated: '2026-11-20T09:00:00.000Z' },
  ]);
});

afterEach(async () => {
  await env?.close();
  env = null;
  atlas.metrics.close();
  atlas.persistence.close();
  dir.cleanup();
});

const run = (...words: string[]) => registry.run(['snapshot', 'upload', ...words], CLI, env!.deps);
const runs = async () => {
  const { readFileSync, existsSync } = await import('node:fs');
  return existsSync(countFile) ? readFileSync(countFile, 'utf8').split('\n').filter(Boolean) : [];
};
const cidOfRow = (id: string) => (atlas.persistence.prepare('SELECT ipfs_cid FROM snapshots WHERE id = ?').get(id) as { ipfs_cid: string }).ipfs_cid;

describe('cidFromOutput', () => {
  it('finds the one CID in an uploader output, in any of its text forms', () => {
    expect(cidFromOutput(`Uploaded 12 MB\nhttps://w3s.link/ipfs/${UPLOADED}\nCID: ${UPLOADED}\n`)).toEqual({ ok: true, cid: UPLOADED });
    expect(cidFromOutput(`${V0} ${V0_AS_V1}`)).toEqual({ ok: true, cid: V0 });
    expect(cidFromOutput('done, merkle root 0x1234abcd')).toEqual({ ok: false, reason: 'its output has no IPFS CID' });
    expect(cidFromOutput(`${UPLOADED}\n${V0}`)).toMatchObject({ ok: false, reason: expect.stringContaining('2 different CIDs') });
  });
});

describe('snapshot upload', () => {
  it('says which config key to set when the upload command is not configured', async () => {
    setup(null);
    const { report } = await run();
    expect(report.headline).toBe(
      '`snapshot upload` runs commands.uploadSnapshot, which is not set; set it in the config file to the argument array that uploads a snapshot and prints its CID, e.g. ["npx", "tsx", "scripts/upload-snapshot.ts", "{snapshotId}"]. Nothing was run.',
    );
  });

  it('previews the upload without running it, then on --yes uploads the newest snapshot without a CID once and records the CID it printed', async () => {
    setup(uploader(`pinned: ${UPLOADED}`));
    const before = allRows(atlas.persistence);
    const { report } = await run();
    expect(report.headline).toBe(
      'Preview of `snapshot upload`: runs commands.uploadSnapshot for snap-new (created 2026-11-20T09:00:00.000Z, CID none), then records the CID it prints. Nothing changed: run `atlas snapshot upload --yes` to apply it.',
    );
    const plan = (report.data as { plan: RemediationPlan }).plan;
    expect(plan.changes).toEqual([
      { kind: 'command', argv: [process.execPath, '-e', expect.any(String), countFile, 'snap-new'], note: 'on Confirm, once; no shell, {snapshotId} one argument, bound 10 s' },
      { kind: 'row', what: 'snapshots snap-new (created 2026-11-20T09:00:00.000Z)', before: { ipfs_cid: '' }, after: { ipfs_cid: '<the CID the upload prints>' } },
    ]);
    // Nothing ran, nothing changed.
    expect(await runs()).toEqual([]);
    expect(allRows(atlas.persistence)).toEqual(before);

    const applied = await run('--yes');
    expect(applied.report.headline).toContain(`snap-new has the IPFS CID ${UPLOADED}`);
    expect(applied.report.sections[0]!.lines![0]).toMatch(/^ran \[.*"snap-new"\]: exit status 0 after \d+\.\d s$/);
    expect(cidOfRow('snap-new')).toBe(UPLOADED);
    expect(await runs()).toEqual(['snap-new']);
  });

  it('refuses a failed upload with its output, and an output without a CID, recording nothing', async () => {
    setup(uploader('Error: 401 Unauthorized from api.web3.storage', 3));
    expect((await run('snap-new')).report.headline).toMatch(/^Preview of `snapshot upload`/);
    expect(await runs()).toEqual([]);
    const failed = await run('snap-new', '--yes');
    expect(failed.report.headline).toMatch(/^The upload of snap-new failed: commands\.uploadSnapshot exit status 3 after \d+\.\d s; nothing was recorded\. Its output ended with:\nuploading "snap-new"\nError: 401 Unauthorized/);
    await env!.close();
    setup(uploader('upload finished'));
    const nocid = await run('snap-new', '--yes');
    expect(nocid.report.headline).toContain('The upload of snap-new ended well but its output has no IPFS CID; record the CID with `snapshot set-cid snap-new <cid>`. Nothing was recorded.');
    expect(cidOfRow('snap-new')).toBe('');
    expect(await runs()).toEqual(['snap-new', 'snap-new']);
  });

  it("refuses when the CID printed is another snapshot's, recording nothing, and when no snapshot lacks a CID", async () => {
    setup(uploader(`cid ${V0_AS_V1}`));
    expect((await run('snap-new', '--yes')).report.headline).toMatch(
      new RegExp(`^The upload of snap-new ran \\(exit status 0 after \\d+\\.\\d s\\) and printed ${V0_AS_V1}, which was not recorded: snap-prev has this CID already`),
    );
    expect(cidOfRow('snap-new')).toBe('');
    atlas.persistence.prepare("UPDATE snapshots SET ipfs_cid = ? WHERE id = 'snap-new'").run(UPLOADED);
    expect((await run()).report.headline).toBe('Every snapshot that is not archived has an IPFS CID; name the one to upload again: `snapshot upload <id>`. Nothing was run.');
  });

  it('never passes a snapshot id from persistence.db that starts with "-" to the command (it would be read as an option)', async () => {
    setup(uploader(`pinned: ${UPLOADED}`));
    // The newest snapshot without a CID has an id a hostile or broken writer chose: `sort -o<path>` made files with one.
    const planted = path.join(dir.dir, 'planted');
    atlas.persistence.prepare("UPDATE snapshots SET ipfs_cid = ? WHERE id = 'snap-new'").run(UPLOADED);
    insertSnapshots(atlas.persistence, [{ id: `-o${planted}`, cid: '', created: '2026-11-25T09:00:00.000Z' }]);
    for (const words of [[], ['--yes']]) {
      const { report } = await run(...words);
      expect(report.headline).toBe(
        `The snapshot id "-o${planted}" read from persistence.db cannot be passed to commands.uploadSnapshot (it starts with "-", so the program could read it as an option); fix the row by hand, or upload it yourself and record the CID with \`snapshot set-cid\`. Nothing was run.`,
      );
    }
    expect(await runs()).toEqual([]);
    const { existsSync } = await import('node:fs');
    expect(existsSync(planted)).toBe(false);
  });

  it('passes the id as one argument and refuses hostile ids before anything runs', async () => {
    setup(uploader(`pinned: ${UPLOADED}`));
    for (const id of ['snap-new; rm -rf /', '$(id)', '../../etc/passwd', 'x'.repeat(2000)]) {
      const { outcome } = await run(id);
      expect(outcome).toBe('usage');
    }
    expect(await runs()).toEqual([]);
  });
});
