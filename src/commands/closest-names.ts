/** Edit distance (insertions, deletions, substitutions, and a swap of two neighbours counts one). */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The subcommand names closest to what was typed, best first (at most `max`): a typo away
 * (`helth`, `oncal`), the start of a name (`snap`), or a word inside one (`rollback`). When none
 * is that close: nothing, or with `orNearest` the `max` nearest by edit distance (`help nosuch`
 * always names some to try; a mistyped command is not answered with far-fetched guesses).
 */
export function closestNames(typed: string, names: readonly string[], { max = 3, orNearest = false } = {}): string[] {
  const word = typed.trim().toLowerCase();
  if (word.length === 0) return [];
  const allowed = Math.max(1, Math.floor(word.length / 3));
  const scored: { name: string; score: number }[] = [];
  for (const name of names) {
    const words = name.split(' ');
    const distance = Math.min(editDistance(word, name), ...words.map((w) => editDistance(word, w)));
    if (distance <= allowed) scored.push({ name, score: distance });
    else if (word.length >= 2 && name.startsWith(word)) scored.push({ name, score: allowed + 1 });
    else if (word.length >= 3 && words.some((w) => w.includes(word))) scored.push({ name, score: allowed + 2 });
  }
  if (scored.length === 0 && orNearest) {
    for (const name of names) scored.push({ name, score: Math.min(editDistance(word, name), ...name.split(' ').map((w) => editDistance(word, w))) });
  }
  return scored
    .sort((x, y) => x.score - y.score || x.name.length - y.name.length || x.name.localeCompare(y.name))
    .slice(0, max)
    .map((s) => s.name);
}
