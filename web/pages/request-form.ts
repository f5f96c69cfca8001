/**
 * The "Request access" form of one requestable target (#/requests): target user, action,
 * duration (default and limit: the governing JIT policy's) and a required reason. What may be
 * chosen comes from `GET /requestable`; the server decides again on submit, so the checks here
 * are for the person (a clear message before a round trip), never for security.
 *
 * The form is built once per page visit and is not re-rendered by the page's refresh, so what
 * the user is typing and the outcome of the last submit stay put.
 */
import type { AccessRequestInfo, CreateAccessRequest, RequestableTarget } from '../../protocol/api-types';
import type { Action } from '../../protocol/permit';
import { api, errorMessage } from '../api-client';
import { h, mount } from '../dom';
import { formatLocalTime, formatPeriod } from '../format';
import { busy, errorLine } from '../forms';

type Option = RequestableTarget['options'][number];

export interface RequestForm {
  el: HTMLFormElement;
  target: string;
  /** Scrolls to the form and puts the cursor in the reason field (preselected from Targets). */
  focus(): void;
  /** Says whether the chosen access is already asked for or granted (from the latest list). */
  update(mine: AccessRequestInfo[]): void;
}

let formCount = 0;

/** The server's duration syntax (`30m`, `2h`, `1h30m`, `1d`), in seconds; null if malformed. */
export function parseDuration(text: string): number | null {
  const s = text.trim();
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(s);
  if (!m || s === '') return null;
  const [d, hr, mi, se] = m.slice(1).map((x) => (x ? Number(x) : 0)) as [number, number, number, number];
  return d * 86_400 + hr * 3600 + mi * 60 + se;
}

export function accessLabel(r: { action: Action; targetUser: string; target: string }): string {
  return `${r.action} ${r.targetUser}@${r.target}`;
}

