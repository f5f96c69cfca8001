/**
 * The tables of #/requests: requests waiting for the viewer's decision (Approve / Deny) and the
 * request history (own, and for admins everyone's). Rows are keyed by request id and rebuilt
 * only when what they show changed, so the 5-second refresh keeps focus and a half-typed deny
 * reason intact. Every value from the server lands in a text node (dom.ts).
 */
import type { AccessRequestInfo, RequestState } from '../../protocol/api-types';
import { h, mount } from '../dom';
import { formatLocalTime, formatPeriod } from '../format';
import { none } from '../table';
import { accessLabel } from './request-form';

/** A table whose rows are kept per id while their key stays the same. */
export class KeyedTable<T extends { id: string }> {
  readonly el: HTMLElement;
  private readonly tbody = h('tbody', {});
  private readonly table: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly rows = new Map<string, { key: string; tr: HTMLTableRowElement }>();

  constructor(
    className: string,
    columns: string[],
    emptyText: string,
    private readonly keyOf: (item: T) => string,
    private readonly render: (item: T) => HTMLTableRowElement,
  ) {
    this.table = h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: `table ${className}` },
        h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c || h('span', { class: 'visually-hidden' }, 'Actions'))))),
        this.tbody,
      ),
    );
    this.empty = h('p', { class: 'empty' }, emptyText);
    this.el = h('div', { class: `${className}-wrap` });
  }

  update(items: T[]): void {
    if (items.length === 0) {
      this.rows.clear();
      this.tbody.replaceChildren();
      if (this.empty.parentNode !== this.el) mount(this.el, this.empty);
      return;
    }
    if (this.table.parentNode !== this.el) mount(this.el, this.table);
    const next: HTMLTableRowElement[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      const key = this.keyOf(item);
      let entry = this.rows.get(item.id);
      if (!entry || entry.key !== key) {
        entry = { key, tr: this.render(item) };
        this.rows.set(item.id, entry);
      }
      seen.add(item.id);
      next.push(entry.tr);
    }
    for (const id of [...this.rows.keys()]) if (!seen.has(id)) this.rows.delete(id);
    const focused = document.activeElement;
    this.tbody.replaceChildren(...next);
    if (focused instanceof HTMLElement && focused !== document.activeElement && focused.isConnected) focused.focus();
  }
}

/** A grant whose time is up stays `approved` on the server; the page says it ended. */
export function grantEnded(r: AccessRequestInfo, now = Date.now()): boolean {
  return r.state === 'approved' && Date.parse(r.expiresAt) <= now;
}

const TONE: Record<RequestState, string> = { pending: 'off', approved: 'ok', denied: 'danger', expired: 'muted' };

export function stateBadge(r: AccessRequestInfo): HTMLElement {
  const ended = grantEnded(r);
  return h(
    'span',
    { class: `badge badge-${ended ? 'muted' : TONE[r.state]} state-badge`, 'data-state': r.state, title: ended ? 'The grant has ended' : null },
    r.state,
  );
}

const time = (iso: string) => h('time', { datetime: iso, title: iso }, formatLocalTime(iso));

/** Everything a history row shows, so a refresh rebuilds only rows that changed (or whose grant just ended). */
export function historyKey(r: AccessRequestInfo): string {
  return JSON.stringify([r.state, r.decidedBy, r.decisionReason, r.expiresAt, r.canDecide, grantEnded(r)]);
}

