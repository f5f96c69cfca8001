/** #/targets — the targets this user may use, with one Connect button per allowed target user. */
import type { ConnectionInfo, CreateConnectionRequest, TargetInfo } from '../../protocol/api-types';
import { api, errorMessage } from '../api-client';
import { h } from '../dom';
import { errorLine } from '../forms';
import { navigate, type PageContext } from '../router';
import { estimateTerminalSize } from '../terminal/terminal-size';

export async function targetsPage({ main, signal }: PageContext): Promise<void> {
  const error = errorLine();
  const section = h('section', { class: 'page', 'aria-labelledby': 'targets-title' }, h('h1', { id: 'targets-title' }, 'Targets'), error.el);
  main.append(section);

  const targets = await api<TargetInfo[]>('GET', '/targets');
  if (signal.aborted) return;
  if (targets.length === 0) {
    section.append(h('p', { class: 'empty' }, 'No targets are available to you yet. Ask an administrator for access.'));
    return;
  }

  const connect = async (button: HTMLButtonElement, target: TargetInfo, targetUser: string) => {
    error.show(null);
    const buttons = section.querySelectorAll<HTMLButtonElement>('button.connect');
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
      { 'data-target': t.name },
      h('th', { scope: 'row' }, h('span', { class: 'target-name' }, t.name)),
      h('td', {}, t.kind),
      h('td', {}, t.environment),
      h('td', {}, statusBadge(t.status)),
      h('td', { class: 'actions' }, connectButtons(t, connect)),
    ),
  );
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
          disabled: t.status !== 'online',
          title: t.status === 'online' ? `Open a shell on ${t.name} as ${user}` : `${t.name} is offline`,
        },
        `Connect as ${user}`,
      );
      b.addEventListener('click', () => connect(b, t, user));
      return b;
    }),
  );
}

function statusBadge(status: TargetInfo['status']): HTMLElement {
  return h('span', { class: `badge badge-${status === 'online' ? 'ok' : 'off'}` }, status);
}

function sortTargets(targets: TargetInfo[]): TargetInfo[] {
  return [...targets].sort((a, b) => a.environment.localeCompare(b.environment) || a.name.localeCompare(b.name));
}