export function requestForm(
  t: RequestableTarget,
  opts: { signal: AbortSignal; preselected: boolean; onCreated: (req: AccessRequestInfo) => Promise<void> },
): RequestForm {
  const n = ++formCount;
  const id = (part: string) => `request-${n}-${part}`;
  const actions = [...new Set(t.options.map((o) => o.action))];
  const usersFor = (action: Action) => [...new Set(t.options.filter((o) => o.action === action).flatMap((o) => o.targetUsers))];
  const optionFor = (action: Action, user: string): Option | undefined =>
    t.options.find((o) => o.action === action && o.targetUsers.includes(user));

  const actionSelect = h(
    'select',
    { id: id('action'), name: 'action', class: 'input request-action' },
    actions.map((a) => h('option', { value: a }, a)),
  );
  const userSelect = h('select', { id: id('user'), name: 'targetUser', class: 'input request-user' });
  const duration = h('input', {
    id: id('duration'),
    name: 'duration',
    class: 'input request-duration',
    type: 'text',
    autocomplete: 'off',
    spellcheck: 'false',
    maxlength: 16,
    'aria-describedby': id('duration-hint'),
  });
  const durationHint = h('p', { class: 'hint', id: id('duration-hint') });
  const reason = h('textarea', {
    id: id('reason'),
    name: 'reason',
    class: 'input request-reason',
    rows: 2,
    maxlength: 500,
    required: true,
    placeholder: 'What you need it for (a ticket, an incident…)',
  });
  const terms = h('p', { class: 'hint request-terms' });
  const known = h('p', { class: 'hint request-known', hidden: true });
  const error = errorLine();
  const outcome = h('div', { class: 'request-outcome', role: 'status', hidden: true });
  const submit = h('button', { type: 'submit', class: 'button button-primary' }, 'Request access');
  let durationTouched = false;
  let mine: AccessRequestInfo[] = [];

  const fillUsers = () => {
    const keep = userSelect.value;
    const users = usersFor(actionSelect.value as Action);
    mount(userSelect, users.map((u) => h('option', { value: u, selected: u === keep }, u)));
  };
  const current = () => optionFor(actionSelect.value as Action, userSelect.value);
  const showTerms = () => {
    const o = current();
    if (!o) return;
    mount(
      terms,
      o.approval === 'auto' ? h('span', { class: 'badge badge-ok' }, 'auto') : h('span', { class: 'badge badge-off' }, 'manual'),
      o.approval === 'auto' ? ' Granted at once' : ' An approver decides',
      ` (policy ${o.policy}).`,
    );
    durationHint.textContent = `At most ${formatPeriod(o.maxDurationSeconds)}. Shorter is fine, e.g. 30m.`;
    duration.dataset.max = String(o.maxDurationSeconds);
    if (!durationTouched) duration.value = formatPeriod(o.maxDurationSeconds);
    showKnown();
  };
  const showKnown = () => {
    const action = actionSelect.value;
    const user = userSelect.value;
    const same = mine.filter((r) => r.target === t.target && r.action === action && r.targetUser === user);
    const pending = same.find((r) => r.state === 'pending');
    const live = same.find((r) => r.state === 'approved' && Date.parse(r.expiresAt) > Date.now());
    known.hidden = !pending && !live;
    if (pending) known.textContent = 'You already asked for this; the request is waiting for an approver.';
    else if (live) known.textContent = `You have this access until ${formatLocalTime(live.expiresAt)}.`;
  };

  actionSelect.addEventListener('change', () => {
    fillUsers();
    showTerms();
  });
  userSelect.addEventListener('change', showTerms);
  duration.addEventListener('input', () => (durationTouched = true));
  fillUsers();
  showTerms();

  const form = h(
    'form',
    {
      class: `request-form${opts.preselected ? ' request-form-preselected' : ''}`,
      'data-target': t.target,
      novalidate: true,
      'aria-label': `Request access to ${t.target}`,
    },
    h(
      'div',
      { class: 'request-form-head' },
      h('h3', {}, h('span', { class: 'target-name' }, t.target)),
      h('span', { class: 'muted' }, t.environment),
    ),
    h(
      'div',
      { class: 'inline-form' },
      h('div', { class: 'field' }, h('label', { for: userSelect.id }, 'Target user'), userSelect),
      h('div', { class: 'field' }, h('label', { for: actionSelect.id }, 'Action'), actionSelect),
      h('div', { class: 'field' }, h('label', { for: duration.id }, 'Duration'), duration, durationHint),
    ),
    h('div', { class: 'field' }, h('label', { for: reason.id }, 'Reason'), reason),
    terms,
    known,
    h('div', { class: 'form-actions' }, submit),
    error.el,
    outcome,
  );

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.show(null);
    const o = current();
    if (!o) return error.show('Choose a target user and an action.');
    const why = reason.value.trim();
    if (!why) {
      error.show('Give a reason: approvers read it, and it is kept in the event log.');
      reason.focus();
      return;
    }
    const wanted = duration.value.trim();
    const seconds = wanted === '' ? o.maxDurationSeconds : parseDuration(wanted);
    if (seconds === null || seconds <= 0) {
      error.show('Duration: write it like 30m, 2h or 1h30m.');
      duration.focus();
      return;
    }
    if (seconds > o.maxDurationSeconds) {
      error.show(`Duration: at most ${formatPeriod(o.maxDurationSeconds)} by policy ${o.policy}.`);
      duration.focus();
      return;
    }
    const body: CreateAccessRequest = {
      target: t.target,
      targetUser: userSelect.value,
      action: actionSelect.value as Action,
      reason: why,
      ...(wanted ? { duration: wanted } : {}),
    };
    outcome.hidden = true;
    try {
      const created = await busy(submit, 'Requesting…', () => api<AccessRequestInfo>('POST', '/requests', body));
      if (opts.signal.aborted) return;
      showOutcome(created);
      // Sent: the next request starts from the policy's terms again.
      reason.value = '';
      durationTouched = false;
      showTerms();
      await opts.onCreated(created);
    } catch (err) {
      if (!opts.signal.aborted) error.show(errorMessage(err));
    }
  });

  const showOutcome = (r: AccessRequestInfo) => {
    outcome.hidden = false;
    outcome.dataset.state = r.state;
    outcome.dataset.requestId = r.id;
    const until = h('time', { datetime: r.expiresAt, class: 'request-until' }, formatLocalTime(r.expiresAt));
    if (r.state === 'approved' && r.approval === 'auto') {
      mount(
        outcome,
        h('strong', {}, 'Approved at once. '),
        `You have ${accessLabel(r)} until `,
        until,
        '. ',
        h('a', { href: '#/targets' }, 'Go to Targets'),
      );
    } else if (r.state === 'pending') {
      mount(
        outcome,
        h('strong', {}, 'Sent to approvers. '),
        `Your request for ${accessLabel(r)} waits for a decision until `,
        until,
        '; its state shows under Your requests.',
      );
    } else if (r.state === 'approved') {
      // Decided since it was sent (the page's refresh brought the news).
      mount(
        outcome,
        h('strong', {}, 'Approved. '),
        `${r.decidedBy ?? 'An approver'} approved ${accessLabel(r)}; you have it until `,
        until,
        '. ',
        h('a', { href: '#/targets' }, 'Go to Targets'),
      );
    } else {
      mount(
        outcome,
        h('strong', {}, `${r.state[0]!.toUpperCase()}${r.state.slice(1)}. `),
        `Your request for ${accessLabel(r)} was ${r.state}${r.decidedBy ? ` by ${r.decidedBy}` : ''}`,
        r.decisionReason ? `: ${r.decisionReason}` : '.',
      );
    }
  };

  return {
    el: form,
    target: t.target,
    focus() {
      form.scrollIntoView({ block: 'center' });
      reason.focus({ preventScroll: true });
    },
    update(list) {
      mine = list;
      showKnown();
      // Keep the last outcome true: a request sent from here may have been decided meanwhile.
      const sent = outcome.hidden ? undefined : list.find((r) => r.id === outcome.dataset.requestId);
      if (sent && sent.state !== outcome.dataset.state) showOutcome(sent);
    },
  };
}
