/** No identifier (job id, UUID, CID, merkle root) is longer: a cut backs off to a space at most this far. */
export const WORD_MAX = 120;

/**
 * Plain text cut to at most `max` characters with "…", between words when a space is near the
 * end, so an id, a name or a CID is dropped whole instead of being cut in two. Never splits a
 * surrogate pair.
 */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  if (!/\s/.test(text[cut.length] ?? ' ')) {
    const space = /\s\S*$/.exec(cut);
    if (space && space.index > 0 && space.index >= cut.length - WORD_MAX) cut = cut.slice(0, space.index);
  }
  cut = cut.trimEnd();
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}
