/* global document */
/**
 * Modals and confirmations, in <dialog> elements. A modal is the view on top of the person's
 * stack: drawn once per view id and hash (so typing is never lost to a live refresh), its submit
 * button carrying the view's submit text; the bot's field errors are shown under their inputs and
 * the modal stays open. A Block Kit `confirm` object asks before a press goes out.
 */
import { checkRequired, collectValues, el, renderBlocks, restoreValues, showFieldError, textObject, textOf } from './block-kit.js';

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * Shows a Block Kit confirmation dialog; resolves true when the person confirms.
 * @param {any} confirm the `confirm` object of a button or menu
 * @param {import('./mrkdwn.js').NameLookup} names
 * @returns {Promise<boolean>}
 */
export function confirmDialog(confirm, names) {
  const dialog = /** @type {HTMLDialogElement} */ ($('confirm'));
  $('confirm-title').textContent = textOf(confirm.title) || 'Are you sure?';
  $('confirm-text').replaceChildren(textObject(confirm.text, names));
  $('confirm-deny').textContent = textOf(confirm.deny) || 'Cancel';
  const ok = $('confirm-ok');
  ok.textContent = textOf(confirm.confirm) || 'Yes';
  ok.className = confirm.style === 'danger' ? 'danger' : 'primary';
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true });
    dialog.showModal();
    $('confirm-deny').focus();
  });
}

/**
 * @typedef {object} ModalDeps
 * @property {import('./mrkdwn.js').NameLookup} names
 * @property {(path: string, body: object) => Promise<any>} api  POST to the sandbox
 * @property {() => string} user  who is signed in
 * @property {(element: any, block: any, control: HTMLElement, where: { channel: null, container: object }) => void} press
 * @property {() => void} changed  something changed: read the state again
 * @property {(message: string, kind?: string) => void} toast
 */

/**
 * The modal dialog (#modal), driven by the state's `modal`.
 * @param {ModalDeps} deps
 */
export function modalController(deps) {
  const dialog = /** @type {HTMLDialogElement} */ ($('modal'));
  /** The view drawn in the dialog. @type {{ id: string, hash: string, blocks: any[] } | null} */
  let shown = null;

  async function close(viewId) {
    shown = null;
    if (dialog.open) dialog.close();
    const answer = await deps.api('/sandbox/close-view', { user: deps.user(), viewId });
    if (!answer.ok) deps.toast(`Closing the form: ${answer.error ?? 'the sandbox refused.'}`, 'error');
    deps.changed();
  }

  async function submit(view, form, problem) {
    problem.textContent = '';
    for (const node of form.querySelectorAll('.bk-input-block')) showFieldError(node, '');
    if (!checkRequired(form)) return;
    const button = /** @type {HTMLButtonElement | null} */ (form.querySelector('button[type=submit]'));
    if (button) button.disabled = true;
    const answer = await deps.api('/sandbox/submit', { user: deps.user(), viewId: view.id, values: collectValues(form, shown?.blocks ?? []) });
    if (button) button.disabled = false;
    if (answer.ok) {
      shown = null;
      if (dialog.open) dialog.close();
      deps.changed();
      return;
    }
    const errors = answer.errors && typeof answer.errors === 'object' ? Object.entries(answer.errors) : [];
    if (errors.length === 0) {
      problem.textContent = `⚠ ${answer.error ?? 'The form did not go through.'}`;
      return;
    }
    const unplaced = [];
    let focused = false;
    for (const [blockId, message] of errors) {
      const node = [...form.querySelectorAll('.bk-input-block')].find((n) => n.getAttribute('data-block-id') === blockId);
      if (!node) {
        unplaced.push(String(message));
        continue;
      }
      showFieldError(node, String(message));
      if (!focused) {
        /** @type {HTMLElement | null} */ (node.querySelector('[data-action-id]'))?.focus();
        focused = true;
      }
    }
    if (unplaced.length > 0) problem.textContent = `⚠ ${unplaced.join(' · ')}`;
  }

  function draw(view) {
    // The same view updated (views.update): keep what was typed into inputs that are still there.
    const typed = shown && shown.id === view.id && dialog.open ? collectValues(dialog, shown.blocks) : null;
    const blocks = Array.isArray(view.blocks) ? view.blocks : [];

    const form = el('form', 'modal-form');
    form.noValidate = true;
    const head = el('div', 'modal-head');
    const title = el('h2', 'modal-title', textOf(view.title) || 'atlas');
    title.id = 'modal-title';
    const x = el('button', 'icon-button', '✕');
    x.type = 'button';
    x.setAttribute('aria-label', 'Close');
    x.addEventListener('click', () => void close(view.id));
    head.append(title, x);

    const body = el('div', 'modal-body');
    body.append(
      renderBlocks(blocks, {
        names: deps.names,
        press: (element, block, control) => deps.press(element, block, control, { channel: null, container: { type: 'view', viewId: view.id } }),
      }),
    );
    const problem = el('div', 'modal-problem');
    problem.setAttribute('role', 'alert');

    const foot = el('div', 'dialog-buttons');
    const cancel = el('button', undefined, textOf(view.close) || (view.submit ? 'Cancel' : 'Close'));
    cancel.type = 'button';
    cancel.addEventListener('click', () => void close(view.id));
    foot.append(cancel);
    if (view.submit) {
      const ok = el('button', 'primary', textOf(view.submit));
      ok.type = 'submit';
      foot.append(ok);
    }
    form.append(head, body, problem, foot);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void submit(view, form, problem);
    });

    dialog.replaceChildren(form);
    if (typed) restoreValues(dialog, typed);
    shown = { id: view.id, hash: view.hash, blocks };
    if (!dialog.open) dialog.showModal();
    const first = /** @type {HTMLElement | null} */ (dialog.querySelector('[data-action-id]'));
    (first ?? x).focus();
  }

  // Escape: the person closed the modal, as with its ✕.
  dialog.addEventListener('cancel', (event) => {
    event.preventDefault();
    if (shown) void close(shown.id);
  });

  return {
    /** Shows `view` (the state's modal), or closes the dialog when there is none. */
    render(view) {
      if (!view) {
        shown = null;
        if (dialog.open) dialog.close();
        return;
      }
      if (shown && shown.id === view.id && shown.hash === view.hash && dialog.open) return;
      draw(view);
    },
    /** Forgets what was drawn (another person signed in). */
    reset() {
      shown = null;
    },
  };
}
