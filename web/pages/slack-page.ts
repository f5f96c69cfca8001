/**
 * #/admin/slack — the Slack integration's state (GET /api/v1/slack): off (with how to turn it
 * on), or connected / not connected and why, the slash command and the audit channel. The
 * tokens live in the service's configuration, never here; the page re-reads the state every
 * 10 s while the tab is visible, so a reconnect shows without a reload.
 */
import type { SlackStatus } from '../../protocol/api-types';
import { api, ApiError, errorMessage } from '../api-client';
import { h, mount } from '../dom';
import { formatLocalTime } from '../format';
import { errorLine } from '../forms';
import { navigate, type PageContext } from '../router';
import { refreshWhileVisible } from './list-reload';
import { forgetSession } from '../session';
import { adminHeader } from './admin-layout';
import { setReturnTo } from './login-page';

export const SLACK_REFRESH_MS = 10_000;

export async function slackPage({ main, signal }: PageContext): Promise<void> {
  const error = errorLine();
  const updated = h('p', { class: 'hint refresh-note', id: 'slack-updated' });
  const body = h('div', { class: 'slack-status', id: 'slack-status', 'aria-live': 'polite' });
  main.append(
    h(
      'section',
      { class: 'page', 'aria-labelledby': 'slack-title' },
      adminHeader('slack', 'Slack', 'slack-title'),
      error.el,
      body,
      updated,
    ),
  );

  /** Unchanged state, unchanged DOM: a refresh does not re-announce or reset a text selection. */
  let shown = '';
  const show = (st: SlackStatus) => {
    const key = JSON.stringify(st);
    if (key !== shown) {
      shown = key;
      body.dataset.state = !st.configured ? 'off' : st.connected ? 'connected' : 'disconnected';
      mount(body, st.configured ? configured(st) : off(st));
    }
    updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
  };

  let loading = false;
  const load = async () => {
    if (loading) return;
    loading = true;
    try {
      const st = await api<SlackStatus>('GET', '/slack');
      if (signal.aborted) return;
      show(st);
      error.show(null);
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && err.status === 401) {
        forgetSession();
        setReturnTo('/admin/slack');
        navigate('/login');
        return;
      }
      error.show(`Could not refresh the Slack status: ${errorMessage(err)}`);
    } finally {
      loading = false;
    }
  };

  // The first load's errors (401, password change) go to the app's handler like any page's.
  show(await api<SlackStatus>('GET', '/slack'));
  if (signal.aborted) return;

  refreshWhileVisible(load, SLACK_REFRESH_MS, signal);
}

function off(st: SlackStatus): HTMLElement[] {
  return [
    h(
      'div',
      { class: 'panel' },
      h('p', { class: 'slack-state' }, h('span', { class: 'badge badge-muted', id: 'slack-state' }, 'Off'), ' Slack is not configured.'),
      h('p', {}, 'Requests and approvals work the same from the Requests page and ', h('code', {}, 'gate'), ', so Slack is optional.'),
    ),
    h(
      'div',
      { class: 'panel slack-howto', id: 'slack-howto' },
      h('h2', {}, 'Turn Slack on'),
      h(
        'ol',
        { class: 'steps' },
        h(
          'li',
          {},
          'Create a Slack app with ',
          h('strong', {}, 'Socket Mode'),
          ' on: Gatehouse opens the connection to Slack itself, so no public URL is needed. Add the slash command ',
          h('code', {}, st.command),
          ', turn interactivity on, and give the bot the scopes ',
          h('code', {}, 'chat:write commands im:write users:read users:read.email groups:write groups:read reactions:write'),
          '.',
        ),
        h(
          'li',
          {},
          'Put the bot token (',
          h('code', {}, 'xoxb-…'),
          ') and the app-level token (',
          h('code', {}, 'xapp-…'),
          ') in ',
          h('code', {}, 'slack.bot_token'),
          ' and ',
          h('code', {}, 'slack.app_token'),
          ' of ',
          h('code', {}, '/etc/gatehouse/gatehouse.toml'),
          ', or in the service’s environment as ',
          h('code', {}, 'GATEHOUSE_SLACK_BOT_TOKEN'),
          ' and ',
          h('code', {}, 'GATEHOUSE_SLACK_APP_TOKEN'),
          '.',
        ),
        h('li', {}, 'Run ', h('code', {}, 'gatehouse check'), ' to see whether Slack accepts both tokens, then restart the service.'),
      ),
    ),
  ];
}

function configured(st: SlackStatus): HTMLElement[] {
  const time = (iso: string) => h('time', { datetime: iso, title: iso }, formatLocalTime(iso));
  const state = st.connected
    ? [
        h('span', { class: 'badge badge-ok', id: 'slack-state' }, 'Connected'),
        st.since ? [' since ', time(st.since)] : null,
      ]
    : [
        h('span', { class: 'badge badge-danger', id: 'slack-state' }, 'Not connected'),
        st.since ? [' since ', time(st.since)] : null,
        st.lastError
          ? h('p', { class: 'alert slack-error', id: 'slack-error' }, `Last error: ${st.lastError}`)
          : h('p', { class: 'hint', id: 'slack-error' }, 'Connecting…'),
        h('p', { class: 'hint' }, 'Gatehouse keeps retrying; this page shows the new state by itself.'),
      ];
  return [
    h(
      'div',
      { class: 'panel' },
      h(
        'dl',
        { class: 'secret-fields slack-fields' },
        h('dt', {}, 'Status'),
        h('dd', {}, ...state),
        h('dt', {}, 'Slash command'),
        h('dd', {}, h('code', { id: 'slack-command' }, st.command)),
        h('dt', {}, 'Audit channel'),
        h(
          'dd',
          {},
          h('code', { id: 'slack-channel' }, `#${st.auditChannel.replace(/^#/, '')}`),
          ' ',
          st.auditChannelId
            ? h('span', { class: 'muted', id: 'slack-channel-id' }, `(${st.auditChannelId})`)
            : h('span', { class: 'muted', id: 'slack-channel-id' }, '(not created yet)'),
        ),
      ),
      h('p', { class: 'hint' }, 'The tokens are set in the service’s configuration and are never shown here.'),
    ),
  ];
}
