/**
 * Splits the text after `/atlas` into words. Double, single and Slack's curly quotes group
 * words; an em or en dash at the start of a word is read as `--`, because phones and macOS
 * turn `--` into a dash.
 */
export function tokenize(text: string): string[] {
  const normalized = text
    .replace(/[\u201C\u201D\u201E]/g, '"')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/\u00A0/g, ' ');
  const words: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const match of normalized.matchAll(pattern)) {
    const word = match[1] ?? match[2] ?? match[3] ?? '';
    words.push(match[3] !== undefined ? word.replace(/^[\u2014\u2013]/, '--') : word);
  }
  return words;
}
