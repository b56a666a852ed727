import type { types } from '@slack/bolt';
import { z } from 'zod';
import { INCIDENT_ID, SLACK_CHANNEL_ID } from '../ids.js';
import { INCIDENT_STATUSES, type Incident, type IncidentStatus } from '../db/state/state-records.js';
import { ESCALATION_TARGETS, ESCALATION_TARGET_TEXT, SEVERITY_POLICIES, type EscalationTarget, type Severity } from '../incidents/severity-matrix.js';
import { formatDuration } from '../time/atlas-time.js';
import { safeMrkdwn } from './block-kit.js';
import type { ModalRequest } from './report.js';

type KnownBlock = types.KnownBlock;
type ModalView = types.ModalView;

/** callback_id of each modal; the view handlers listen for these. */
export const MODAL_CALLBACK = {
  'ack-details': 'atlas_ack_details',
  update: 'atlas_update',
  escalate: 'atlas_escalate',
  resolve: 'atlas_resolve',
  sev: 'atlas_severity',
} as const satisfies Record<ModalRequest['kind'], string>;

/** Every input's action_id; the block_id names the field. */
export const INPUT_ACTION = 'value';

/** Longest answer each field takes (Slack enforces max_length; the handler checks again). */
export const FIELD_MAX = {
  impact: 500,
  eta: 40,
  summary: 1500,
  completed: 1000,
  in_progress: 1000,
  blocked: 1000,
  next_steps: 1000,
  need: 1000,
  why: 1000,
  resolution: 2000,
} as const;

export type FieldName = keyof typeof FIELD_MAX;

const choiceText = (t: EscalationTarget) => (t === 'security' ? 'security' : `the ${ESCALATION_TARGET_TEXT[t]}`);
const TARGETS = ESCALATION_TARGETS as [EscalationTarget, ...EscalationTarget[]];

const OPEN_STATUSES = INCIDENT_STATUSES.filter((s) => s !== 'resolved');

/** The severities `sev` takes (the matrix's P3 is for alerts the bot only lists). */
export const FORM_SEVERITIES = ['P0', 'P1', 'P2'] as const satisfies readonly Severity[];

/**
 * What a modal carries between opening and submission (private_metadata, at most 3000
 * characters): the incident, the escalation target, and the channel it was opened from (a
 * submission has none of its own, and the channel is part of who may act).
 */
export const modalMetadataSchema = z.object({
  incidentId: z.string().regex(INCIDENT_ID),
  target: z.enum(TARGETS).optional(),
  channel: z.string().regex(SLACK_CHANNEL_ID).optional(),
});
export type ModalMetadata = z.infer<typeof modalMetadataSchema>;

const plain = (text: string): types.PlainTextElement => ({ type: 'plain_text', text });

function header(incident: Incident): KnownBlock {
  return {
    type: 'context',
    elements: [{ type: 'mrkdwn', verbatim: true, text: `*${incident.id} · ${incident.severity} · ${safeMrkdwn(incident.title, 200)}*` }],
  };
}

function textInput(
  field: FieldName,
  label: string,
  opts: { optional?: boolean; multiline?: boolean; hint?: string; placeholder?: string; initial?: string | null } = {},
): KnownBlock {
  const element: types.PlainTextInput = {
    type: 'plain_text_input',
    action_id: INPUT_ACTION,
    max_length: FIELD_MAX[field],
    multiline: opts.multiline ?? false,
    ...(opts.placeholder ? { placeholder: plain(opts.placeholder) } : {}),
    ...(opts.initial ? { initial_value: opts.initial.slice(0, FIELD_MAX[field]) } : {}),
  };
  return {
    type: 'input',
    block_id: field,
    optional: opts.optional ?? false,
    label: plain(label),
    element,
    ...(opts.hint ? { hint: plain(opts.hint) } : {}),
  };
}

function option(value: string, text: string): types.PlainTextOption {
  return { value, text: plain(text) };
}

function modal(kind: ModalRequest['kind'], title: string, submit: string, metadata: ModalMetadata, blocks: KnownBlock[]): ModalView {
  return {
    type: 'modal',
    callback_id: MODAL_CALLBACK[kind],
    title: plain(title),
    submit: plain(submit),
    close: plain('Cancel'),
    private_metadata: JSON.stringify(metadata),
    blocks,
  };
}

function cadence(incident: Incident): string {
  return formatDuration(SEVERITY_POLICIES[incident.severity].updateEveryMinutes.min * 60_000);
}

const etaHint = (incident: Incident) =>
  `Like "30 min" or "14:30" (UTC). Left empty: in ${cadence(incident)}, the ${incident.severity} update cadence.`;

/**
 * The modal that asks for an action's details: impact and ETA after an acknowledgement, a
 * status update, an escalation, a resolution. Titles fit Slack's 24 characters; every text
 * input has a max_length.
 */
