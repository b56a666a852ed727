/**
 * Remediation in the sandbox, through the page's actions as through Slack: the demo's snapshot
 * without a CID is uploaded by the stood-in upload script and its CID recorded on Confirm; the
 * preview goes only to the person who asked; a reader's request is refused.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/sandbox/run-sandbox.js';
import { SANDBOX_USERS } from '../../src/sandbox/slack-stand-in.js';
import { REMEDIATION_CONFIRM_ACTION } from '../../src/templates/remediation-messages.js';
import { startSandboxSession, type SandboxSession } from '../helpers/sandbox-session.js';
import { eventually } from '../helpers/slack-harness.js';

const INCIDENTS = 'C0INCIDENT';

let session: SandboxSession;
let sandbox: RunningSandbox;
let dir: string;
const call = (pathname: string, body: unknown) => session.call(pathname, body);

beforeAll(async () => {
  session = await startSandboxSession('atlas-sandbox-remediation-');
  ({ sandbox, dir } = session);
});

afterAll(() => session?.close());

const snapshotsWithoutCid = () => {
  const db = new Database(path.join(dir, 'persistence.db'), { readonly: true });
  try {
    return (db.prepare("SELECT id FROM snapshots WHERE ipfs_cid IS NULL OR ipfs_cid = ''").all() as { id: string }[]).map((r) => r.id);
  } finally {
    db.close();
  }
};

describe('remediation in the sandbox', () => {
  it('uploads the snapshot without a CID through the stood-in script and records the CID on Confirm', async () => {
    const user = SANDBOX_USERS.primary;
    const [missing] = snapshotsWithoutCid();
    expect(missing).toBeDefined();
    expect(await call('/sandbox/command', { user, channel: INCIDENTS, text: 'snapshot upload' })).toEqual({ ok: true });
    const preview = await eventually(() => sandbox.slack.workspace.ephemerals({ channel: INCIDENTS, user }).find((e) => (e.text ?? '').includes('Preview of `snapshot upload`')), 'the preview');
    // The preview runs nothing: it shows the command Confirm runs, and the CID is the one the upload will print.
    expect(JSON.stringify(preview.blocks)).not.toMatch(/bafkrei[a-z2-7]{52}/);
    expect(JSON.stringify(preview.blocks)).toContain('&lt;the CID the upload prints&gt;');
    expect(snapshotsWithoutCid()).toContain(missing);
    expect(sandbox.slack.workspace.ephemerals({ channel: INCIDENTS, user: SANDBOX_USERS.reader })).toEqual([]);
    const row = (preview.blocks as { type: string; block_id?: string; elements?: { action_id: string }[] }[]).find((b) => b.elements?.some((e) => e.action_id === REMEDIATION_CONFIRM_ACTION))!;
    expect(await call('/sandbox/press', { user, container: { type: 'ephemeral', ts: preview.ts }, channel: INCIDENTS, blockId: row.block_id, actionId: REMEDIATION_CONFIRM_ACTION })).toEqual({ ok: true });
    await eventually(() => !snapshotsWithoutCid().includes(missing!), 'the CID recorded');
    // The team sees what was done, in the incident channel.
    await eventually(() => sandbox.slack.workspace.messages(INCIDENTS).find((m) => (m.text ?? '').includes(missing!)), 'the result in #incident-response');
  });

  it('replaces a preview nobody confirmed by "Expired at …" once its 10 minutes pass on the sandbox clock', async () => {
    const user = SANDBOX_USERS.primary;
    expect(await call('/sandbox/command', { user, channel: INCIDENTS, text: 'backup' })).toEqual({ ok: true });
    const preview = await eventually(() => sandbox.slack.workspace.ephemerals({ channel: INCIDENTS, user }).find((e) => (e.text ?? '').includes('Preview of `backup`')), 'the preview');
    expect(JSON.stringify(preview.blocks)).toContain(REMEDIATION_CONFIRM_ACTION);
    expect(await call('/sandbox/clock', { advance: '5m' })).toMatchObject({ ok: true });
    expect(await call('/sandbox/clock', { advance: '5m' })).toMatchObject({ ok: true });
    await eventually(() => (preview.text ?? '').includes('Expired at') && preview.text, 'the preview replaced');
    expect(preview.text).toMatch(/^⌛ Expired at \d\d:\d\d UTC — nothing was run\. Run `\/atlas backup[^`]*` again to preview anew\.$/);
    expect(JSON.stringify(preview.blocks ?? [])).not.toContain(REMEDIATION_CONFIRM_ACTION);
  });

  it('refuses a reader, privately, and says who may', async () => {
    const user = SANDBOX_USERS.reader;
    expect(await call('/sandbox/command', { user, channel: INCIDENTS, text: 'backup' })).toEqual({ ok: true });
    const refusal = await eventually(() => sandbox.slack.workspace.ephemerals({ channel: INCIDENTS, user }).find((e) => (e.text ?? '').includes('changes Shadow Atlas data')), 'the refusal');
    expect(refusal.text).toContain('it may be run by');
  });
});
