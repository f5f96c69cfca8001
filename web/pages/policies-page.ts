/**
 * #/admin/policies — the policies in force, each viewable as the JSON document `gate policies
 * show --json` prints, and an editor that applies one document or an array of them
 * (`POST /policies/apply`: all or nothing, created or replaced by name). The server validates;
 * its 400 message names the index and field (`[1].actions: …`) and is shown as is. References to
 * things that do not exist yet are applied with warnings, which are listed.
 */
import type { ApplyPoliciesResponse, PolicyDoc } from '../../protocol/api-types';
import { api, errorMessage } from '../api-client';
import { h, mount } from '../dom';
import { busy, errorLine, statusLine } from '../forms';
import type { PageContext } from '../router';
import { rowActions } from '../row-actions';
import { chips, dataTable, none, rowButton } from '../table';
import { adminHeader } from './admin-layout';

/** Policies of kinds this app has no type for (e.g. just_in_time) are still listed, generically. */
type AnyPolicy = PolicyDoc | ({ name: string; kind: string } & Record<string, unknown>);

const EXAMPLE = `{
  "name": "ops-shell",
  "kind": "target_access",
  "subjects": { "groups": ["ops"] },
  "environments": ["prod"],
  "actions": ["shell"],
  "targetUsers": ["{username}"]
}`;

export async function policiesPage({ main, signal }: PageContext): Promise<void> {
  const error = errorLine();
  const status = statusLine();
  const list = h('div', { class: 'policies-list' });

  const editor = h('textarea', {
    id: 'policy-doc',
    class: 'input code-input',
    rows: 12,
    spellcheck: 'false',
    autocomplete: 'off',
    placeholder: EXAMPLE,
    'aria-describedby': 'policy-doc-hint',
  });
  const applyError = errorLine();
  const applyResult = h('div', { class: 'apply-result', id: 'policy-apply-result', role: 'status', hidden: true });
  const applyButton = h('button', { type: 'submit', class: 'button button-primary', id: 'policy-apply' }, 'Apply');
  const applyForm = h(
    'form',
    { class: 'stack', novalidate: true, 'aria-label': 'Apply policy documents' },
    h(
      'div',
      { class: 'field' },
      h('label', { for: editor.id }, 'Policy document (JSON)'),
      editor,
      h(
        'p',
        { class: 'hint', id: 'policy-doc-hint' },
        'One document or an array of them, as `gate policies show --json` prints. A policy is created or replaced by name; if any document is wrong, none is applied.',
      ),
    ),
    applyError.el,
    h('div', { class: 'form-actions' }, applyButton),
  );

  main.append(
    h(
      'section',
      { class: 'page page-wide', 'aria-labelledby': 'policies-title' },
      adminHeader('policies', 'Policies', 'policies-title'),
      error.el,
      status.el,
      list,
      h('div', { class: 'panel' }, h('h2', {}, 'Apply policies'), applyForm, applyResult),
    ),
  );

  const load = async () => {
    const policies = await api<AnyPolicy[]>('GET', '/policies');
    if (signal.aborted) return;
    if (policies.length === 0) {
      mount(list, h('p', { class: 'empty' }, 'No policies yet: everything is denied. Apply one below.'));
      return;
    }
    const rows = [...policies].sort((a, b) => a.name.localeCompare(b.name)).flatMap(policyRows);
    mount(list, dataTable('policies-table', ['Name', 'Kind', 'Subjects', 'Targets / environments', 'Actions', 'Target users', ''], rows));
  };
  const act = rowActions({ error, status, signal, reload: load });

  function policyRows(p: AnyPolicy): HTMLTableRowElement[] {
    const json = JSON.stringify(p, null, 2);
    const jsonRow = h(
      'tr',
      { class: 'policy-json-row', 'data-policy-json': p.name, hidden: true },
      h('td', { colspan: 7 }, h('pre', { class: 'json' }, json)),
    );
    const show = rowButton('JSON', p.name, { class: 'button button-small show-json', 'aria-expanded': 'false' });
    show.addEventListener('click', () => {
      jsonRow.hidden = !jsonRow.hidden;
      show.setAttribute('aria-expanded', String(!jsonRow.hidden));
    });
    const edit = rowButton('Edit', p.name, { class: 'button button-small edit-policy', title: 'Copy this document into the editor below' });
    edit.addEventListener('click', () => {
      editor.value = json;
      editor.focus();
    });
    const del = rowButton('Delete', p.name, { class: 'button button-small button-danger delete-policy' });
    del.addEventListener('click', () => {
      if (!window.confirm(`Delete policy ${p.name}?\n\nThe access it gives ends for new connections.`)) return;
      void act(del, `Policy ${p.name} was deleted.`, () => api('DELETE', `/policies/${encodeURIComponent(p.name)}`));
    });

    const row = h(
      'tr',
      { 'data-policy': p.name, 'data-kind': p.kind },
      h('th', { scope: 'row', class: 'nowrap' }, p.name),
      h('td', {}, h('span', { class: 'badge badge-muted' }, p.kind.replace(/_/g, ' '))),
      h('td', { class: 'policy-subjects' }, labelled([['users', names(p, 'subjects', 'users')], ['groups', names(p, 'subjects', 'groups')], ['keys', names(p, 'subjects', 'apiKeys')]])),
      h('td', { class: 'policy-targets' }, labelled([['targets', names(p, 'targets')], ['environments', names(p, 'environments')]])),
      h('td', { class: 'policy-actions' }, actionsCell(p)),
      h('td', { class: 'policy-target-users' }, chips(names(p, 'targetUsers'))),
      h('td', { class: 'actions' }, h('div', { class: 'button-row' }, show, edit, del)),
    );
    return [row, jsonRow];
  }

  applyForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    applyError.show(null);
    applyResult.hidden = true;
    const text = editor.value.trim();
    if (!text) {
      applyError.show('Paste or write a policy document first.');
      editor.focus();
      return;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      applyError.show(`This is not valid JSON: ${errorMessage(err)}`);
      editor.focus();
      return;
    }
    const docs = Array.isArray(doc) ? doc : [doc];
    try {
      const res = await busy(applyButton, 'Applying…', () => api<ApplyPoliciesResponse>('POST', '/policies/apply', docs));
      if (signal.aborted) return;
      showApplied(res);
      await load();
    } catch (err) {
      if (!signal.aborted) applyError.show(errorMessage(err));
    }
  });

  const showApplied = (res: ApplyPoliciesResponse) => {
    applyResult.hidden = false;
    const applied = res.applied.map((a) => h('li', { 'data-policy': a.name }, `${a.name}: ${a.created ? 'created' : 'replaced'}`));
    mount(
      applyResult,
      h('p', { class: 'flash' }, `Applied ${res.applied.length} polic${res.applied.length === 1 ? 'y' : 'ies'}.`),
      h('ul', { class: 'applied-list' }, applied),
      res.warnings.length
        ? h(
            'div',
            { class: 'warnings' },
            h('p', {}, h('strong', {}, 'Warnings'), ' (applied anyway; these names do not exist yet):'),
            h('ul', { class: 'warning-list' }, res.warnings.map((w) => h('li', {}, w))),
          )
        : null,
    );
  };

  await load();
}