export function modalFor(request: ModalRequest, incident: Incident, channel?: string): ModalView {
  const meta: ModalMetadata = { incidentId: incident.id, ...(channel ? { channel } : {}) };
  switch (request.kind) {
    case 'ack-details':
      return modal('ack-details', 'Impact and next update', 'Save', meta, [
        header(incident),
        textInput('impact', 'Impact', {
          optional: true,
          multiline: true,
          hint: 'Who or what is affected. Left empty: "being assessed".',
          initial: incident.impact,
        }),
        textInput('eta', 'Next update', { optional: true, hint: etaHint(incident), placeholder: cadence(incident) }),
      ]);
    case 'update': {
      const current: IncidentStatus = incident.status === 'resolved' ? 'monitoring' : incident.status;
      return modal('update', 'Status update', 'Post update', meta, [
        header(incident),
        textInput('summary', 'Summary', { multiline: true, hint: 'One or two sentences: where things stand now.' }),
        {
          type: 'input',
          block_id: 'status',
          label: plain('Status'),
          element: {
            type: 'static_select',
            action_id: INPUT_ACTION,
            options: OPEN_STATUSES.map((s) => option(s, s)),
            initial_option: option(current, current),
          },
        },
        textInput('completed', 'Completed', { optional: true, multiline: true }),
        textInput('in_progress', 'In progress', { optional: true, multiline: true }),
        textInput('blocked', 'Blocked', { optional: true, multiline: true, hint: 'Left empty: nothing is blocked.' }),
        textInput('next_steps', 'Next steps', { optional: true, multiline: true }),
        textInput('eta', 'Next update', { optional: true, hint: etaHint(incident), placeholder: cadence(incident) }),
      ]);
    }
    case 'escalate': {
      const parsedTarget = z.enum(TARGETS).safeParse(request.target);
      const blocks: KnownBlock[] = [header(incident)];
      if (parsedTarget.success) {
        meta.target = parsedTarget.data;
        blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `Escalating to *${choiceText(parsedTarget.data)}*.` } });
      } else {
        blocks.push({
          type: 'input',
          block_id: 'target',
          label: plain('Escalate to'),
          element: {
            type: 'static_select',
            action_id: INPUT_ACTION,
            options: ESCALATION_TARGETS.map((t) => option(t, choiceText(t))),
            initial_option: option('techlead', choiceText('techlead')),
          },
        });
      }
      blocks.push(
        textInput('need', 'Immediate need', { multiline: true, hint: 'What you need from them right now: a decision, access, hands.' }),
        textInput('why', 'Why escalate', { optional: true, multiline: true, hint: 'Left empty: the deadline of the severity matrix.' }),
      );
      return modal('escalate', 'Escalate incident', 'Escalate', meta, blocks);
    }
    case 'sev': {
      const others = FORM_SEVERITIES.filter((x) => x !== incident.severity);
      const first = others[0] ?? 'P1';
      return modal('sev', 'Change severity', 'Change', meta, [
        header(incident),
        {
          type: 'input',
          block_id: 'severity',
          label: plain(`New severity (now ${incident.severity})`),
          element: {
            type: 'static_select',
            action_id: INPUT_ACTION,
            options: FORM_SEVERITIES.map((x) => option(x, `${x}: ${SEVERITY_POLICIES[x].meaning}`.slice(0, 75))),
            initial_option: option(first, `${first}: ${SEVERITY_POLICIES[first].meaning}`.slice(0, 75)),
          },
          hint: plain('The update cadence and the escalation deadlines follow the new severity.'),
        },
      ]);
    }
    case 'resolve':
      return modal('resolve', 'Resolve incident', 'Resolve', meta, [
        header(incident),
        textInput('resolution', 'Resolution', { multiline: true, hint: 'What fixed it.' }),
        textInput('impact', 'Impact', {
          optional: true,
          multiline: true,
          hint: 'Who or what was affected, for how long. Left empty: the impact recorded so far.',
          initial: incident.impact,
        }),
      ]);
  }
}

/** The block an error about the whole action belongs to (Slack shows errors next to a block). */
export const PRIMARY_BLOCK: Readonly<Record<ModalRequest['kind'], FieldName | 'severity'>> = {
  'ack-details': 'impact',
  update: 'summary',
  escalate: 'need',
  resolve: 'resolution',
  sev: 'severity',
};

// ---------------------------------------------------------------------------------------------
// Reading a submission: view.state.values validated field by field; errors name the block.

export type ModalParse<T> = { ok: true; data: T } | { ok: false; errors: Partial<Record<string, string>> };

const stateValuesSchema = z.record(z.string().max(255), z.record(z.string().max(255), z.unknown()));
const textValueSchema = z.object({ type: z.literal('plain_text_input'), value: z.string().nullish() });
const selectValueSchema = z.object({
  type: z.literal('static_select'),
  selected_option: z.object({ value: z.string().max(150) }).nullish(),
});

