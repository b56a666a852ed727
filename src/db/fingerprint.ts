import { createHash } from 'node:crypto';

/** The fingerprint of what a plan read: rows, file stats, anything JSON can hold (keys sorted). */
export function fingerprintOf(...read: unknown[]): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object' && !(v instanceof Date)) {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
      );
    }
    if (typeof v === 'bigint') return v.toString();
    return v;
  };
  return createHash('sha256').update(JSON.stringify(canonical(read))).digest('hex');
}
