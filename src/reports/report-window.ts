/**
 * The reliability report's window and zone: a week by default, up to 90 days (the bot keeps pages,
 * alert firings and incident timelines at least that long: retention.timelineDays is 365 by
 * default), read in the rotation's time zone.
 */
import type { Config } from '../config.js';

export const DAY_MS = 24 * 60 * 60_000;
export const DEFAULT_REPORT_WINDOW = '7d';
export const MIN_REPORT_WINDOW_MS = DAY_MS;
export const MAX_REPORT_WINDOW_MS = 90 * DAY_MS;

/** The configured time zone: nights and days of the report are read in it, and the weekly cron too. */
export const reportTimezone = (config: Pick<Config, 'rotation'>): string => config.rotation?.timezone ?? 'UTC';
