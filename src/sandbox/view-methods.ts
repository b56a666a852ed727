import { z } from 'zod';
import { optionalString, parseArgs, type MethodHandler } from './method-args.js';
import { refuse } from './slack-refusal.js';
import { checkView } from './view-check.js';

const triggerSchema = z.object({ trigger_id: optionalString, view: z.unknown() });

/** views.open: the view is judged first (invalid_arguments), then the trigger is exchanged. */
export const viewsOpen: MethodHandler = (ws, raw) => {
  const args = parseArgs(triggerSchema, raw);
  checkView(args.view, ['modal']);
  const trigger = ws.views.exchange(args.trigger_id);
  return { ok: true, view: ws.views.open(trigger, args.view).view };
};

/** views.push: onto the stack of the modal the trigger came from; at most 3 deep. */
export const viewsPush: MethodHandler = (ws, raw) => {
  const args = parseArgs(triggerSchema, raw);
  checkView(args.view, ['modal']);
  const trigger = ws.views.exchange(args.trigger_id);
  return { ok: true, view: ws.views.push(trigger, args.view).view };
};

/** views.update: by view_id or external_id; a `hash` that is not the view's current one is a hash_conflict. */
export const viewsUpdate: MethodHandler = (ws, raw) => {
  const args = parseArgs(z.object({ view_id: optionalString, external_id: optionalString, hash: optionalString, view: z.unknown() }), raw);
  if (!args.view_id && !args.external_id) refuse('invalid_arguments', ['missing required field: view_id or external_id [json-pointer:/view_id]']);
  checkView(args.view, ['modal', 'home']);
  const stored = ws.views.update({ viewId: args.view_id, externalId: args.external_id, hash: args.hash }, args.view);
  return { ok: true, view: stored.view };
};

/** views.publish: a user's Home tab. */
export const viewsPublish: MethodHandler = (ws, raw) => {
  const args = parseArgs(z.object({ user_id: optionalString, hash: optionalString, view: z.unknown() }), raw);
  if (!args.user_id || !ws.directory.users.has(args.user_id)) refuse('user_not_found');
  checkView(args.view, ['home']);
  return { ok: true, view: ws.views.publish(args.user_id, args.view, args.hash).view };
};
