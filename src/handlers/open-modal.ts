import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { CommandDeps } from '../commands/command-spec.js';
import { findIncident } from '../incidents/find-incident.js';
import { modalFor } from '../templates/incident-modals.js';
import type { ModalRequest } from '../templates/report.js';

/**
 * Opens the form a command asked for with the click's trigger_id (valid 3 s); false (logged)
 * when Slack refuses or the incident is gone. `channel` travels in the form, for who may submit it.
 */
export async function openModal(
  deps: CommandDeps,
  logger: Logger,
  client: webApi.WebClient,
  triggerId: string,
  request: ModalRequest,
  channel: string | undefined,
): Promise<boolean> {
  try {
    const incident = await findIncident(deps.state, request.incidentId);
    await client.views.open({ trigger_id: triggerId, view: modalFor(request, incident, channel) });
    return true;
  } catch (err) {
    logger.warn({ err, kind: request.kind, incidentId: request.incidentId }, 'could not open a form');
    return false;
  }
}
