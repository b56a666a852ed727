/**
 * The shapes of the identifiers the bot reads from outside, once: Slack's user, channel and user
 * group IDs, and the bot's own incident ids (INC-YYYYMMDD-N).
 */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;
export const SLACK_CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
export const SLACK_USERGROUP_ID = /^S[A-Z0-9]{2,}$/;
/** Case-insensitive: people type inc-20261126-1 too. */
export const INCIDENT_ID = /^INC-(\d{8})-(\d{1,4})$/i;

/** The canonical form of an incident id as typed ("inc-20261126-01" → "INC-20261126-1"), or null. */
export function canonicalIncidentId(text: string): string | null {
  const m = INCIDENT_ID.exec(text.trim());
  return m ? `INC-${m[1]}-${Number(m[2])}` : null;
}

export function isSlackUserId(text: string): boolean {
  return SLACK_USER_ID.test(text);
}
