/**
 * IPFS CIDs as `snapshot set-cid` and `snapshot upload` take them: parsed and validated with
 * `multiformats` (the maintained IPFS library), CIDv0 (`Qm…`) and CIDv1 in any multibase it
 * knows (`bafy…` base32, `k…` base36, `z…` base58btc, …).
 */
import { bases, CID } from 'multiformats/basics';
import type { MultibaseDecoder } from 'multiformats/bases/interface';

/** Longer than any real CID: a bound on what is parsed at all. */
const MAX_CID_CHARS = 200;

/** Multicodecs of content a gateway serves; anything else (an IPNS key, a git object) is not a snapshot's CID. */
const CONTENT_CODECS = new Map<number, string>([
  [0x70, 'dag-pb'],
  [0x55, 'raw'],
  [0x71, 'dag-cbor'],
  [0x0129, 'dag-json'],
  [0x0200, 'json'],
]);
const LIBP2P_KEY = 0x72;

/** Every multibase `multiformats` ships, by its prefix (`b` base32, `k` base36, `z` base58btc, …). */
const BASES = new Map<string, { decoder: MultibaseDecoder<string> }>(Object.values(bases).map((b) => [b.prefix, b]));

export interface ParsedCid {
  /** The canonical text: CIDv0 in base58btc (`Qm…`), CIDv1 in base32 (`bafy…`), as IPFS prints them. */
  text: string;
  version: 0 | 1;
  /**
   * The same content address whatever the text form: v1 base32 of the CID (a v0 as its dag-pb
   * v1), so `Qm…` and its `bafybei…` count as one CID when uniqueness is checked.
   */
  key: string;
}

/** The CID in `text`, or why it is not one (a phrase, no final period). */
export function parseCid(text: string): { ok: true; cid: ParsedCid } | { ok: false; reason: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, reason: 'it is empty' };
  if (trimmed.length > MAX_CID_CHARS) return { ok: false, reason: `it is ${trimmed.length} characters, longer than any CID` };
  // A CIDv0 is base58btc without a multibase prefix (`Qm…`); CID.parse reads those itself.
  const base = trimmed.startsWith('Q') ? undefined : BASES.get(String.fromCodePoint(trimmed.codePointAt(0)!));
  if (!trimmed.startsWith('Q') && !base) return { ok: false, reason: `"${trimmed.slice(0, 1)}" is no multibase prefix` };
  let cid: CID;
  try {
    cid = base ? CID.parse(trimmed, base.decoder) : CID.parse(trimmed);
  } catch (err) {
    return { ok: false, reason: shortReason(err) };
  }
  if (cid.version !== 0 && cid.version !== 1) return { ok: false, reason: `it is a CIDv${String(cid.version)}` };
  const codec = CONTENT_CODECS.get(cid.code);
  if (codec === undefined) {
    return { ok: false, reason: `its codec 0x${cid.code.toString(16)} is not content (${cid.code === LIBP2P_KEY ? 'an IPNS name, not a snapshot' : 'expected dag-pb, raw, dag-cbor or dag-json'})` };
  }
  return {
    ok: true,
    cid: { text: cid.toString(), version: cid.version, key: cid.toV1().toString() },
  };
}

/** The key of a stored value, or null when it is no CID (an empty string, a placeholder). */
export function cidKey(stored: string): string | null {
  const parsed = parseCid(stored);
  return parsed.ok ? parsed.cid.key : null;
}

function shortReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const first = message.split('\n')[0]!.replace(/\.$/, '');
  return first.length > 120 ? `${first.slice(0, 119)}…` : first;
}
