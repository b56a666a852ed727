/**
 * The snapshot remediations through signed Slack requests against the real app and registry:
 * `/atlas snapshot rollback` previews both rows to the requester, Confirm applies it once and the
 * incident channel is told; a replayed token, a non-remediator's press and a press after the
 * data changed change nothing (the last with a new preview). `snapshot set-cid` the same way.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REMEDIATION_CONFIRM_ACTION } from '../../src/templates/remediation-messages.js';
import type { DeliveryHarness } from '../helpers/delivery-harness.js';
import { confirmButton, startSlackEnv, type SlackEnv } from '../helpers/slack-env.js';
import { assertBlockKitLimits } from '../helpers/slack-judge.js';
import { TEST_USER, type Harness } from '../helpers/slack-harness.js';
import { TEST_NOW, type TestEnv } from '../helpers/test-deps.js';
import { allRows, backups, cidOf, deprecation, insertSnapshots } from './snapshot-fixtures.js';

const CHANNEL = 'C0INCIDENT';
const READER = 'U0READER';
const CONFIG = { channels: { incidents: CHANNEL }, responders: { users: [TEST_USER] } };

let se: SlackEnv;
let dataDir: string;
let atlas: SlackEnv['atlas'];
let env: TestEnv;
let d: DeliveryHarness;
let h: Harness;

beforeEach(async () => {
  se = await startSlackEnv({
    file: CONFIG,
    seed: (a) =>
      insertSnapshots(a.persistence, [
        { id: 'snap-bad', created: '2026-11-20T09:00:00.000Z' },
        { id: 'snap-good', created: '2026-08-15T09:00:00.000Z', deprecated: '2026-11-20T09:05:00.000Z' },
        { id: 'snap-nocid', cid: '', created: '2026-05-15T09:00:00.000Z', deprecated: '2026-08-15T09:05:00.000Z' },
      ]),
  });
  ({ dataDir, atlas, env, d, h } = se);
});

afterEach(() => se.close());

const auditRows = () => env.db.prepare('SELECT user_id, command, outcome FROM audit_log ORDER BY id').all() as Record<string, string>[];

/** `/atlas <text>` in the incident channel; the preview and its Confirm token. */
async function preview(text: string): Promise<{ blocks: string; token: string; text: string }> {
  const c = await h.command(text, { channel: CHANNEL });
  const answer = await c.answer();
  expect(answer.response_type).toBe('ephemeral');
  assertBlockKitLimits('message', answer.blocks as unknown[]);
  const button = confirmButton(answer.blocks);
  expect(button, 'a Confirm button on the preview').toBeDefined();
  return { blocks: JSON.stringify(answer.blocks), token: button!.value, text: answer.text ?? '' };
}

const confirm = async (token: string, user = TEST_USER) => (await h.press(REMEDIATION_CONFIRM_ACTION, token, { user, channel: CHANNEL })).answer();

