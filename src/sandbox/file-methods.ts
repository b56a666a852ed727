/**
 * Files, as the WebClient's filesUploadV2 uses them (reference/slack-platform.md §4):
 *   1. files.getUploadURLExternal { filename, length, alt_txt?, snippet_type? } -> { upload_url, file_id }
 *   2. POST the bytes to upload_url (raw, or multipart/form-data as the WebClient sends them); HTTP 200
 *   3. files.completeUploadExternal { files: [{ id, title? }], channel_id?, thread_ts?, initial_comment? }
 *      -> { files: [...] }, and the file is shared: a message with it in the channel (thread).
 * Arguments and error codes as the method pages and slack-ruby/slack-api-ref list them. The
 * stand-in keeps its files beside the workspace (filesOf), not inside it.
 */
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { targetChannel } from './chat-methods.js';
import { parseArgs, type MethodHandler } from './method-args.js';
import { idSequence } from './slack-ids.js';
import { refuse } from './slack-refusal.js';
import type { Workspace } from './workspace.js';

/** What the upload URL answers: a status and a body. */
export interface UploadAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** A file as the stand-in keeps it: what was asked for, the bytes that came, where it was shared. */
export interface StandInFile {
  id: string;
  name: string;
  title: string;
  /** The length files.getUploadURLExternal was told. */
  length: number;
  /** The description of an image for screen readers (alt_txt), as given. */
  altText: string | null;
  /** The bytes posted to the upload URL; null until they come. */
  content: Buffer | null;
  created: number;
  /** Set by files.completeUploadExternal (it may be called once per file). */
  completed: boolean;
  shares: { channel: string; ts: string; threadTs?: string }[];
}

/** Slack's limit on alt_txt (alt_txt_too_large). */
const ALT_TXT_MAX = 1000;
/** The stand-in's own bound on what it keeps in memory per file. */
export const MAX_UPLOAD_BYTES = 16 * 1024 * 1024;
/** Upload URLs live under this path of the stand-in's server. */
const UPLOAD_PATH = /^\/upload\/v1\/(F[A-Z0-9]+)$/;

class FileStore {
  /** The stand-in's base URL (http://127.0.0.1:PORT), for absolute upload URLs; set when it listens. */
  baseUrl = 'http://127.0.0.1';
  readonly files = new Map<string, StandInFile>();
  readonly nextId = idSequence('F');
}

const stores = new WeakMap<Workspace, FileStore>();

function storeOf(ws: Workspace): FileStore {
  let store = stores.get(ws);
  if (!store) stores.set(ws, (store = new FileStore()));
  return store;
}

/** Tells the workspace's files where upload URLs point (the stand-in's HTTP server). */
export function setUploadBaseUrl(ws: Workspace, baseUrl: string): void {
  storeOf(ws).baseUrl = baseUrl;
}

/** Every file asked for, oldest first; `content` as text for tests. */
export function filesOf(ws: Workspace): (StandInFile & { text: string | null })[] {
  return [...storeOf(ws).files.values()].map((f) => ({ ...f, text: f.content ? f.content.toString('utf8') : null }));
}

/** The file id an upload URL path names, or null when the path is not an upload URL. */
export function uploadUrlFileId(pathname: string): string | null {
  return UPLOAD_PATH.exec(pathname)?.[1] ?? null;
}

const count = z.preprocess((v) => (v === undefined || v === '' ? undefined : Number(v)), z.number().optional());

const getUploadSchema = z.object({
  filename: z.string().optional(),
  length: count,
  alt_txt: z.string().optional(),
  alt_text: z.string().optional(),
  snippet_type: z.string().optional(),
});

/**
 * files.getUploadURLExternal: filename and length are required (a length of 0 is
 * missing_argument, as the reference says); alt_txt past 1000 characters is alt_txt_too_large.
 */
export const getUploadURLExternal: MethodHandler = (ws, raw) => {
  const args = parseArgs(getUploadSchema, raw);
  if (args.filename === undefined || args.filename.trim() === '') refuse('invalid_arguments', ['missing required field: filename [json-pointer:/filename]']);
  if (args.length === undefined) refuse('invalid_arguments', ['missing required field: length [json-pointer:/length]']);
  if (!Number.isInteger(args.length) || args.length < 0) refuse('invalid_arguments', ['must be a non-negative integer [json-pointer:/length]']);
  if (args.length === 0) refuse('missing_argument');
  if (args.length > MAX_UPLOAD_BYTES) refuse('file_upload_size_restricted');
  if ((args.alt_txt ?? args.alt_text ?? '').length > ALT_TXT_MAX) refuse('alt_txt_too_large');
  const store = storeOf(ws);
  const id = store.nextId();
  store.files.set(id, {
    id,
    name: args.filename,
    title: args.filename,
    length: args.length,
    altText: args.alt_txt ?? args.alt_text ?? null,
    content: null,
    created: Math.floor(ws.clock().getTime() / 1000),
    completed: false,
    shares: [],
  });
  return { ok: true, upload_url: `${store.baseUrl}/upload/v1/${id}`, file_id: id };
};