export function historyRow(r: AccessRequestInfo, showRequester: boolean): HTMLTableRowElement {
  const ended = grantEnded(r);
  let until: HTMLElement;
  if (r.state === 'approved') {
    until = h('span', { class: 'request-until' }, ended ? 'ended ' : null, time(r.expiresAt));
  } else if (r.state === 'pending') {
    until = h('span', { class: 'muted request-until', title: 'Lapses unanswered at this time' }, 'answer by ', time(r.expiresAt));
  } else {
    until = none();
  }
  const decided = r.decidedBy
    ? h(
        'div',
        {},
        h('span', { class: 'decided-by' }, r.decidedBy === 'auto' ? 'auto (policy)' : r.decidedBy),
        r.decidedAt ? h('div', { class: 'hint' }, time(r.decidedAt)) : null,
        r.decisionReason ? h('div', { class: 'decision-reason' }, r.decisionReason) : null,
      )
    : r.decisionReason
      ? h('div', { class: 'decision-reason muted' }, r.decisionReason)
      : none();
  return h(
    'tr',
    {
      'data-request-id': r.id,
      'data-state': r.state,
      'data-requester': r.requester,
      'data-target': r.target,
      'data-target-user': r.targetUser,
      'data-live': r.state === 'approved' && !ended ? 'true' : 'false',
    },
    h('td', {}, stateBadge(r)),
    h('td', { class: 'nowrap' }, time(r.createdAt)),
    showRequester ? h('td', { class: 'request-requester' }, r.requester) : null,
    h('td', { class: 'request-access' }, h('code', {}, accessLabel(r))),
    h('td', { class: 'request-duration' }, formatPeriod(r.durationSeconds)),
    h('td', { class: 'reason request-reason' }, r.reason),
    h('td', { class: 'request-decided' }, decided),
    h('td', { class: 'nowrap request-until-cell' }, until),
  );
}

export const HISTORY_COLUMNS = (showRequester: boolean): string[] =>
  ['State', 'Requested', ...(showRequester ? ['Requester'] : []), 'Access', 'Duration', 'Reason', 'Decided by', 'Until'];

export const WAITING_COLUMNS = ['Requested', 'Requester', 'Access', 'Duration', 'Reason', 'Answer by', ''];

export interface Decide {
  approve(r: AccessRequestInfo, button: HTMLButtonElement): Promise<void>;
  deny(r: AccessRequestInfo, reason: string, button: HTMLButtonElement): Promise<void>;
}

/** A request the viewer may decide: Approve, or Deny with an optional reason typed in the row. */
export function waitingRow(r: AccessRequestInfo, decide: Decide): HTMLTableRowElement {
  const label = `${accessLabel(r)} for ${r.requester}`;
  const approve = h(
    'button',
    { type: 'button', class: 'button button-small button-primary approve-request' },
    'Approve',
    h('span', { class: 'visually-hidden' }, ` ${label}`),
  );
  const deny = h(
    'button',
    { type: 'button', class: 'button button-small button-danger deny-request' },
    'Deny',
    h('span', { class: 'visually-hidden' }, ` ${label}`),
  );
  const denyReason = h('input', {
    type: 'text',
    class: 'input input-inline deny-reason',
    maxlength: 500,
    placeholder: 'Reason (optional)',
    'aria-label': `Why deny ${label} (optional)`,
  });
  const confirmDeny = h('button', { type: 'submit', class: 'button button-small button-danger confirm-deny' }, 'Deny');
  const cancel = h('button', { type: 'button', class: 'button button-small button-quiet cancel-deny' }, 'Cancel');
  const denyForm = h('form', { class: 'row-form deny-form', hidden: true, 'aria-label': `Deny ${label}` }, denyReason, confirmDeny, cancel);
  const buttons = h('div', { class: 'button-row' }, approve, deny);

  approve.addEventListener('click', () => void decide.approve(r, approve));
  deny.addEventListener('click', () => {
    buttons.hidden = true;
    denyForm.hidden = false;
    denyReason.focus();
  });
  cancel.addEventListener('click', () => {
    denyForm.hidden = true;
    buttons.hidden = false;
    deny.focus();
  });
  denyForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void decide.deny(r, denyReason.value.trim(), confirmDeny);
  });

  return h(
    'tr',
    { 'data-request-id': r.id, 'data-requester': r.requester, 'data-target': r.target, 'data-target-user': r.targetUser },
    h('td', { class: 'nowrap' }, time(r.createdAt)),
    h('td', { class: 'request-requester' }, r.requester),
    h('td', { class: 'request-access' }, h('code', {}, accessLabel(r))),
    h('td', { class: 'request-duration' }, formatPeriod(r.durationSeconds)),
    h('td', { class: 'reason request-reason' }, r.reason),
    h('td', { class: 'nowrap' }, time(r.expiresAt)),
    h('td', { class: 'actions' }, buttons, denyForm),
  );
}
