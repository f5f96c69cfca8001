/**
 * The admin pages' tables and small inline controls. Cells are built with h(), so every value
 * from the server lands in a text node; nothing here takes markup.
 */
import { h } from './dom';

type Cell = Node | string | null;

/** A table with a header row; `rows` are ready <tr> elements (they carry their own data-*). */
export function dataTable(className: string, columns: string[], rows: HTMLTableRowElement[]): HTMLElement {
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: `table ${className}` },
      h(
        'thead',
        {},
        h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c || h('span', { class: 'visually-hidden' }, 'Actions')))),
      ),
      h('tbody', {}, rows),
    ),
  );
}

/** A muted dash for an empty cell. */
export function none(): HTMLElement {
  return h('span', { class: 'muted' }, '—');
}

/** Comma-free list of names as small chips; `—` when empty. */
export function chips(values: readonly string[] | undefined, extra?: (v: string) => Cell): HTMLElement {
  if (!values || values.length === 0) return none();
  return h(
    'ul',
    { class: 'chips' },
    values.map((v) => h('li', { class: 'chip', 'data-value': v }, h('span', {}, v), extra ? extra(v) : null)),
  );
}

/** A small button whose accessible name says what it acts on (`Delete` + hidden ` alice@…`). */
export function rowButton(label: string, target: string, attrs: Record<string, string | boolean> = {}): HTMLButtonElement {
  return h(
    'button',
    { type: 'button', class: 'button button-small', ...attrs },
    label,
    h('span', { class: 'visually-hidden' }, ` ${target}`),
  );
}

/** "Name, Name2" from a comma/space separated field, trimmed, empties and duplicates dropped. */
export function splitList(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean))];
}
