/**
 * The guide's night, for the on-call engineer's self-care rule and for every count of night
 * pages (`oncall load`, the relief suggestion, the reliability report): from 00:00 to before
 * 06:00 local time. One definition, so no two views disagree about what a night page is.
 */
import { wallClock } from './zoned-time.js';

/** A page before this local hour (from 00:00) is a night page. */
export const NIGHT_END_HOUR = 6;

/** Whether an instant is between 00:00 and 06:00 in a zone. */
export const isNightPage = (at: Date | string, timezone: string): boolean => Number(wallClock(new Date(at), timezone).time.slice(0, 2)) < NIGHT_END_HOUR;
