/**
 * `snapshot set-cid <id> <cid>`: CIDs parsed with multiformats (v0 and v1, stored in canonical
 * text), unique across snapshots in any text form, the preview's row and undo, hostile ids and
 * CIDs refused in one sentence, a stale plan refused inside the transaction, a locked database.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../src/commands/authorize.js';
import { createRegistry } from '../../src/commands/index.js';
import type { CommandRegistry } from '../../src/commands/registry.js';
import { RemediationRefusal, type RemediationPlan } from '../../src/remediation/remediation-plan.js';
import { parseCid } from '../../src/remediation/snapshot-cid.js';
import { snapshotSetCid } from '../../src/remediation/snapshot-set-cid.js';
import { createAtlasFiles, tempDir, testDeps, type TestEnv } from '../helpers/test-deps.js';
import { allRows, cidOf, HOSTILE_IDS, insertSnapshots, V0, V0_AS_V1 } from './snapshot-fixtures.js';

const CLI = { source: 'cli' as const, userId: 'alice' };
const NEW_CID = cidOf('snapshot upload of 2026-11-20');

let dir: { dir: string; cleanup: () => void };
let atlas: { metrics: Database.Database; persistence: Database.Database };
let env: TestEnv;
let registry: CommandRegistry;

beforeEach(() => {
  dir = tempDir();
  const dataDir = path.join(dir.dir, '.shadow-atlas');
  atlas = createAtlasFiles(dataDir);
  env = testDeps(dataDir);
  registry = createRegistry(createAuthorizer(env.deps.config));
  insertSnapshots(atlas.persistence, [
    { id: 'snap-new', cid: '', created: '2026-11-20T09:00:00.000Z' },
    { id: 'snap-prev', cid: V0, created: '2026-08-20T09:00:00.000Z', deprecated: '2026-11-20T09:00:00.000Z' },
    { id: 'snap-junk', cid: 'bafy-not-a-cid', created: '2026-05-20T09:00:00.000Z', deprecated: '2026-08-20T09:00:00.000Z' },
  ]);
});

afterEach(async () => {
  await env.close();
  atlas.metrics.close();
  atlas.persistence.close();
  dir.cleanup();
});

const run = (...words: string[]) => registry.run(['snapshot', 'set-cid', ...words], CLI, env.deps);
const cidOfRow = (id: string) => (atlas.persistence.prepare('SELECT ipfs_cid FROM snapshots WHERE id = ?').get(id) as { ipfs_cid: string }).ipfs_cid;
const planOf = (report: { data?: unknown }) => (report.data as { plan: RemediationPlan }).plan;

describe('parseCid (multiformats)', () => {
  it('reads CIDv0 and CIDv1 in any multibase, canonically; a v0 and its v1 share a key', () => {
    expect(parseCid(V0)).toEqual({ ok: true, cid: { text: V0, version: 0, key: V0_AS_V1 } });
    expect(parseCid(V0_AS_V1)).toEqual({ ok: true, cid: { text: V0_AS_V1, version: 1, key: V0_AS_V1 } });
    expect(parseCid(V0_AS_V1.toUpperCase())).toMatchObject({ ok: true, cid: { text: V0_AS_V1 } });
    expect(parseCid(` ${NEW_CID} `)).toMatchObject({ ok: true, cid: { text: NEW_CID, version: 1 } });
  });

  it.each([
    ['', 'it is empty'],
    ['bafy-not-a-cid', 'Non-base32 character'],
    ['Qmfoo', 'Invalid CID version 16'],
    ['!nope', '"!" is no multibase prefix'],
    ['k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8', 'its codec 0x72 is not content (an IPNS name, not a snapshot)'],
    [`b${'a'.repeat(300)}`, 'it is 301 characters, longer than any CID'],
  ])('refuses %s', (text, reason) => {
    expect(parseCid(text)).toEqual({ ok: false, reason });
  });
});

describe('snapshot set-cid', () => {
  it('previews the row before and after with the undo, then records the CID', async () => {
    const before = allRows(atlas.persistence);
    const { report } = await run('snap-new', NEW_CID);
    expect(report.headline).toBe(`Preview of \`snapshot set-cid\`: snap-new (the current snapshot) gets the IPFS CID ${NEW_CID}. Nothing changed: run \`atlas snapshot set-cid snap-new ${NEW_CID} --yes\` to apply it.`);
    const plan = planOf(report);
    expect(plan.changes).toEqual([{ kind: 'row', what: 'snapshots snap-new (created 2026-11-20T09:00:00.000Z)', before: { ipfs_cid: '' }, after: { ipfs_cid: NEW_CID } }]);
    expect(plan.undo).toBe("none needed: snap-new had no CID (ipfs_cid ''); a wrong CID is corrected with `snapshot set-cid snap-new <cid>`");
    expect(allRows(atlas.persistence)).toEqual(before);

    const applied = await run('snap-new', NEW_CID, '--yes');
    expect(applied.outcome).toBe('ok');
    expect(applied.report.headline).toContain(`snap-new has the IPFS CID ${NEW_CID}`);
    expect(cidOfRow('snap-new')).toBe(NEW_CID);
    // Only that column of that row changed.
    expect(allRows(atlas.persistence)).toEqual(before.map((r) => (r.id === 'snap-new' ? { ...r, ipfs_cid: NEW_CID } : r)));
  });

  it('stores the canonical text of a CID typed in another base, and says so', async () => {
    const { report } = await run('snap-new', V0_AS_V1.toUpperCase());
    // The v1 of snap-prev's v0 is the same content: refused as a duplicate.
    expect(report.headline).toBe(`snap-prev has this CID already (as ${V0}), and a CID names one snapshot; check which upload is whose (\`snapshots\`). Nothing was changed.`);
    const other = cidOf('another upload');
    const upper = await run('snap-new', other.toUpperCase());
    expect(planOf(upper.report).warnings).toEqual([`Stored as ${other}, the canonical text of the CID typed as ${other.toUpperCase()}.`]);
    await run('snap-new', other.toUpperCase(), '--yes');
    expect(cidOfRow('snap-new')).toBe(other);
  });

  it('replaces a CID with the undo that puts the old one back, and refuses the same CID again', async () => {
    const { report } = await run('snap-prev', NEW_CID);
    const plan = planOf(report);
    expect(plan.undo).toBe(`snapshot set-cid snap-prev ${V0}`);
    expect(plan.warnings).toEqual([`snap-prev has the CID ${V0} now; it is replaced (the undo puts it back).`]);
    await run('snap-prev', NEW_CID, '--yes');
    expect((await run('snap-prev', NEW_CID)).report.headline).toBe(`snap-prev has the CID ${NEW_CID} already; nothing to change.`);
    await run('snap-prev', V0, '--yes');
    expect(cidOfRow('snap-prev')).toBe(V0);
    // An old value that is no CID cannot be put back by command: the undo says so.
    expect(planOf((await run('snap-junk', NEW_CID)).report).undo).toBe('none by command: the old value "bafy-not-a-cid" is no CID, so `snapshot set-cid` cannot put it back (the audit log keeps it)');
  });

  it('refuses a CID another snapshot has, and an unknown snapshot, in one sentence', async () => {
    const before = allRows(atlas.persistence);
    expect((await run('snap-new', V0, '--yes')).report.headline).toBe('snap-prev has this CID already, and a CID names one snapshot; check which upload is whose (`snapshots`). Nothing was changed.');
    expect((await run('snap-nothere', NEW_CID, '--yes')).report.headline).toBe('No snapshot has id snap-nothere; `snapshots` lists them. Nothing was changed.');
    expect(allRows(atlas.persistence)).toEqual(before);
  });

  it.each([
    ['bafy-not-a-cid', '"bafy-not-a-cid" is not an IPFS CID (Non-base32 character); a CID is Qm… (v0) or bafy… (v1). Usage: `atlas snapshot set-cid <snapshot id> <cid> [--yes]`'],
    ["'; DROP TABLE snapshots; --", `"'; DROP TABLE snapshots; --" is not an IPFS CID ("'" is no multibase prefix); a CID is Qm… (v0) or bafy… (v1). Usage: \`atlas snapshot set-cid <snapshot id> <cid> [--yes]\``],
    ['$(curl evil)', '"$(curl evil)" is not an IPFS CID ("$" is no multibase prefix); a CID is Qm… (v0) or bafy… (v1). Usage: `atlas snapshot set-cid <snapshot id> <cid> [--yes]`'],
  ])('refuses the CID %s in one sentence', async (cid, sentence) => {
    const before = allRows(atlas.persistence);
    const { report, outcome } = await run('snap-new', cid, '--yes');
    expect(outcome).toBe('usage');
    expect(report.headline).toBe(sentence);
    expect(allRows(atlas.persistence)).toEqual(before);
  });

  it.each(HOSTILE_IDS.map((id) => [id.length > 40 ? `${id.slice(0, 20)}… (${id.length} chars)` : id, id]))('refuses the id %s in one sentence, changing nothing', async (_label, id) => {
    const before = allRows(atlas.persistence);
    const { report, outcome } = await run(id, NEW_CID, '--yes');
    expect(outcome).toBe('usage');
    expect(report.headline).not.toMatch(/\n/);
    expect(report.headline).toMatch(/is not a snapshot id|takes at most 1000|unknown flag/);
    expect(allRows(atlas.persistence)).toEqual(before);
  });

  it('refuses a plan whose rows changed since it was read, inside the transaction', async () => {
    const args = { id: 'snap-new', cid: NEW_CID, typed: null };
    const plan = await snapshotSetCid.spec.plan(args, env.deps);
    atlas.persistence.prepare("UPDATE snapshots SET published_at = '2026-11-26T11:00:00.000Z' WHERE id = 'snap-junk'").run();
    await expect(snapshotSetCid.spec.apply(args, plan, env.deps, CLI)).rejects.toThrow(new RemediationRefusal(`The snapshots changed since the preview, so nothing was changed; run \`snapshot set-cid snap-new ${NEW_CID}\` again for a new preview.`));
    expect(cidOfRow('snap-new')).toBe('');
  });

  it('waits a bounded time for a writer holding the lock, then says so', async () => {
    const service = new Database(path.join(env.deps.config.dataDir, 'persistence.db'));
    service.exec('BEGIN IMMEDIATE');
    // The writer lets go only after the answer: the answer coming at all is the wait giving up.
    const { report } = await run('snap-new', NEW_CID, '--yes');
    service.exec('ROLLBACK');
    service.close();
    expect(report.headline).toMatch(/^persistence\.db is locked by another writer \(the service\?\); waited 3(\.\d)? s, nothing was changed; try again in a minute\.$/);
    expect(cidOfRow('snap-new')).toBe('');
  });
});
