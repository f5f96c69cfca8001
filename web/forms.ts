/** Shared bits of the small forms (login, password): labelled fields and an error line. */
import { h } from './dom';

export function field(
  id: string,
  label: string,
  input: Record<string, string | number | boolean>,
  hint?: string,
): { wrap: HTMLDivElement; input: HTMLInputElement } {
  const el = h('input', { id, name: id, class: 'input', required: true, ...input });
  const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintEl) el.setAttribute('aria-describedby', hintEl.id);
  return { wrap: h('div', { class: 'field' }, h('label', { for: id }, label), el, hintEl), input: el };
}

/** An error line that screen readers announce when its text changes. */
export function errorLine(): { el: HTMLParagraphElement; show: (msg: string | null) => void } {
  const el = h('p', { class: 'form-error', role: 'alert', hidden: true });
  return {
    el,
    show(msg) {
      el.textContent = msg ?? '';
      el.hidden = !msg;
    },
  };
}

/** Disables a submit button while `work` runs, with a busy label. */
export async function busy<T>(button: HTMLButtonElement, label: string, work: () => Promise<T>): Promise<T> {
  const original = button.textContent;
  button.disabled = true;
  button.textContent = label;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.textContent = original;
  }
}

/** A success line (role=status) for "Saved", "Deleted" and the like; hidden when empty. */
export function statusLine(): { el: HTMLParagraphElement; show: (msg: string | null) => void } {
  const el = h('p', { class: 'form-status', role: 'status', hidden: true });
  return {
    el,
    show(msg) {
      el.textContent = msg ?? '';
      el.hidden = !msg;
    },
  };
}

/** A labelled <select> whose options are plain strings (value = label). */
export function selectField(
  id: string,
  label: string,
  options: readonly string[],
  selected?: string,
): { wrap: HTMLDivElement; select: HTMLSelectElement } {
  const select = h(
    'select',
    { id, name: id, class: 'input' },
    options.map((o) => h('option', { value: o, selected: o === selected }, o)),
  );
  return { wrap: h('div', { class: 'field' }, h('label', { for: id }, label), select), select };
}
