/**
 * Splits the text after `/atlas` into words, roughly as a shell would, for node's parseArgs:
 *
 * - Double, single and Slack's curly quotes group words: `runbook "provider outage"`.
 * - A quote may open at the start of a word or right after the `=` of `--flag=`, so
 *   `--summary="db is down"` is the one word `--summary=db is down` (parseArgs reads
 *   `--summary=value`).
 * - A quote closes only where the same quote is followed by a space or the end of the text, so
 *   an apostrophe inside a quoted value (`--summary='it's down'`) and quotes inside words
 *   (`can't`, `5"`) stay as they are.
 * - A quote that never closes runs to the end of the text, or up to the next word that starts
 *   with `--` (the user forgot the closing quote, not the following flag).
 * - An em or en dash at the start of a word is read as `--`, because phones and macOS turn `--`
 *   into a dash; a dash standing alone is left as it is.
 */
export function tokenize(text: string): string[] {
  const normalized = text
    .replace(/[\u201C\u201D\u201E\u201F]/g, '"')
    .replace(/[\u2018\u2019\u201A\u201B]/g, "'")
    .replace(/\u00A0/g, ' ');
  const words: string[] = [];
  let pos = 0;
  while (pos < normalized.length) {
    if (/\s/.test(normalized[pos]!)) {
      pos++;
      continue;
    }
    let word = '';
    // A lone dash is punctuation ("db down — again"), not an end-of-options `--`.
    if (/[\u2014\u2013]/.test(normalized[pos]!) && /\S/.test(normalized[pos + 1] ?? ' ')) {
      word = '--';
      pos++;
    }
    while (pos < normalized.length && !/\s/.test(normalized[pos]!)) {
      const ch = normalized[pos]!;
      if ((ch === '"' || ch === "'") && opensQuote(word)) {
        const { value, end } = quoted(normalized, pos);
        word += value;
        pos = end;
        break;
      }
      word += ch;
      pos++;
    }
    words.push(word);
  }
  return words;
}

/** A quote opens a group at the start of a word, or right after `--flag=`. */
function opensQuote(wordSoFar: string): boolean {
  return wordSoFar === '' || /^-{1,2}[^=\s]+=$/.test(wordSoFar);
}

/** The quoted value starting at `open` (a quote) and the position after it. */
function quoted(text: string, open: number): { value: string; end: number } {
  const quote = text[open]!;
  for (let i = text.indexOf(quote, open + 1); i !== -1; i = text.indexOf(quote, i + 1)) {
    if (i + 1 === text.length || /\s/.test(text[i + 1]!)) return { value: text.slice(open + 1, i), end: i + 1 };
  }
  // Unclosed: up to the next --flag (or dash-flag), else to the end.
  const rest = text.slice(open + 1);
  const flag = /\s(?:--|[\u2014\u2013])\S/.exec(rest);
  const stop = flag ? flag.index : rest.length;
  return { value: rest.slice(0, stop).trimEnd(), end: open + 1 + stop };
}
