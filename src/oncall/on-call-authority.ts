import type { OnCallAt, Override, ShiftPair } from './rotation-source.js';

/**
 * Whether an override changes who counts as on call for the permission tiers. Being put on call
 * must never be a way into a tier: only an override planned in the config or set by someone who
 * holds the remediate tier (or in the terminal) counts. One a responder set for their own shift,
 * or one set before that was recorded, still decides who is paged and named in the handoff, but
 * not who may act.
 */
export function overrideGrantsTiers(o: Override): boolean {
  return o.authority === 'config' || o.authority === 'remediator';
}

/**
 * Who is on call at one instant for the permission tiers: the rotation's (or PagerDuty's)
 * schedule, with only the overrides that grant tiers applied. Null when nobody is on call.
 */
export function onCallForTiers(at: OnCallAt | null): ShiftPair | null {
  if (!at) return null;
  const { primary, secondary } = at.covering;
  return {
    primary: primary && overrideGrantsTiers(primary) ? primary.user : at.bySchedule.primary,
    secondary: secondary && overrideGrantsTiers(secondary) ? secondary.user : at.bySchedule.secondary,
  };
}