/** A string array at `p[key]` or `p[key][sub]`, ignoring anything that is not one. */
function names(p: AnyPolicy, key: string, sub?: string): string[] {
  let v: unknown = (p as Record<string, unknown>)[key];
  if (sub !== undefined) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[sub] : undefined;
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function labelled(parts: [string, string[]][]): HTMLElement {
  const shown = parts.filter(([, values]) => values.length > 0);
  if (shown.length === 0) return none();
  return h(
    'div',
    { class: 'labelled' },
    shown.map(([label, values]) => h('div', { 'data-label': label }, h('span', { class: 'muted label' }, `${label}: `), chips(values))),
  );
}

/** Actions for access kinds; for the others, what they decide instead. */
function actionsCell(p: AnyPolicy): HTMLElement {
  const r = p as Record<string, unknown>;
  if (p.kind === 'session_recording') return h('span', {}, r.recordInput === true ? 'record output and input' : 'record output');
  const extra: string[] = [];
  if (typeof r.approval === 'string') extra.push(`approval: ${r.approval}`);
  if (typeof r.duration === 'string') extra.push(`for ${r.duration}`);
  const actions = names(p, 'actions');
  return h(
    'div',
    {},
    actions.length ? chips(actions) : p.kind === 'proxy' ? h('span', {}, 'tunnel') : none(),
    extra.length ? h('div', { class: 'hint' }, extra.join(', ')) : null,
  );
}
