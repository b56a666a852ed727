import { SLACK_LIMITS } from './slack-limits.js';
import { problemAt } from './slack-refusal.js';

export type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Collects Block Kit problems in Slack's wording where Slack's wording is known from its
 * answers ("must be less than 3001 characters", "must be more than 0 characters",
 * "no more than 50 items allowed", "must provide at least 1 items", "unsupported type: x",
 * "must be a valid enum value"); the rest are the stand-in's own plain sentences.
 */
export class Problems {
  readonly list: string[] = [];

  add(pointer: string, what: string): void {
    this.list.push(problemAt(pointer, what));
  }

  /** A string no longer than `max` (and, unless `allowEmpty`, not empty). False when it is not. */
  text(pointer: string, value: unknown, max: number, allowEmpty = false): boolean {
    if (typeof value !== 'string') {
      this.add(pointer, 'must be a string');
      return false;
    }
    if (!allowEmpty && value.length === 0) {
      this.add(pointer, 'must be more than 0 characters');
      return false;
    }
    if (value.length > max) {
      this.add(pointer, `must be less than ${max + 1} characters`);
      return false;
    }
    return true;
  }

  /** An optional string field of `obj`, when present. */
  optionalText(pointer: string, obj: Json, key: string, max: number): void {
    if (obj[key] !== undefined) this.text(`${pointer}/${key}`, obj[key], max, true);
  }

  /** An array with between `min` and `max` items; returns it, or null when it is not an array. */
  array(pointer: string, value: unknown, min: number, max: number): unknown[] | null {
    if (!Array.isArray(value)) {
      this.add(pointer, 'must be an array');
      return null;
    }
    if (value.length < min) this.add(pointer, `must provide at least ${min} items`);
    if (value.length > max) this.add(pointer, `no more than ${max} items allowed`);
    return value;
  }

  missing(pointer: string, field: string): void {
    this.add(pointer, `missing required field: ${field}`);
  }

  enumValue(pointer: string, value: unknown, allowed: readonly string[]): boolean {
    if (typeof value === 'string' && allowed.includes(value)) return true;
    this.add(pointer, 'must be a valid enum value');
    return false;
  }

  /**
   * A text composition object: { type: plain_text | mrkdwn, text }.
   * https://api.slack.com/reference/block-kit/composition-objects#text
   */
  textObject(pointer: string, value: unknown, max: number = SLACK_LIMITS.textObject.text, plainOnly = false): void {
    if (!isRecord(value)) {
      this.add(pointer, 'must be a text object');
      return;
    }
    this.enumValue(`${pointer}/type`, value.type, plainOnly ? ['plain_text'] : ['plain_text', 'mrkdwn']);
    if (value.text === undefined) this.missing(pointer, 'text');
    else this.text(`${pointer}/text`, value.text, max);
  }

  /** A required text object field `key` of `obj`. */
  requiredTextObject(pointer: string, obj: Json, key: string, max: number, plainOnly = false): void {
    if (obj[key] === undefined) this.missing(pointer, key);
    else this.textObject(`${pointer}/${key}`, obj[key], max, plainOnly);
  }

  optionalTextObject(pointer: string, obj: Json, key: string, max: number, plainOnly = false): void {
    if (obj[key] !== undefined) this.textObject(`${pointer}/${key}`, obj[key], max, plainOnly);
  }
}
