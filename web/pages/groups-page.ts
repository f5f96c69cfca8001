/**
 * #/admin/groups — groups and their members (emails). Policies name groups as subjects, so a
 * membership change here changes who may reach what.
 */
import type { GroupInfo } from '../../protocol/api-types';
import { api, errorMessage } from '../api-client';
import { h, mount } from '../dom';
import { formatLocalTime } from '../format';
import { busy, errorLine, field, statusLine } from '../forms';
import type { PageContext } from '../router';
import { chips, dataTable, rowButton } from '../table';
import { rowActions } from '../row-actions';
import { adminHeader } from './admin-layout';

export async function groupsPage({ main, signal }: PageContext): Promise<void> {
  const error = errorLine();
  const status = statusLine();
  const list = h('div', { class: 'groups-list' });

  const name = field('new-group-name', 'Name', { type: 'text', autocomplete: 'off', placeholder: 'ops' }, 'Letters, digits, dot, dash and underscore.');
  const addError = errorLine();
  const addButton = h('button', { type: 'submit', class: 'button button-primary' }, 'Add group');
  const addForm = h('form', { class: 'inline-form', novalidate: true, 'aria-label': 'Add a group' }, name.wrap, h('div', { class: 'form-actions' }, addButton));

  main.append(
    h(
      'section',
      { class: 'page', 'aria-labelledby': 'groups-title' },
      adminHeader('groups', 'Groups', 'groups-title'),
      h('div', { class: 'panel' }, h('h2', {}, 'Add a group'), addForm, addError.el),
      error.el,
      status.el,
      list,
    ),
  );

  const load = async () => {
    const groups = await api<GroupInfo[]>('GET', '/groups');
    if (signal.aborted) return;
    if (groups.length === 0) {
      mount(list, h('p', { class: 'empty' }, 'No groups yet.'));
      return;
    }
    const rows = [...groups].sort((a, b) => a.name.localeCompare(b.name)).map(groupRow);
    mount(list, dataTable('groups-table', ['Name', 'Members', 'Add member', 'Created', ''], rows));
  };

  const act = rowActions({ error, status, signal, reload: () => load() });

  function groupRow(g: GroupInfo): HTMLTableRowElement {
    const base = `/groups/${encodeURIComponent(g.name)}`;
    const members = chips([...g.members].sort(), (email) => {
      const b = h(
        'button',
        { type: 'button', class: 'chip-remove remove-member', title: `Remove ${email} from ${g.name}`, 'aria-label': `Remove ${email} from ${g.name}` },
        '×',
      );
      b.addEventListener('click', () => {
        if (!window.confirm(`Remove ${email} from group ${g.name}?`)) return;
        void act(b, `${email} was removed from ${g.name}.`, () => api('DELETE', `${base}/members/${encodeURIComponent(email)}`));
      });
      return b;
    });

    const memberInput = h('input', {
      type: 'email',
      class: 'input input-inline member-email',
      placeholder: 'alice@example.com',
      autocomplete: 'off',
      'aria-label': `Email of a user to add to ${g.name}`,
    });
    const addMember = rowButton('Add', `to ${g.name}`, { type: 'submit', class: 'button button-small add-member' });
    const memberForm = h('form', { class: 'row-form', novalidate: true }, memberInput, addMember);
    memberForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const email = memberInput.value.trim();
      if (!email) {
        error.show(`Enter the email of a user to add to ${g.name}.`);
        memberInput.focus();
        return;
      }
      // No body: the member is the URL. The server answers 404 for an unknown group or user.
      void act(addMember, `${email} was added to ${g.name}.`, () => api('PUT', `${base}/members/${encodeURIComponent(email)}`));
    });

    const del = rowButton('Delete', g.name, { class: 'button button-small button-danger delete-group' });
    del.addEventListener('click', () => {
      const who = g.members.length ? ` Its ${g.members.length} member${g.members.length === 1 ? '' : 's'} lose what policies give the group.` : '';
      if (!window.confirm(`Delete group ${g.name}?${who}`)) return;
      void act(del, `Group ${g.name} was deleted.`, () => api('DELETE', base));
    });

    return h(
      'tr',
      { 'data-group': g.name },
      h('th', { scope: 'row' }, g.name),
      h('td', { class: 'group-members' }, members),
      h('td', {}, memberForm),
      h('td', { class: 'nowrap' }, h('time', { datetime: g.createdAt, title: g.createdAt }, formatLocalTime(g.createdAt))),
      h('td', { class: 'actions' }, del),
    );
  }

  addForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    addError.show(null);
    const groupName = name.input.value.trim();
    if (!groupName) {
      addError.show('Enter a group name.');
      return;
    }
    try {
      await busy(addButton, 'Adding…', () => api<GroupInfo>('POST', '/groups', { name: groupName }));
      if (signal.aborted) return;
      name.input.value = '';
      status.show(`Group ${groupName} was added.`);
      await load();
    } catch (err) {
      if (!signal.aborted) addError.show(errorMessage(err));
    }
  });

  await load();
}
