/** A refusal whose message is what the person reads: an incident that does not exist, an action that does not apply. */
export class IncidentError extends Error {
  override name = 'IncidentError';
}

/** A refusal about one input, so a form can show it next to the right field. */
export class IncidentInputError extends IncidentError {
  override name = 'IncidentInputError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Someone acknowledged the alert first; the answer names who, when and as which incident. */
export class AlreadyAcknowledgedError extends IncidentError {
  override name = 'AlreadyAcknowledgedError';
  constructor(
    readonly alertName: string,
    readonly incidentId: string | null,
    readonly by: string | null,
    readonly at: string | null,
    readonly resolved: boolean,
  ) {
    super(`${alertName} is already acknowledged${incidentId ? ` as ${incidentId}` : ''}${resolved ? ', since resolved' : ''}.`);
  }
}

/** The incident already has that owner. */
export class AlreadyOwnerError extends IncidentError {
  override name = 'AlreadyOwnerError';
  constructor(
    readonly incidentId: string,
    readonly ownerId: string,
  ) {
    super(`${ownerId} already owns ${incidentId}.`);
  }
}