/** Reads a request's bytes, at most MAX_UPLOAD_BYTES; null when there are more. */
export async function readUploadBytes(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_UPLOAD_BYTES) return null;
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/**
 * The bytes of an upload: the body as is, or from multipart/form-data (the WebClient posts a
 * form with one file field) the first file part, else the first field.
 */
export async function uploadedBytes(contentType: string | undefined, body: Buffer): Promise<Buffer | null> {
  if (!(contentType ?? '').toLowerCase().startsWith('multipart/form-data')) return body;
  try {
    const form = await new Response(body, { headers: { 'content-type': contentType ?? '' } }).formData();
    for (const value of form.values()) if (typeof value !== 'string') return Buffer.from(await value.arrayBuffer());
    const first = form.values().next().value;
    return typeof first === 'string' ? Buffer.from(first, 'utf8') : null;
  } catch {
    return null;
  }
}

/** The upload URL, after the bytes were read: stores them for the file the URL names. */
export function receiveUpload(ws: Workspace, fileId: string, bytes: Buffer | null): UploadAnswer {
  const file = storeOf(ws).files.get(fileId);
  if (!file) return { status: 404, body: { ok: false, error: 'file_not_found' } };
  if (file.completed) return { status: 400, body: { ok: false, error: 'already_completed' } };
  if (bytes === null) return { status: 400, body: { ok: false, error: 'invalid_upload' } };
  file.content = bytes;
  return { status: 200, body: { ok: true, file_id: fileId, bytes: bytes.length } };
}

const fileRef = z.object({ id: z.string(), title: z.string().optional() });

const completeSchema = z.object({
  files: z.unknown().optional(),
  channel_id: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
  channels: z.string().optional(),
  thread_ts: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
  initial_comment: z.string().optional(),
  blocks: z.unknown().optional(),
});

/** The `files` argument: a JSON array (a string in a form body) of { id, title? }. */
function fileRefs(value: unknown): { id: string; title?: string | undefined }[] {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      refuse('invalid_arguments', ['failed to parse files as JSON [json-pointer:/files]']);
    }
  }
  if (parsed === undefined) refuse('invalid_arguments', ['missing required field: files [json-pointer:/files]']);
  const refs = z.array(fileRef).min(1).safeParse(parsed);
  if (!refs.success) refuse('invalid_arguments', ['must be an array of objects with an id [json-pointer:/files]']);
  return refs.data;
}

/** What a file is, as Slack types it: mimetype, filetype and pretty_type. */
export interface FileKind {
  mimetype: string;
  filetype: string;
  pretty_type: string;
}

const KINDS = {
  png: { mimetype: 'image/png', filetype: 'png', pretty_type: 'PNG' },
  jpg: { mimetype: 'image/jpeg', filetype: 'jpg', pretty_type: 'JPEG' },
  gif: { mimetype: 'image/gif', filetype: 'gif', pretty_type: 'GIF' },
  text: { mimetype: 'text/plain', filetype: 'text', pretty_type: 'Plain Text' },
  binary: { mimetype: 'application/octet-stream', filetype: 'binary', pretty_type: 'Binary' },
} as const satisfies Record<string, FileKind>;

