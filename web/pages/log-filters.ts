/**
 * What the log pages (connections, commands, events) share: filter fields whose values live in
 * the address (so a view can be shared), the Apply form, the first load, where a bad filter
 * from a shared link is shown as the user's to fix rather than as a broken page, and file names
 * for the CSV export.
 */
import { ApiError, errorMessage } from '../api-client';
import { h, mount } from '../dom';
import { busy, type errorLine } from '../forms';
import { replaceQuery } from '../router';

export function logFilters<F extends string>(idPrefix: string, query: URLSearchParams, names: readonly F[]) {
  const inputs = new Map<F, HTMLInputElement | HTMLSelectElement>();
  return {
    /** A labelled text input for filter `name`, filled from the address. */
    textField(name: F, label: string, attrs: Record<string, string>): HTMLElement {
      const input = h('input', { id: `${idPrefix}-${name}`, name, class: 'input', value: query.get(name) ?? '', autocomplete: 'off', ...attrs });
      inputs.set(name, input);
      return h('div', { class: 'field' }, h('label', { for: input.id }, label), input);
    },
    /** Another control (a select) that holds filter `name`. */
    add(name: F, el: HTMLInputElement | HTMLSelectElement): void {
      inputs.set(name, el);
    },
    /** The filters as the API's query parameters, empty ones left out. */
    current(): URLSearchParams {
      const q = new URLSearchParams();
      for (const name of names) {
        const v = inputs.get(name)?.value.trim();
        if (v) q.set(name, v);
      }
      return q;
    },
  };
}

interface LogForm {
  form: HTMLFormElement;
  apply: HTMLButtonElement;
  error: ReturnType<typeof errorLine>;
  results: HTMLElement;
  query: URLSearchParams;
  signal: AbortSignal;
  current(): URLSearchParams;
  load(filters: URLSearchParams): Promise<void>;
  /** What goes into the address for these filters (default: the filters themselves). */
  address?(filters: URLSearchParams): URLSearchParams;
}

/**
 * Wires Apply (load, then put the filters in the address) and runs the first load. Resolves
 * false when the page was left or a filter from the address was refused (shown to the user).
 */
export async function runLogForm(o: LogForm): Promise<boolean> {
  const address = o.address ?? ((f: URLSearchParams) => f);
  o.form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    o.error.show(null);
    const filters = o.current();
    try {
      await busy(o.apply, 'Loading…', () => o.load(filters));
      if (!o.signal.aborted) replaceQuery(address(filters));
    } catch (err) {
      if (!o.signal.aborted) o.error.show(errorMessage(err));
    }
  });
  try {
    await o.load(o.current());
  } catch (err) {
    if (o.signal.aborted) return false;
    // A bad filter from a shared link is the user's to fix, not a broken page.
    if (o.query.toString() !== '' && err instanceof ApiError && err.status === 400) {
      o.error.show(errorMessage(err));
      mount(o.results);
      return false;
    }
    throw err;
  }
  return !o.signal.aborted;
}

/** A filter value made safe for a download's file name (`policy.*` → `policy.all`). */
export function safeName(s: string): string {
  return s.replace(/\*/g, 'all').replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 40);
}
