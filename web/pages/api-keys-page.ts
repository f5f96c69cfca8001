/**
 * #/admin/keys — API keys: scripts send `X-API-KEY: ID:SECRET`; a registration key can only
 * register agents. The server keeps only a hash of the secret, so the create reply is the one
 * and only time it can be shown: it stays on screen until the admin leaves the page.
 */
import type { ApiKeyInfo, CreatedApiKey } from '../../protocol/api-types';
import { api, errorMessage } from '../api-client';
import { copyButton } from '../clipboard';
import { h, mount } from '../dom';
import { formatLocalTime } from '../format';
import { busy, errorLine, field, statusLine } from '../forms';
import type { PageContext } from '../router';
import { rowActions } from '../row-actions';
import { dataTable, none, rowButton } from '../table';
import { adminHeader } from './admin-layout';

export async function apiKeysPage({ main, signal }: PageContext): Promise<void> {
  const error = errorLine();
  const status = statusLine();
  const list = h('div', { class: 'keys-list' });

  const name = field('new-key-name', 'Name', { type: 'text', autocomplete: 'off', maxlength: 64, placeholder: 'deploy-bot' });
  const registration = h('input', { type: 'checkbox', id: 'new-key-registration', name: 'registration' });
  const createError = errorLine();
  const createButton = h('button', { type: 'submit', class: 'button button-primary' }, 'Create key');
  const secretBox = h('div', { class: 'secret-box', id: 'new-key-result', role: 'status', hidden: true });
  const createForm = h(
    'form',
    { class: 'inline-form', novalidate: true, 'aria-label': 'Create an API key' },
    name.wrap,
    h(
      'div',
      { class: 'field' },
      h('label', { for: registration.id, class: 'checkbox' }, registration, ' Registration key'),
      h('p', { class: 'hint' }, 'Can register agents and nothing else.'),
    ),
    h('div', { class: 'form-actions' }, createButton),
  );

  main.append(
    h(
      'section',
      { class: 'page', 'aria-labelledby': 'keys-title' },
      adminHeader('keys', 'API keys', 'keys-title'),
      h('div', { class: 'panel' }, h('h2', {}, 'Create an API key'), createForm, createError.el, secretBox),
      error.el,
      status.el,
      list,
    ),
  );

  const load = async () => {
    const keys = await api<ApiKeyInfo[]>('GET', '/keys');
    if (signal.aborted) return;
    if (keys.length === 0) {
      mount(list, h('p', { class: 'empty' }, 'No API keys yet.'));
      return;
    }
    const rows = [...keys].sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map(keyRow);
    mount(list, dataTable('keys-table', ['ID', 'Name', 'Kind', 'Created', 'Created by', 'Last used', ''], rows));
  };
  const act = rowActions({ error, status, signal, reload: load });

  function keyRow(k: ApiKeyInfo): HTMLTableRowElement {
    const del = rowButton('Delete', k.name, { class: 'button button-small button-danger delete-key' });
    del.addEventListener('click', () => {
      if (!window.confirm(`Delete API key ${k.name} (${k.id})?\n\nAnything still using it is refused from now on.`)) return;
      void act(del, `API key ${k.name} was deleted.`, () => api('DELETE', `/keys/${encodeURIComponent(k.id)}`));
    });
    const time = (iso: string | null) => (iso ? h('time', { datetime: iso, title: iso }, formatLocalTime(iso)) : none());
    return h(
      'tr',
      { 'data-key-id': k.id, 'data-key-name': k.name },
      h('td', {}, h('code', {}, k.id)),
      h('th', { scope: 'row' }, k.name),
      h('td', {}, k.registration ? h('span', { class: 'badge badge-off' }, 'registration') : h('span', { class: 'badge badge-muted' }, 'api')),
      h('td', { class: 'nowrap' }, time(k.createdAt)),
      h('td', {}, k.createdBy ?? none()),
      h('td', { class: 'nowrap' }, k.lastUsedAt ? time(k.lastUsedAt) : h('span', { class: 'muted' }, 'never')),
      h('td', { class: 'actions' }, del),
    );
  }

  createForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    createError.show(null);
    const keyName = name.input.value.trim();
    if (!keyName) {
      createError.show('Give the key a name (what or who uses it).');
      return;
    }
    try {
      const key = await busy(createButton, 'Creating…', () =>
        api<CreatedApiKey>('POST', '/keys', { name: keyName, registration: registration.checked }),
      );
      if (signal.aborted) return;
      showSecret(key);
      name.input.value = '';
      registration.checked = false;
      await load();
    } catch (err) {
      if (!signal.aborted) createError.show(errorMessage(err));
    }
  });

  const showSecret = (key: CreatedApiKey) => {
    const header = `${key.id}:${key.secret}`;
    secretBox.hidden = false;
    mount(
      secretBox,
      h('p', {}, h('strong', {}, 'Copy it now: '), `this is the only time the secret of ${key.name} is shown. Gatehouse keeps only its hash.`),
      h('dl', { class: 'secret-fields' },
        h('dt', {}, 'Key'),
        h('dd', {}, h('code', { class: 'secret', id: 'new-key-header' }, header), ' ', copyButton(header)),
        h('dt', {}, 'Send as'),
        h('dd', {}, h('code', {}, 'X-API-KEY: ID:SECRET'), key.registration ? ' (registration key: agents only)' : ''),
      ),
    );
  };

  await load();
}
