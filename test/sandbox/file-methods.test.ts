/**
 * The stand-in's files: files.getUploadURLExternal, the upload URL, files.completeUploadExternal,
 * driven by the real WebClient (its filesUploadV2 and the methods one by one), with Slack's
 * arguments and refusals.
 */
import { describe, expect, it } from 'vitest';
import { filesOf } from '../../src/sandbox/file-methods.js';
import { sandboxState } from '../../src/sandbox/sandbox-state.js';
import { refusal, useStandIn } from './stand-in-fixture.js';

const CHANNEL = 'C0INCIDENT';

describe('files upload in the stand-in', () => {
  const ctx = useStandIn({
    channels: [
      { id: CHANNEL, name: 'incident-response', members: ['U0ONCALL1'] },
      { id: 'C0OUTSIDE1', name: 'outside', members: ['U0ONCALL1'], botIsMember: false },
    ],
  });

  it('takes filesUploadV2 end to end: the bytes kept, one file message in the thread', async () => {
    const { client, standIn } = ctx;
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'incident card' });
    const result = await client.filesUploadV2({ channel_id: CHANNEL, thread_ts: parent.ts!, content: 'héllo\nworld\n', filename: 'notes.txt', title: 'Notes', initial_comment: 'here' });
    expect(result.ok).toBe(true);
    const [file] = filesOf(standIn.workspace);
    expect(file).toMatchObject({ name: 'notes.txt', title: 'Notes', text: 'héllo\nworld\n', completed: true, length: Buffer.byteLength('héllo\nworld\n') });
    const reply = standIn.workspace.replies(CHANNEL, parent.ts!)[0];
    expect(reply).toMatchObject({ text: 'here', files: [expect.objectContaining({ id: file!.id, name: 'notes.txt', size: 13, mimetype: 'text/plain' })] });
    expect(standIn.workspace.calls('file_upload')[0]?.status).toBe(200);
  });

  it("serves a shared image at its url_private (the sandbox page shows it), with its alt text; nothing unshared", async () => {
    const { client, standIn } = ctx;
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 9, 9]);
    const { upload_url, file_id } = await client.files.getUploadURLExternal({ filename: 'errors-chart.png', length: png.length, alt_text: 'Errors stayed under 1 errors/min for 6 h.' });
    expect((await fetch(upload_url!, { method: 'POST', body: new Uint8Array(png) })).status).toBe(200);
    const unshared = await fetch(`${standIn.url}/files/${file_id}/errors-chart.png`);
    expect(unshared.status).toBe(404);
    await client.files.completeUploadExternal({ files: [{ id: file_id! }], channel_id: CHANNEL });
    const message = standIn.workspace.messages(CHANNEL).at(-1) as { files?: { url_private: string; mimetype: string; alt_txt?: string }[] };
    const f = message.files![0]!;
    expect(f).toMatchObject({ mimetype: 'image/png', alt_txt: 'Errors stayed under 1 errors/min for 6 h.' });
    const served = await fetch(f.url_private);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await served.arrayBuffer())).toEqual(png);
    const info = await client.files.info({ file: file_id! });
    expect(Object.keys((info.file as { shares: { public: Record<string, unknown> } }).shares.public)).toEqual([CHANNEL]);
  });

  it('getUploadURLExternal: an absolute URL on the stand-in; filename and length required, 0 is missing_argument', async () => {
    const { client, standIn } = ctx;
    const ok = await client.files.getUploadURLExternal({ filename: 'a.txt', length: 3 });
    expect(ok.upload_url).toMatch(new RegExp(`^${standIn.url}/upload/v1/F[0-9A-Z]+$`));
    expect(ok.file_id).toMatch(/^F/);
    expect((await refusal(client.apiCall('files.getUploadURLExternal', { length: 3 }))).error).toBe('invalid_arguments');
    expect((await refusal(client.apiCall('files.getUploadURLExternal', { filename: 'a.txt' }))).error).toBe('invalid_arguments');
    expect((await refusal(client.files.getUploadURLExternal({ filename: 'a.txt', length: 0 }))).error).toBe('missing_argument');
    expect((await refusal(client.files.getUploadURLExternal({ filename: 'a.png', length: 3, alt_text: 'x'.repeat(1001) }))).error).toBe('alt_txt_too_large');
  });

  it('completeUploadExternal refuses what Slack refuses', async () => {
    const { client, standIn } = ctx;
    const ticket = async () => {
      const { upload_url, file_id } = await client.files.getUploadURLExternal({ filename: 'a.txt', length: 3 });
      const res = await fetch(upload_url!, { method: 'POST', body: 'abc' });
      expect(res.status).toBe(200);
      return file_id!;
    };
    const id = await ticket();
    const complete = (args: Record<string, unknown>) => refusal(client.apiCall('files.completeUploadExternal', args));
    expect((await complete({ channel_id: CHANNEL })).error).toBe('invalid_arguments');
    expect((await complete({ files: '[{"title":"no id"}]', channel_id: CHANNEL })).error).toBe('invalid_arguments');
    expect((await complete({ files: [{ id }], channel_id: 'U0ONCALL1' })).error).toBe('invalid_arguments');
    expect((await complete({ files: [{ id }], channel_id: 'C0NOSUCHCHAN' })).error).toBe('channel_not_found');
    expect((await complete({ files: [{ id }], channel_id: 'C0OUTSIDE1' })).error).toBe('not_in_channel');
    expect((await complete({ files: [{ id }], channel_id: CHANNEL, thread_ts: '1764158400.000100' })).error).toBe('thread_not_found');
    expect((await complete({ files: [{ id: 'F9999999999' }], channel_id: CHANNEL })).error).toBe('file_not_found');
    // Bytes never posted: nothing to complete.
    const { file_id: empty } = await client.files.getUploadURLExternal({ filename: 'b.txt', length: 3 });
    expect((await complete({ files: [{ id: empty }], channel_id: CHANNEL })).error).toBe('file_not_found');
    expect(standIn.workspace.messages(CHANNEL)).toHaveLength(0);

    // Once: a second completion of the same file is file_not_found.
    await client.files.completeUploadExternal({ files: [{ id }], channel_id: CHANNEL });
    expect(standIn.workspace.messages(CHANNEL)).toHaveLength(1);
    expect((await complete({ files: [{ id }], channel_id: CHANNEL })).error).toBe('file_not_found');

    // Without a channel the file stays private: no message.
    await client.files.completeUploadExternal({ files: [{ id: await ticket() }] });
    expect(standIn.workspace.messages(CHANNEL)).toHaveLength(1);
  });

  it('the upload URL: unknown ids are 404, faults apply as "file_upload"', async () => {
    const { client, standIn } = ctx;
    expect((await fetch(`${standIn.url}/upload/v1/F0000000099`, { method: 'POST', body: 'x' })).status).toBe(404);
    standIn.faults.inject({ method: 'file_upload', kind: 'http', status: 503 });
    await expect(client.filesUploadV2({ channel_id: CHANNEL, content: 'abc', filename: 'c.txt' })).rejects.toMatchObject({ statusCode: 503 });
    expect(standIn.workspace.messages(CHANNEL)).toHaveLength(0);
  });
});

