/**
 * The stand-in's files: files.getUploadURLExternal, the upload URL, files.completeUploadExternal,
 * driven by the real WebClient (its filesUploadV2 and the methods one by one), with Slack's
 * arguments and refusals.
 */
import { describe, expect, it } from 'vitest';
import { filesOf } from '../../src/sandbox/file-methods.js';
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
