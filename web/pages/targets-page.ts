/**
 * #/targets — the targets this user may use, with one Connect button per allowed target user,
 * and a "Request access" link (to #/requests) where a just-in-time policy lets the user ask for
 * access they do not have yet, including on targets they cannot see otherwise.
 */
import type { ConnectionInfo, CreateConnectionRequest, RequestableTarget, TargetInfo } from '../../protocol/api-types';
import { api, errorMessage } from '../api-client';
import { h } from '../dom';
import { errorLine } from '../forms';
import { navigate, type PageContext } from '../router';
import { estimateTerminalSize } from '../terminal/terminal-size';

export async function targetsPage({ main, signal }: PageContext): Promise<void> {
  const error = errorLine();
  const section = h('section', { class: 'page', 'aria-labelledby': 'targets-title' }, h('h1', { id: 'targets-title' }, 'Targets'), error.el);
  main.append(section);

  const [targets, requestable] = await Promise.all([
    api<TargetInfo[]>('GET', '/targets'),
    // Only a hint: if it fails, the page is the same as without just-in-time policies.
    api<RequestableTarget[]>('GET', '/requestable').catch(() => [] as RequestableTarget[]),
  ]);
  if (signal.aborted) return;
  const requestableBy = new Map(requestable.map((r) => [r.target, r]));
  const listed = new Set(targets.map((t) => t.name));
  // Requestable targets the user cannot see yet: a row with the link and nothing else known.
  const onlyRequestable = requestable.filter((r) => !listed.has(r.target)).sort((a, b) => a.environment.localeCompare(b.environment) || a.target.localeCompare(b.target));
  if (targets.length === 0 && onlyRequestable.length === 0) {
    section.append(h('p', { class: 'empty' }, 'No targets are available to you yet. Ask an administrator for access.'));
    return;
  }

  const connect = async (button: HTMLButtonElement, target: TargetInfo, targetUser: string) => {
    error.show(null);
    // Only the buttons enabled now are re-enabled after a failure: offline targets stay disabled.
    const buttons = [...section.querySelectorAll<HTMLButtonElement>('button.connect')].filter((b) => !b.disabled);
    buttons.forEach((b) => (b.disabled = true));
    button.textContent = 'Connecting…';
    try {
      const body: CreateConnectionRequest = { target: target.name, targetUser, ...estimateTerminalSize() };
      const conn = await api<ConnectionInfo>('POST', '/connections', body);
      if (!signal.aborted) navigate(`/terminal/${encodeURIComponent(conn.id)}`);
    } catch (err) {
      if (signal.aborted) return;
      error.show(`Could not connect to ${targetUser}@${target.name}: ${errorMessage(err)}`);
      buttons.forEach((b) => (b.disabled = false));
      button.textContent = `Connect as ${targetUser}`;
    }
  };

  const rows = sortTargets(targets).map((t) =>
    h(
      'tr',
      { 'data-target': t.name, 'data-status': isOnline(t) ? 'online' : 'offline', class: isOnline(t) ? null : 'row-offline' },
      h('th', { scope: 'row' }, h('span', { class: 'target-name' }, t.name)),
      h('td', {}, t.kind),
      h('td', {}, t.environment),
      h('td', {}, statusBadge(t)),
      h('td', { class: 'actions' }, connectButtons(t, connect), requestLink(t, requestableBy.get(t.name))),
    ),
  );
  for (const r of onlyRequestable) {
    rows.push(
      h(
        'tr',
        { 'data-target': r.target, 'data-status': 'unknown', class: 'row-requestable' },
        h('th', { scope: 'row' }, h('span', { class: 'target-name' }, r.target)),
        h('td', {}, h('span', { class: 'muted' }, '—')),
        h('td', {}, r.environment),
        h('td', {}, h('span', { class: 'badge badge-muted' }, 'no access')),
        h('td', { class: 'actions' }, requestLink(null, r)),
      ),
    );
  }
  section.append(
    h(
      'table',
      { class: 'table' },
      h('thead', {}, h('tr', {}, ['Name', 'Kind', 'Environment', 'Status', 'Connect'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows),
    ),
  );
}

function connectButtons(
  t: TargetInfo,
  connect: (b: HTMLButtonElement, t: TargetInfo, user: string) => void,
): HTMLElement | string {
  // An empty actions list is read as "unspecified", not "nothing allowed": the server decides.
  const canShell = t.kind !== 'proxy' && ((t.actions ?? []).length === 0 || t.actions.includes('shell'));
  if (!canShell || (t.targetUsers ?? []).length === 0) return h('span', { class: 'muted' }, 'No shell access');
  return h(
    'div',
    { class: 'button-row' },
    t.targetUsers.map((user) => {
      const b = h(
        'button',
        {
          type: 'button',
          class: 'button connect',
          'data-target-user': user,
          disabled: !isOnline(t),
          title: isOnline(t) ? `Open a shell on ${t.name} as ${user}` : `${t.name} is offline`,
        },
        `Connect as ${user}`,
      );
      b.addEventListener('click', () => connect(b, t, user));
      return b;
    }),
  );
}

/**
 * "Request access" when the policy lets the user ask for something not held now (an action and
 * target user pair). TargetInfo lists actions and users separately, so "held" is the pair of
 * both being listed; the server has the last word on the Requests page.
 */
function requestLink(t: TargetInfo | null, r: RequestableTarget | undefined): HTMLElement | null {
  if (!r) return null;
  const held = (action: string, user: string) => !!t && t.actions.includes(action as TargetInfo['actions'][number]) && t.targetUsers.includes(user);
  const missing = r.options.flatMap((o) => o.targetUsers.filter((u) => !held(o.action, u)).map((u) => `${o.action} as ${u}`));
  if (missing.length === 0) return null;
  return h(
    'a',
    {
      class: 'button button-small request-access',
      href: `#/requests?target=${encodeURIComponent(r.target)}`,
      title: `You may request ${missing.join(', ')} on ${r.target}`,
    },
    'Request access',
    h('span', { class: 'visually-hidden' }, ` to ${r.target}`),
  );
}

/** Anything but an explicit `online` (a missing or unknown status included) is offline. */
function isOnline(t: TargetInfo): boolean {
  return t.status === 'online';
}

function statusBadge(t: TargetInfo): HTMLElement {
  const online = isOnline(t);
  return h('span', { class: `badge badge-${online ? 'ok' : 'off'} status-badge` }, online ? 'online' : 'offline');
}

function sortTargets(targets: TargetInfo[]): TargetInfo[] {
  return [...targets].sort((a, b) => a.environment.localeCompare(b.environment) || a.name.localeCompare(b.name));
}