type Values = z.infer<typeof stateValuesSchema>;

class FieldErrors {
  readonly errors: Record<string, string> = {};
  add(block: string, message: string) {
    this.errors[block] ??= message;
  }
  get any() {
    return Object.keys(this.errors).length > 0;
  }
}

// eslint-disable-next-line no-control-regex -- control characters are what is being removed
const CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F]/g;

function readText(values: Values, field: FieldName, label: string, required: boolean, errors: FieldErrors): string | undefined {
  const raw = values[field]?.[INPUT_ACTION];
  if (raw === undefined) {
    if (required) errors.add(field, `${label} is required.`);
    return undefined;
  }
  const parsed = textValueSchema.safeParse(raw);
  if (!parsed.success) {
    errors.add(field, `${label} could not be read; type it again.`);
    return undefined;
  }
  const text = (parsed.data.value ?? '').replace(CONTROLS, '').trim();
  if (text === '') {
    if (required) errors.add(field, `${label} is required.`);
    return undefined;
  }
  if (text.length > FIELD_MAX[field]) {
    errors.add(field, `${label} takes at most ${FIELD_MAX[field]} characters (this is ${text.length}).`);
    return undefined;
  }
  return text;
}

function readSelect<T extends string>(values: Values, block: string, label: string, allowed: readonly T[], errors: FieldErrors): T | undefined {
  const parsed = selectValueSchema.safeParse(values[block]?.[INPUT_ACTION]);
  const value = parsed.success ? parsed.data.selected_option?.value : undefined;
  if (value === undefined || !(allowed as readonly string[]).includes(value)) {
    errors.add(block, `Choose ${label}.`);
    return undefined;
  }
  return value as T;
}

function parseWith<T>(kind: ModalRequest['kind'], rawValues: unknown, read: (values: Values, errors: FieldErrors) => T): ModalParse<T> {
  const values = stateValuesSchema.safeParse(rawValues);
  if (!values.success) return { ok: false, errors: { [PRIMARY_BLOCK[kind]]: 'The form could not be read; open it again.' } };
  const errors = new FieldErrors();
  const data = read(values.data, errors);
  return errors.any ? { ok: false, errors: errors.errors } : { ok: true, data };
}

export interface AckDetailsInput {
  impact?: string;
  eta?: string;
}

export function readAckDetails(values: unknown): ModalParse<AckDetailsInput> {
  return parseWith('ack-details', values, (v, e) => ({
    impact: readText(v, 'impact', 'Impact', false, e),
    eta: readText(v, 'eta', 'Next update', false, e),
  }));
}

export interface StatusUpdateInput {
  summary: string;
  status?: IncidentStatus;
  completed?: string;
  inProgress?: string;
  blocked?: string;
  nextSteps?: string;
  eta?: string;
}

export function readStatusUpdate(values: unknown): ModalParse<StatusUpdateInput> {
  return parseWith('update', values, (v, e) => ({
    summary: readText(v, 'summary', 'Summary', true, e) ?? '',
    status: readSelect(v, 'status', 'a status', OPEN_STATUSES, e),
    completed: readText(v, 'completed', 'Completed', false, e),
    inProgress: readText(v, 'in_progress', 'In progress', false, e),
    blocked: readText(v, 'blocked', 'Blocked', false, e),
    nextSteps: readText(v, 'next_steps', 'Next steps', false, e),
    eta: readText(v, 'eta', 'Next update', false, e),
  }));
}

export interface EscalateInput {
  target: EscalationTarget;
  need: string;
  why?: string;
}

/** The target comes from the metadata when the modal was opened for one, else from the select. */
export function readEscalate(values: unknown, metadataTarget?: EscalationTarget): ModalParse<EscalateInput> {
  return parseWith('escalate', values, (v, e) => ({
    target: metadataTarget ?? readSelect(v, 'target', 'who to escalate to', ESCALATION_TARGETS, e) ?? 'techlead',
    need: readText(v, 'need', 'Immediate need', true, e) ?? '',
    why: readText(v, 'why', 'Why escalate', false, e),
  }));
}

export interface ResolveInput {
  resolution: string;
  impact?: string;
}

export function readResolve(values: unknown): ModalParse<ResolveInput> {
  return parseWith('resolve', values, (v, e) => ({
    resolution: readText(v, 'resolution', 'Resolution', true, e) ?? '',
    impact: readText(v, 'impact', 'Impact', false, e),
  }));
}


export interface SeverityInput {
  severity: Severity;
}

export function readSeverity(values: unknown): ModalParse<SeverityInput> {
  return parseWith('sev', values, (v, e) => ({ severity: readSelect(v, 'severity', 'a severity', FORM_SEVERITIES, e) ?? 'P2' }));
}
