import type { webApi } from '@slack/bolt';
import { describeSlackError } from './slack-errors.js';
import { within } from '../time/within.js';

/** A text file to share in a channel (in a thread, with `threadTs`). */
export interface FileUpload {
  channel: string;
  threadTs?: string;
  filename: string;
  content: string;
  title?: string;
  /** The message introducing the file. */
  initialComment?: string;
}

export type FileUploadResult = { ok: true; fileId: string | null } | { ok: false; reason: string };

/** Uploads a file into Slack; never throws: a failure is a reason in words. */
export type UploadFile = (file: FileUpload) => Promise<FileUploadResult>;

/**
 * The whole upload (three calls: files.getUploadURLExternal, the bytes to the upload URL,
 * files.completeUploadExternal) gives up after this long, each call after the client's own bound.
 */
export const FILE_UPLOAD_BOUND_MS = 30_000;

interface CompletedUpload {
  files?: { files?: { id?: string }[] }[];
}

/**
 * Shares `file` with the WebClient's files upload (filesUploadV2). Bounded in time as a whole:
 * past `boundMs` the answer is a failure, whatever the calls still under way do.
 */
export async function uploadFile(client: webApi.WebClient, file: FileUpload, boundMs = FILE_UPLOAD_BOUND_MS): Promise<FileUploadResult> {
  const upload = (async (): Promise<FileUploadResult> => {
    try {
      const common = {
        content: file.content,
        filename: file.filename,
        title: file.title ?? file.filename,
        ...(file.initialComment ? { initial_comment: file.initialComment } : {}),
      };
      const result = (await (file.threadTs
        ? client.filesUploadV2({ ...common, channel_id: file.channel, thread_ts: file.threadTs })
        : client.filesUploadV2({ ...common, channel_id: file.channel }))) as CompletedUpload;
      return { ok: true, fileId: result.files?.[0]?.files?.[0]?.id ?? null };
    } catch (err) {
      return { ok: false, reason: describeSlackError(err) };
    }
  })();
  return within(upload, boundMs, (): FileUploadResult => ({ ok: false, reason: `Slack did not finish the upload within ${Math.round(boundMs / 1000)} s` }));
}