describe('snapshot rollback in Slack', () => {
  it('previews both rows, applies on Confirm once, and tells the incident channel with the undo', async () => {
    const p = await preview('snapshot rollback');
    expect(p.text).toContain('Preview of `snapshot rollback`: snap-good becomes the current snapshot instead of snap-bad. Nothing changes until you press Confirm (valid 10 min, once).');
    expect(p.blocks).toContain('snapshots snap-bad (current now; created 2026-11-20T09:00:00.000Z');
    expect(p.blocks).toContain(`deprecated_at: null, archived_at: null → deprecated_at: ${TEST_NOW}, archived_at: null`);
    expect(p.blocks).toContain('snapshots snap-good (current after;');
    expect(p.blocks).toContain('deprecated_at: 2026-11-20T09:05:00.000Z, archived_at: null → deprecated_at: null, archived_at: null');
    expect(p.blocks).toContain('persistence-&lt;UTC time of Confirm&gt;.db');
    expect(p.blocks).toContain('*Undo*: snapshot rollback snap-bad');
    expect(deprecation(atlas.persistence)['snap-bad']).toBeNull();
    expect(backups(dataDir)).toEqual([]);

    const done = await confirm(p.token);
    expect(done.text).toContain(`snap-good is the current snapshot instead of snap-bad (told in <#${CHANNEL}>)`);
    expect(deprecation(atlas.persistence)).toMatchObject({ 'snap-bad': TEST_NOW, 'snap-good': null });
    // The shared engine's verified backup, with its manifest.
    expect(backups(dataDir)).toEqual(['manifest-2026-11-26T12-00-00Z.json', 'persistence-2026-11-26T12-00-00Z.db']);
    await d.delivery.drain();
    const told = d.slack.workspace.messages(CHANNEL);
    expect(told.map((m) => m.text)).toEqual([expect.stringContaining('snap-good is the current snapshot instead of snap-bad')]);
    expect(JSON.stringify(told[0]!.blocks)).toContain(`applied by <@${TEST_USER}> · undo: snapshot rollback snap-bad`);

    // The same token again: refused, applied once.
    const replay = await confirm(p.token);
    expect(replay.text).toContain('was confirmed already');
    expect(backups(dataDir).filter((n) => n.endsWith('.db'))).toHaveLength(1);
    expect(auditRows().map((r) => r.outcome)).toEqual(['previewed', 'started', 'applied']);
  });

  it("changes nothing on a non-remediator's Confirm", async () => {
    const p = await preview('snapshot rollback');
    const before = allRows(atlas.persistence);
    const reader = await confirm(p.token, READER);
    expect(reader.text).toContain('changes Shadow Atlas data: it may be run by');
    expect(allRows(atlas.persistence)).toEqual(before);
    expect(backups(dataDir)).toEqual([]);
    expect(auditRows().map((r) => [r.user_id, r.outcome])).toEqual([
      [TEST_USER, 'previewed'],
      [READER, 'refused'],
    ]);
  });

  it('refuses a Confirm after the snapshots changed, with a new preview of the data as it is', async () => {
    const p = await preview('snapshot rollback');
    // The service publishes snap-bad meanwhile: a column the rollback does not change, still another plan.
    atlas.persistence.prepare("UPDATE snapshots SET published_at = '2026-11-26T12:00:30.000Z' WHERE id = 'snap-bad'").run();
    const before = allRows(atlas.persistence);
    const stale = await confirm(p.token);
    expect(stale.text).toContain('The data changed since the preview, so nothing was applied. Preview of `snapshot rollback`');
    expect(allRows(atlas.persistence)).toEqual(before);
    expect(backups(dataDir)).toEqual([]);
    const next = confirmButton(stale.blocks)!.value;
    expect(next).not.toBe(p.token);
    await confirm(next);
    expect(deprecation(atlas.persistence)['snap-good']).toBeNull();
    expect(auditRows().map((r) => r.outcome)).toEqual(['previewed', 'stale', 'previewed', 'started', 'applied']);
  });

  it('refuses a hostile id in one sentence, with no preview to confirm', async () => {
    const c = await h.command(`snapshot rollback "snap'; DROP TABLE snapshots; --"`, { channel: CHANNEL });
    const answer = await c.answer();
    expect(answer.text).toContain(`is not a snapshot id (letters, digits, ".", "-" and "_", at most 128 characters)`);
    expect(confirmButton(answer.blocks)).toBeUndefined();
    expect(env.db.prepare('SELECT count(*) AS n FROM remediation_confirmations').get()).toEqual({ n: 0 });
  });
});

describe('snapshot set-cid in Slack', () => {
  it('previews the CID change and applies it on Confirm', async () => {
    const cid = cidOf('manual upload');
    const p = await preview(`snapshot set-cid snap-nocid ${cid}`);
    expect(p.blocks).toContain(`snapshots snap-nocid (created 2026-05-15T09:00:00.000Z): ipfs_cid:  → ipfs_cid: ${cid}`);
    const done = await confirm(p.token);
    expect(done.text).toContain(`snap-nocid has the IPFS CID ${cid}`);
    expect((atlas.persistence.prepare("SELECT ipfs_cid FROM snapshots WHERE id = 'snap-nocid'").get() as { ipfs_cid: string }).ipfs_cid).toBe(cid);
  });
});
