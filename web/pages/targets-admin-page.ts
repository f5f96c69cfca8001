/**
 * #/admin/targets — targets and environments for admins: rename a target or move it to another
 * environment, delete it (its live connections are closed); add and delete environments (not
 * while targets are in one) and set how long an offline agent target may stay before it is
 * removed (1h to 90d, or never).
 */
import type { CreateEnvironmentRequest, EnvironmentInfo, TargetInfo, UpdateEnvironmentRequest, UpdateTargetRequest } from '../../protocol/api-types';
import { api, errorMessage } from '../api-client';
import { h, mount } from '../dom';
import { formatLocalTime, formatPeriod } from '../format';
import { busy, errorLine, field, statusLine } from '../forms';
import type { PageContext } from '../router';
import { rowActions } from '../row-actions';
import { dataTable, rowButton } from '../table';
import { adminHeader } from './admin-layout';

const PERIOD_HINT = 'From 1h to 90d (e.g. 12h, 7d); empty: never.';

export async function targetsAdminPage({ main, signal }: PageContext): Promise<void> {
  const error = errorLine();
  const status = statusLine();
  const targetList = h('div', { class: 'targets-admin-list' });
  const envList = h('div', { class: 'environments-list' });

  const envName = field('new-env-name', 'Name', { type: 'text', autocomplete: 'off', placeholder: 'staging' });
  const envPeriod = field('new-env-removal', 'Offline removal', { type: 'text', autocomplete: 'off', placeholder: 'never', required: false }, PERIOD_HINT);
  const addError = errorLine();
  const addButton = h('button', { type: 'submit', class: 'button button-primary' }, 'Add environment');
  const addForm = h(
    'form',
    { class: 'inline-form', novalidate: true, 'aria-label': 'Add an environment' },
    envName.wrap,
    envPeriod.wrap,
    h('div', { class: 'form-actions' }, addButton),
  );

  main.append(
    h(
      'section',
      { class: 'page page-wide', 'aria-labelledby': 'targets-admin-title' },
      adminHeader('targets', 'Targets & environments', 'targets-admin-title'),
      error.el,
      status.el,
      h('h2', {}, 'Targets'),
      targetList,
      h('h2', {}, 'Environments'),
      envList,
      h('div', { class: 'panel' }, h('h2', {}, 'Add an environment'), addForm, addError.el),
    ),
  );

  const load = async () => {
    const [targets, envs] = await Promise.all([api<TargetInfo[]>('GET', '/targets'), api<EnvironmentInfo[]>('GET', '/environments')]);
    if (signal.aborted) return;
    const envNames = envs.map((e) => e.name).sort();
    mount(
      targetList,
      targets.length === 0
        ? h('p', { class: 'empty' }, 'No targets yet. Agents appear here when they register.')
        : dataTable(
            'targets-admin-table',
            ['Name', 'Kind', 'Status', 'Environment', 'Rename', ''],
            [...targets].sort((a, b) => a.name.localeCompare(b.name)).map((t) => targetRow(t, envNames)),
          ),
    );
    const inUse = new Map<string, number>();
    for (const t of targets) inUse.set(t.environment, (inUse.get(t.environment) ?? 0) + 1);
    mount(
      envList,
      envs.length === 0
        ? h('p', { class: 'empty' }, 'No environments yet.')
        : dataTable(
            'environments-table',
            ['Name', 'Targets', 'Offline removal', 'Created', ''],
            [...envs].sort((a, b) => a.name.localeCompare(b.name)).map((e) => envRow(e, inUse.get(e.name) ?? 0)),
          ),
    );
  };
  const act = rowActions({ error, status, signal, reload: load });

  function targetRow(t: TargetInfo, envNames: string[]): HTMLTableRowElement {
    const path = `/targets/${encodeURIComponent(t.name)}`;
    const patch = (body: UpdateTargetRequest) => api<TargetInfo>('PATCH', path, body);

    const envSelect = h(
      'select',
      { class: 'input input-inline target-env', 'aria-label': `Environment of ${t.name}` },
      (envNames.includes(t.environment) ? envNames : [t.environment, ...envNames]).map((n) => h('option', { value: n, selected: n === t.environment }, n)),
    );
    envSelect.addEventListener('change', () => {
      const environment = envSelect.value;
      void act(envSelect, `${t.name} moved to ${environment}.`, () => patch({ environment }));
    });

    // The bastion's own target keeps its name (the server refuses a rename).
    const local = t.kind === 'local';
    const nameInput = h('input', {
      type: 'text',
      class: 'input input-inline target-new-name',
      value: t.name,
      'aria-label': `New name for ${t.name}`,
      autocomplete: 'off',
      disabled: local,
      title: local ? 'The local target is the bastion itself and keeps its name' : null,
    });
    const rename = rowButton('Rename', t.name, { type: 'submit', class: 'button button-small rename-target', disabled: local });
    const renameForm = h('form', { class: 'row-form', novalidate: true }, nameInput, rename);
    renameForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const name = nameInput.value.trim();
      if (!name || name === t.name) {
        error.show(name ? `${t.name} already has that name.` : 'Enter the new name.');
        return;
      }
      void act(rename, `${t.name} is now named ${name}.`, () => patch({ name }));
    });

    const del = rowButton('Delete', t.name, {
      class: 'button button-small button-danger delete-target',
      disabled: local,
      title: local ? 'The local target is the bastion itself' : `Delete ${t.name}`,
    });
    del.addEventListener('click', () => {
      if (!window.confirm(`Delete target ${t.name}?\n\nIts live connections are closed and its agent is refused from now on.`)) return;
      void act(del, `Target ${t.name} was deleted.`, () => api('DELETE', path));
    });

    const online = t.status === 'online';
    return h(
      'tr',
      { 'data-target': t.name, 'data-status': online ? 'online' : 'offline' },
      h('th', { scope: 'row' }, h('span', { class: 'target-name' }, t.name)),
      h('td', {}, t.kind),
      h('td', {}, h('span', { class: `badge badge-${online ? 'ok' : 'off'}` }, online ? 'online' : 'offline')),
      h('td', {}, envSelect),
      h('td', {}, renameForm),
      h('td', { class: 'actions' }, del),
    );
  }

  function envRow(e: EnvironmentInfo, targets: number): HTMLTableRowElement {
    const path = `/environments/${encodeURIComponent(e.name)}`;
    const periodInput = h('input', {
      type: 'text',
      class: 'input input-inline env-removal',
      value: e.offlineRemovalSeconds === null ? '' : formatPeriod(e.offlineRemovalSeconds),
      placeholder: 'never',
      title: PERIOD_HINT,
      'aria-label': `Offline removal of ${e.name}`,
      autocomplete: 'off',
      size: 8,
    });
    const set = rowButton('Set', `offline removal of ${e.name}`, { type: 'submit', class: 'button button-small set-removal' });
    const form = h('form', { class: 'row-form', novalidate: true }, periodInput, set);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const body: UpdateEnvironmentRequest = { offlineRemoval: periodInput.value.trim() || null };
      const what = body.offlineRemoval ? `after ${body.offlineRemoval} offline` : 'never';
      void act(set, `Offline targets of ${e.name} are now removed ${what}.`, () => api<EnvironmentInfo>('PUT', path, body));
    });

    const del = rowButton('Delete', e.name, {
      class: 'button button-small button-danger delete-env',
      title: targets ? `${targets} target${targets === 1 ? ' is' : 's are'} in ${e.name}: move or delete them first` : `Delete ${e.name}`,
    });
    del.addEventListener('click', () => {
      if (!window.confirm(`Delete environment ${e.name}?`)) return;
      void act(del, `Environment ${e.name} was deleted.`, () => api('DELETE', path));
    });

    return h(
      'tr',
      { 'data-environment': e.name },
      h('th', { scope: 'row' }, e.name),
      h('td', { class: 'num' }, targets),
      h('td', {}, form),
      h('td', { class: 'nowrap' }, h('time', { datetime: e.createdAt, title: e.createdAt }, formatLocalTime(e.createdAt))),
      h('td', { class: 'actions' }, del),
    );
  }

  addForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    addError.show(null);
    const name = envName.input.value.trim();
    if (!name) {
      addError.show('Enter an environment name.');
      return;
    }
    const period = envPeriod.input.value.trim();
    const body: CreateEnvironmentRequest = period ? { name, offlineRemoval: period } : { name };
    try {
      await busy(addButton, 'Adding…', () => api<EnvironmentInfo>('POST', '/environments', body));
      if (signal.aborted) return;
      envName.input.value = '';
      envPeriod.input.value = '';
      status.show(`Environment ${name} was added.`);
      await load();
    } catch (err) {
      if (!signal.aborted) addError.show(errorMessage(err));
    }
  });

  await load();
}
