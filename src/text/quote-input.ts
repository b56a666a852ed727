/** Quotes user text for a message, short and on one line. */
export function quoteInput(text: string, max = 40): string {
  const flat = text.replace(/\s+/g, ' ').replace(/`/g, "'");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
