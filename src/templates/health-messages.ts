/**
 * The on-call engineer's health and the debrief: the relief suggestion after night pages (a DM
 * to the primary and one to the secondary), the debrief offer with a suggested time (a DM to each
 * responder) and the checklist item ticked in the incident's thread.
 */
import type { Incident } from '../db/state/state-records.js';
import type { DomainEvent } from '../incidents/domain-events.js';
import { wallClock } from '../oncall/zoned-time.js';
import { safeMrkdwn, type SlackMessage } from './block-kit.js';
import { INCIDENT_DEBRIEF_DONE_ACTION } from './incident-buttons.js';
import { button, context, fallback, section } from './message-parts.js';
import { mention } from './people.js';

/** The checklist item, as the guide words it. */
export const DEBRIEF_ITEM = 'Schedule debrief meeting (within 48h)';

/** "Tue 1 Dec 10:00 Asia/Kolkata": a wall-clock time in a zone. */
export function zonedText(at: Date, timezone: string): string {
  const wall = wallClock(at, timezone);
  const day = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, weekday: 'short', day: 'numeric', month: 'short' }).format(at);
  return `${day} ${wall.time} ${timezone}`;
}

/** "the nights of 24 and 26 Nov": each night named by its local date. */
function nightsText(nights: readonly string[]): string {
  const names = nights.map((d) => new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' }).format(new Date(`${d}T12:00:00Z`)));
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`;
}

type Relief = Extract<DomainEvent, { type: 'relief-suggested' }>;

function zoneNote(r: Relief): string {
  return r.zoneFrom === 'slack' ? `Nights counted 00:00–06:00 in ${r.timezone} (your Slack time zone).` : `Nights counted 00:00–06:00 in ${r.timezone}, the rotation's zone: Slack did not give a time zone.`;
}

/** To the primary: paged on N nights of this shift, ask for relief. */
export function reliefToPrimaryMessage(r: Relief): SlackMessage {
  const who = r.secondary ? `${mention(r.secondary)} (secondary on-call) has been told` : 'no secondary on-call is known: ask the tech lead';
  const head = `🌙 You were paged on ${r.nights.length} nights of this shift (${nightsText(r.nights)}). The on-call guide says ask for relief: hand the rest of the shift to someone rested with \`/atlas oncall cover @someone --role primary --until <end of shift>\`. ${who}.`;
  return { text: fallback(`🌙 Paged on ${r.nights.length} nights this shift: ask for relief`), blocks: [section(head), context(zoneNote(r))] };
}

/** To the secondary: the primary has had N nights paged; be ready to take over. */
export function reliefToSecondaryMessage(r: Relief): SlackMessage {
  const head = `🌙 ${mention(r.primary)} (primary on-call) was paged on ${r.nights.length} nights of this shift (${nightsText(r.nights)}) and was suggested to ask for relief. Be ready to take over: they (or a remediator) hand it to you with \`/atlas oncall cover @you --role primary --until <end of shift>\`.`;
  return { text: fallback(`🌙 The primary was paged on ${r.nights.length} nights this shift`), blocks: [section(head), context(`Nights counted 00:00–06:00 in ${r.timezone}.`)] };
}

/** To each responder when the incident is resolved: a debrief time to propose, and Debrief scheduled. */
export function debriefOfferMessage(incident: Incident, suggestedAt: Date, timezone: string): SlackMessage {
  const when = zonedText(suggestedAt, timezone);
  const head = `🗓️ ${incident.id} (${incident.severity} · ${safeMrkdwn(incident.title, 120)}) needs its debrief meeting. Suggested: *${when}* (<!date^${Math.floor(suggestedAt.getTime() / 1000)}^{date_short_pretty} {time}|${suggestedAt.toISOString()}> your time).`;
  return {
    text: fallback(`🗓️ Debrief for ${incident.id}: suggested ${when}`),
    blocks: [
      section(head),
      { type: 'actions', elements: [button(INCIDENT_DEBRIEF_DONE_ACTION, 'Debrief scheduled', incident.id, 'primary')] },
      context(`Press when the meeting is in the calendar: the checklist item "${DEBRIEF_ITEM}" is ticked in the incident's thread.`),
    ],
  };
}

/** In the incident's thread: the checklist item done. */
export function debriefScheduledMessage(incident: Incident, actor: string): SlackMessage {
  return { text: fallback(`✅ ${incident.id}: ${DEBRIEF_ITEM}`), blocks: [section(`✅ ${DEBRIEF_ITEM}: marked done by ${mention(actor)}`)] };
}
