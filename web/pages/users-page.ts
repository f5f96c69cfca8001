/**
 * #/admin/users — everyone who can log in: role, groups, TOTP, created. Admins add a user (the
 * server generates a one-time password, shown here once, which the user must change at first
 * login), change a role, reset a lost second factor, or delete a user (their connections are
 * closed and they leave every policy; the server refuses to remove the last admin).
 */
import type { CreateUserRequest, CreateUserResponse, GroupInfo, Role, UpdateUserRequest, UserDetails } from '../../protocol/api-types';
import { api, errorMessage } from '../api-client';
import { copyButton } from '../clipboard';
import { h, mount } from '../dom';
import { formatLocalTime } from '../format';
import { busy, errorLine, field, selectField, statusLine } from '../forms';
import type { PageContext } from '../router';
import { currentSession } from '../session';
import { rowActions } from '../row-actions';
import { chips, dataTable, rowButton } from '../table';
import { adminHeader } from './admin-layout';

const ROLES: Role[] = ['user', 'admin'];

export async function usersPage({ main, signal }: PageContext): Promise<void> {
  const me = currentSession()?.user.email;
  const error = errorLine();
  const status = statusLine();
  const list = h('div', { class: 'users-list' });

  // ---- add a user ----
  const email = field('new-user-email', 'Email', { type: 'email', autocomplete: 'off', placeholder: 'alice@example.com' });
  const role = selectField('new-user-role', 'Role', ROLES, 'user');
  const groupBoxes = h('div', { class: 'checkbox-list', id: 'new-user-groups' });
  const addError = errorLine();
  const addButton = h('button', { type: 'submit', class: 'button button-primary' }, 'Add user');
  const created = h('div', { class: 'secret-box', id: 'new-user-result', role: 'status', hidden: true });
  const addForm = h(
    'form',
    { class: 'inline-form', novalidate: true, 'aria-label': 'Add a user' },
    email.wrap,
    role.wrap,
    h('fieldset', { class: 'field' }, h('legend', {}, 'Groups'), groupBoxes),
    h('div', { class: 'form-actions' }, addButton),
  );

  main.append(
    h(
      'section',
      { class: 'page', 'aria-labelledby': 'users-title' },
      adminHeader('users', 'Users', 'users-title'),
      h('div', { class: 'panel' }, h('h2', {}, 'Add a user'), addForm, addError.el, created),
      error.el,
      status.el,
      list,
    ),
  );

  const showGroups = (groups: GroupInfo[]) => {
    const checked = new Set([...groupBoxes.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value));
    if (groups.length === 0) {
      mount(groupBoxes, h('span', { class: 'hint' }, 'No groups yet: create them on the ', h('a', { href: '#/admin/groups' }, 'Groups'), ' page.'));
      return;
    }
    mount(
      groupBoxes,
      groups.map((g, i) => {
        const id = `new-user-group-${i}`;
        return h('label', { class: 'checkbox', for: id }, h('input', { type: 'checkbox', id, value: g.name, checked: checked.has(g.name) }), ` ${g.name}`);
      }),
    );
  };

  const showUsers = (users: UserDetails[]) => {
    if (users.length === 0) {
      mount(list, h('p', { class: 'empty' }, 'No users.'));
      return;
    }
    const rows = [...users].sort((a, b) => a.email.localeCompare(b.email)).map((u) => userRow(u));
    mount(list, dataTable('users-table', ['Email', 'Role', 'Groups', 'TOTP', 'Created', ''], rows));
  };

  const load = async () => {
    const [users, groups] = await Promise.all([api<UserDetails[]>('GET', '/users'), api<GroupInfo[]>('GET', '/groups')]);
    if (signal.aborted) return;
    showUsers(users);
    showGroups(groups);
  };

  const act = rowActions({ error, status, signal, reload: () => load() });

  function userRow(u: UserDetails): HTMLTableRowElement {
    const path = `/users/${encodeURIComponent(u.email)}`;
    const roleSelect = h(
      'select',
      { class: 'input input-inline role-select', 'aria-label': `Role of ${u.email}` },
      ROLES.map((r) => h('option', { value: r, selected: r === u.role }, r)),
    );
    roleSelect.addEventListener('change', () => {
      const body: UpdateUserRequest = { role: roleSelect.value as Role };
      void act(roleSelect, `${u.email} is now ${body.role === 'admin' ? 'an admin' : 'a user'}.`, () => api('PATCH', path, body));
    });

    const reset = u.totpEnabled ? rowButton('Reset MFA', u.email, { class: 'button button-small reset-mfa' }) : null;
    reset?.addEventListener('click', () => {
      if (!window.confirm(`Reset two-factor authentication of ${u.email}?\n\nThey log in with their password alone until they enrol again.`)) return;
      void act(reset, `Two-factor authentication of ${u.email} was reset.`, () => api('POST', `${path}/reset-mfa`, {}));
    });

    const self = u.email === me;
    const del = rowButton('Delete', u.email, {
      class: 'button button-small button-danger delete-user',
      disabled: self,
      title: self ? 'You cannot delete your own account' : `Delete ${u.email}`,
    });
    del.addEventListener('click', () => {
      if (!window.confirm(`Delete user ${u.email}?\n\nTheir open connections are closed and they are removed from every policy. This cannot be undone.`)) return;
      void act(del, `User ${u.email} was deleted.`, () => api('DELETE', path));
    });

    return h(
      'tr',
      { 'data-email': u.email, 'data-role': u.role, 'data-totp': u.totpEnabled ? 'on' : 'off' },
      h('th', { scope: 'row' }, u.email, u.mustChangePassword ? h('span', { class: 'badge badge-off', title: 'Has not yet replaced the one-time password' }, 'new') : null),
      h('td', {}, roleSelect),
      h('td', { class: 'user-groups' }, chips(u.groups)),
      h(
        'td',
        { class: 'user-totp' },
        h('div', { class: 'button-row' }, h('span', { class: `badge ${u.totpEnabled ? 'badge-ok' : 'badge-muted'}` }, u.totpEnabled ? 'on' : 'off'), reset),
      ),
      h('td', { class: 'nowrap' }, h('time', { datetime: u.createdAt, title: u.createdAt }, formatLocalTime(u.createdAt))),
      h('td', { class: 'actions' }, del),
    );
  }

  addForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    addError.show(null);
    const address = email.input.value.trim();
    if (!address) {
      addError.show('Enter the new user’s email.');
      return;
    }
    const groups = [...groupBoxes.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
    const body: CreateUserRequest = { email: address, role: role.select.value as Role, groups };
    try {
      const res = await busy(addButton, 'Adding…', () => api<CreateUserResponse>('POST', '/users', body));
      if (signal.aborted) return;
      showCreated(res);
      email.input.value = '';
      groupBoxes.querySelectorAll<HTMLInputElement>('input:checked').forEach((i) => (i.checked = false));
      await load();
    } catch (err) {
      if (!signal.aborted) addError.show(errorMessage(err));
    }
  });

  const showCreated = (res: CreateUserResponse) => {
    created.hidden = false;
    if (!res.oneTimePassword) {
      mount(created, h('p', {}, `User ${res.user.email} was added.`));
      return;
    }
    mount(
      created,
      h('p', {}, h('strong', {}, `User ${res.user.email} was added.`), ' Their one-time password is below. Give it to them now: it is not shown again, and they must change it when they first log in.'),
      h('p', {}, h('code', { class: 'secret', id: 'one-time-password' }, res.oneTimePassword), ' ', copyButton(res.oneTimePassword)),
    );
  };

  await load();
}

