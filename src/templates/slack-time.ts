import { formatDuration } from '../time/atlas-time.js';

/** "14:05 UTC" */
export function hhmm(at: string | Date): string {
  return `${new Date(at).toISOString().slice(11, 16)} UTC`;
}

/** "2026-11-26 14:05 UTC" */
export function dayTime(at: string | Date): string {
  const s = new Date(at).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 16)} UTC`;
}

/** "3 min" since `at`. */
export function since(at: string | Date, now: Date): string {
  return formatDuration(now.getTime() - new Date(at).getTime());
}

/** A Slack date token that shows in each reader's own time zone, with a UTC fallback. */
export function slackDate(at: string | Date): string {
  const d = new Date(at);
  return `<!date^${Math.floor(d.getTime() / 1000)}^{time}|${hhmm(d)}>`;
}