/** The bytes' own signature first (a PNG named chart.bin is still a PNG), else the file name's extension. */
export function fileKind(name: string, content: Buffer | null): FileKind {
  const head = content?.subarray(0, 8) ?? Buffer.alloc(0);
  if (head.equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return KINDS.png;
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return KINDS.jpg;
  if (head.subarray(0, 4).toString('latin1') === 'GIF8') return KINDS.gif;
  if (/\.png$/i.test(name)) return KINDS.png;
  if (/\.jpe?g$/i.test(name)) return KINDS.jpg;
  if (/\.gif$/i.test(name)) return KINDS.gif;
  if (/\.(txt|log|md|csv)$/i.test(name)) return KINDS.text;
  return KINDS.binary;
}

/** A shared file's bytes, name and type, for serving them; null for an id never issued, without bytes yet, or not shared. */
export function fileContent(ws: Workspace, id: string): { name: string; kind: FileKind; content: Buffer } | null {
  const file = storeOf(ws).files.get(id);
  // Only a shared file is served, as a page would only ever link one from a message.
  if (!file || file.content === null || file.shares.length === 0) return null;
  return { name: file.name, kind: fileKind(file.name, file.content), content: file.content };
}

/** Where a file's bytes are served by the stand-in (its url_private): `/files/<id>/<name>`. */
export const FILE_PATH = /^\/files\/(F[A-Z0-9]{1,32})(?:\/[^/]{0,512})?$/;

/** A file object as Slack shows one in a message and in this method's answer. */
function fileObject(ws: Workspace, file: StandInFile): Record<string, unknown> {
  const size = file.content?.length ?? 0;
  const kind = fileKind(file.name, file.content);
  const text = kind === KINDS.text;
  return {
    id: file.id,
    created: file.created,
    timestamp: file.created,
    name: file.name,
    title: file.title,
    ...kind,
    user: ws.bot.userId,
    editable: text,
    size,
    mode: text ? 'snippet' : 'hosted',
    is_external: false,
    is_public: file.shares.length > 0,
    ...(file.altText ? { alt_txt: file.altText } : {}),
    url_private: `${storeOf(ws).baseUrl}/files/${file.id}/${encodeURIComponent(file.name)}`,
  };
}

/**
 * files.completeUploadExternal: every id must be one the workspace issued whose bytes came and
 * that was not completed before (file_not_found otherwise: "Could not find the file from the
 * upload ticket"); channel_id must look like a conversation id (invalid_arguments, with Slack's
 * pattern), name a channel (channel_not_found) the bot is in (not_in_channel); thread_ts must be
 * a parent message there. With a channel, the files are shared as one message, text the
 * initial_comment; without, they stay private.
 */
export const completeUploadExternal: MethodHandler = (ws, raw) => {
  const args = parseArgs(completeSchema, raw);
  const refs = fileRefs(args.files);
  const store = storeOf(ws);
  const files = refs.map((ref) => {
    const file = store.files.get(ref.id);
    if (!file || file.completed || file.content === null) refuse('file_not_found');
    return { file, title: ref.title };
  });
  const channelArg = args.channel_id ?? (args.channels?.includes(',') ? undefined : args.channels);
  if (args.channels?.includes(',') && args.thread_ts !== undefined) refuse('invalid_arguments', ['thread_ts takes exactly one channel [json-pointer:/channels]']);
  if (args.thread_ts !== undefined && channelArg === undefined) refuse('invalid_arguments', ['thread_ts needs channel_id [json-pointer:/thread_ts]']);
  let share: { channel: string; threadTs?: string } | undefined;
  if (channelArg !== undefined) {
    if (args.channel_id !== undefined && !/^[CGDZ][A-Z0-9]{8,}$/.test(args.channel_id)) {
      refuse('invalid_arguments', ['input must match regex pattern: ^[CGDZ][A-Z0-9]{8,}$ [json-pointer:/channel_id]']);
    }
    const channel = targetChannel(ws, channelArg);
    if (!channel.members.has(ws.bot.userId)) refuse('not_in_channel');
    if (args.thread_ts !== undefined) ws.chat.threadParent(channel.id, args.thread_ts);
    share = { channel: channel.id, ...(args.thread_ts !== undefined ? { threadTs: args.thread_ts } : {}) };
  }
  for (const { file, title } of files) {
    file.completed = true;
    if (title !== undefined && title.trim() !== '') file.title = title;
  }
  if (share) {
    const message = ws.chat.post({
      channel: share.channel,
      user: ws.bot.userId,
      bot: { botId: ws.bot.botId, appId: ws.bot.appId },
      text: args.initial_comment ?? '',
      files: files.map(({ file }) => fileObject(ws, file)),
      thread_ts: share.threadTs,
    });
    for (const { file } of files) file.shares.push({ channel: share.channel, ts: message.ts, ...(share.threadTs ? { threadTs: share.threadTs } : {}) });
  }
  return { ok: true, files: files.map(({ file }) => ({ id: file.id, title: file.title })) };
};

const infoSchema = z.object({ file: z.string().optional() });

/**
 * files.info: the file and where it is shared (`shares.public|private[channel] = [{ ts, thread_ts? }]`),
 * file_not_found for an id never issued. A file asked for but never completed is found, unshared.
 */
export const filesInfo: MethodHandler = (ws, raw) => {
  const args = parseArgs(infoSchema, raw);
  if (args.file === undefined || args.file === '') refuse('invalid_arguments', ['missing required field: file [json-pointer:/file]']);
  const file = storeOf(ws).files.get(args.file);
  if (!file) refuse('file_not_found');
  const shares: Record<string, { ts: string; thread_ts?: string }[]> = {};
  for (const s of file.shares) (shares[s.channel] ??= []).push({ ts: s.ts, ...(s.threadTs ? { thread_ts: s.threadTs } : {}) });
  return { ok: true, file: { ...fileObject(ws, file), shares: file.shares.length > 0 ? { public: shares } : {} } };
};

