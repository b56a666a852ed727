/**
 * The incident commands' inputs, validated once: who acts, free text, titles, severities, ETAs
 * and incident references. A bad input throws IncidentInputError naming the field.
 */
import { z } from 'zod';
import { parseDuration } from '../time/atlas-time.js';
import { IncidentInputError } from './incident-errors.js';
import { SEVERITIES, type Severity } from './severity-matrix.js';

const MIN = 60_000;

/** Free text (notes, summaries, resolutions) longer than this is refused; shorter text is cut where it is shown. */
export const INCIDENT_TEXT_MAX = 5000;
/** Titles are kept to this length (cut, not refused): they head cards, lists and reviews. */
export const INCIDENT_TITLE_MAX = 150;

/** A Slack user ID, or the login name of a terminal user. Never markup. */
const actorSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._@-]+$/);

export function actorOf(actorId: string): string {
  const parsed = actorSchema.safeParse(actorId);
  if (!parsed.success) throw new IncidentInputError('actor', 'That action needs a user: a Slack user ID such as U012ABC3DEF.');
  return parsed.data;
}

/** Trimmed free text; undefined when empty and optional; refused (naming the field) when too long. */
export function textOf(fieldName: string, label: string, value: unknown, opts: { required: true; max?: number }): string;
export function textOf(fieldName: string, label: string, value: unknown, opts?: { required?: false; max?: number }): string | undefined;
export function textOf(fieldName: string, label: string, value: unknown, opts: { required?: boolean; max?: number } = {}): string | undefined {
  const max = opts.max ?? INCIDENT_TEXT_MAX;
  const parsed = z.string().optional().nullable().safeParse(value);
  if (!parsed.success) throw new IncidentInputError(fieldName, `The ${label} must be text.`);
  const trimmed = (parsed.data ?? '').trim();
  if (trimmed === '') {
    if (opts.required) throw new IncidentInputError(fieldName, `The ${label} is empty; say it in a few words.`);
    return undefined;
  }
  if (trimmed.length > max) {
    throw new IncidentInputError(fieldName, `The ${label} is ${trimmed.length.toLocaleString('en-US')} characters; at most ${max.toLocaleString('en-US')}.`);
  }
  return trimmed;
}

/** One line, at most INCIDENT_TITLE_MAX characters (cut with an ellipsis). */
export function titleOf(raw: string): string {
  const flat = raw.replace(/\s+/g, ' ').trim();
  return flat.length > INCIDENT_TITLE_MAX ? `${flat.slice(0, INCIDENT_TITLE_MAX - 1).replace(/[\uD800-\uDBFF]$/, '')}…` : flat;
}

export function severityOf(value: unknown): Severity {
  const s = typeof value === 'string' ? value.trim().toUpperCase() : '';
  const found = SEVERITIES.find((x) => x === s);
  if (!found) throw new IncidentInputError('severity', `Severity is one of ${SEVERITIES.join(', ')}${s ? ` (got "${s.slice(0, 10)}")` : ''}.`);
  return found;
}

const ETA_MAX_MS = 7 * 86_400_000;

/**
 * When the next update comes, as people type it: "30 min", "2 h", "1h30m", "in 45 minutes",
 * or a UTC time of day "14:30" (the next one to come). Null when it is not a time or is more
 * than a week away.
 */
export function parseEta(textValue: string, now: Date): Date | null {
  const t = textValue
    .trim()
    .toLowerCase()
    .replace(/^in\s+/, '')
    .replace(/\s*(utc|z)$/, '');
  let at: Date | null = null;
  const clock = /^(\d{1,2}):(\d{2})$/.exec(t);
  if (clock) {
    const h = Number(clock[1]);
    const m = Number(clock[2]);
    if (h > 23 || m > 59) return null;
    at = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), h, m));
    if (at <= now) at = new Date(at.getTime() + 86_400_000);
  } else {
    const words = /^(\d+(?:\.\d+)?)\s*(m|min|mins|minutes?|h|hr|hrs|hours?|d|days?)$/.exec(t);
    if (words) {
      const n = Number(words[1]);
      const unit = words[2]!.startsWith('m') ? MIN : words[2]!.startsWith('h') ? 60 * MIN : 1440 * MIN;
      at = new Date(now.getTime() + Math.round(n * unit));
    } else {
      const ms = parseDuration(t.replace(/\s+/g, ''));
      if (ms !== null) at = new Date(now.getTime() + ms);
    }
  }
  if (!at || at <= now || at.getTime() - now.getTime() > ETA_MAX_MS) return null;
  return at;
}

export function etaOf(value: string, now: Date): Date {
  const at = parseEta(value, now);
  if (!at) {
    throw new IncidentInputError(
      'eta',
      `"${value.slice(0, 30)}" is not a time for the next update: give minutes ("30 min"), hours ("2 h") or a UTC time ("14:30"), within a week.`,
    );
  }
  return at;
}

/** An incident reference as given: an id, or empty for "the only open one". */
export function refOf(ref: unknown): string | undefined {
  const parsed = z.string().max(60).optional().nullable().safeParse(ref);
  if (!parsed.success) throw new IncidentInputError('incident', 'That is not an incident id; they look like INC-20261126-1.');
  return parsed.data?.trim() || undefined;
}