/** A 1×1 PNG: the signature, IHDR, one IDAT, IEND. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

describe('shared files, served and listed for the sandbox page', () => {
  const ctx = useStandIn({ channels: [{ id: CHANNEL, name: 'incident-response', members: ['U0ONCALL1'] }] });

  it('types a PNG by its bytes or its name, keeps its alt text, and serves its bytes at url_private as image/png', async () => {
    const { client, standIn } = ctx;
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'incident card' });
    await client.filesUploadV2({ channel_id: CHANNEL, file: PNG, filename: 'latency.png', title: 'Proof latency, last hour', alt_text: 'Line chart: p95 proof latency rising from 2 s to 9 s' });
    // A chart whose name says nothing of its kind is still an image: its bytes say so.
    await client.filesUploadV2({ channel_id: CHANNEL, thread_ts: parent.ts!, file: PNG, filename: 'chart', title: 'Errors by provider', alt_text: 'Bar chart of errors' });
    await client.filesUploadV2({ channel_id: CHANNEL, content: 'a,b\n1,2\n', filename: 'rows.csv', title: 'Rows' });

    const top = standIn.workspace.messages(CHANNEL);
    const chart = top.find((m) => m.files)!.files![0] as Record<string, unknown>;
    expect(chart).toMatchObject({ name: 'latency.png', title: 'Proof latency, last hour', mimetype: 'image/png', filetype: 'png', alt_txt: 'Line chart: p95 proof latency rising from 2 s to 9 s', size: PNG.length });
    const inThread = standIn.workspace.replies(CHANNEL, parent.ts!)[0]!.files![0] as Record<string, unknown>;
    expect(inThread).toMatchObject({ name: 'chart', mimetype: 'image/png', alt_txt: 'Bar chart of errors' });

    const res = await fetch(chart.url_private as string);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-disposition')).toMatch(/^inline;/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).toBe(true);
    // The page asks by id alone, whatever the name part says.
    expect((await fetch(`${standIn.url}/files/${chart.id as string}`)).headers.get('content-type')).toBe('image/png');

    const csv = top.flatMap((m) => (m.files ?? []) as Record<string, unknown>[]).find((f) => f.name === 'rows.csv')!;
    const text = await fetch(csv.url_private as string);
    expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(text.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(await text.text()).toBe('a,b\n1,2\n');
  });

  it('answers 404 for an id it never issued, one without bytes yet, and anything not an id', async () => {
    const { client, standIn } = ctx;
    const { file_id } = await client.files.getUploadURLExternal({ filename: 'later.png', length: 3 });
    for (const p of ['/files/F9999999999/x.png', `/files/${file_id!}/later.png`, '/files/f123/x', '/files/F1/../../etc/passwd', '/files/']) {
      const res = await fetch(`${standIn.url}${p}`);
      expect(res.status, p).toBe(404);
      await res.arrayBuffer();
    }
  });

  it('lists the files of channel messages and thread replies in the page data', async () => {
    const { client, standIn } = ctx;
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'card' });
    await client.chat.postMessage({ channel: CHANNEL, thread_ts: parent.ts!, text: 'a reply' });
    await client.filesUploadV2({ channel_id: CHANNEL, file: PNG, filename: 'top.png', alt_text: 'Top chart' });
    await client.filesUploadV2({ channel_id: CHANNEL, thread_ts: parent.ts!, file: PNG, filename: 'thread.png', alt_text: 'Thread chart' });
    const state = sandboxState(standIn.workspace, 'U0ONCALL1', { clock: { now: new Date(), offsetMs: 0, nextShiftChange: null }, onCall: null, presets: [] });
    const files = (list: { files?: unknown[] }[] | undefined) => (list ?? []).flatMap((m) => (m.files ?? []) as Record<string, unknown>[]);
    expect(files(state.messages[CHANNEL])).toEqual([expect.objectContaining({ name: 'top.png', mimetype: 'image/png', alt_txt: 'Top chart' })]);
    expect(files(state.replies[`${CHANNEL}:${parent.ts!}`])).toEqual([expect.objectContaining({ name: 'thread.png', mimetype: 'image/png', alt_txt: 'Thread chart' })]);
  });
});
