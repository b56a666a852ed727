/**
 * A password written into a URL (`postgresql://atlas:s3cret@db/atlas`) hidden, wherever the URL
 * stands in the text (`--to=postgresql://…`): for what is recorded or shown of typed input.
 * Errs towards hiding: everything from `user:` to the word's last `@` goes (a password may hold an
 * unescaped `@`).
 */
export function withoutUrlPasswords(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):\S*@/gi, '$1:***@');
}
