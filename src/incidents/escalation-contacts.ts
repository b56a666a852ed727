import type { Config } from '../config.js';
import type { TimerKind } from '../db/state/state-records.js';
import type { RotationSource } from '../oncall/rotation-source.js';
import type { EscalationTarget } from './severity-matrix.js';

/** Where each escalation contact is configured, and the reminder an escalation by hand settles. */
export const ESCALATION_CONTACTS: Readonly<Record<EscalationTarget, { configKey: string; timer?: TimerKind }>> = {
  techlead: { configKey: 'escalation.techLead', timer: 'escalate-tech-lead' },
  cto: { configKey: 'escalation.cto', timer: 'escalate-cto' },
  secondary: { configKey: 'rotation.secondary' },
  db: { configKey: 'escalation.dbExpert' },
  security: { configKey: 'escalation.security' },
};

/** The Slack user ID of a contact, or null when none is configured. */
export async function escalationContact(deps: { config: Pick<Config, 'escalation'>; rotation: RotationSource }, target: EscalationTarget, now: Date): Promise<string | null> {
  const e = deps.config.escalation;
  switch (target) {
    case 'techlead':
      return e.techLead ?? null;
    case 'cto':
      return e.cto ?? null;
    case 'db':
      return e.dbExpert ?? null;
    case 'security':
      return e.security ?? null;
    case 'secondary':
      return (await deps.rotation.at(now))?.secondary ?? null;
  }
}

type PagedContact = NonNullable<NonNullable<Config['escalation']['pagerduty']>['techLead']>;

/** Whom an escalation to `target` pages in PagerDuty (escalation.pagerduty), or null when it pages nobody there. */
export function pagerdutyContactOf(config: Pick<Config, 'escalation'>, target: EscalationTarget): { serviceId: string; contact: PagedContact } | null {
  const paging = config.escalation.pagerduty;
  const contact = target === 'techlead' ? paging?.techLead : target === 'cto' ? paging?.cto : undefined;
  return paging && contact ? { serviceId: paging.service, contact } : null;
}
