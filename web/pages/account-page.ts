/**
 * #/account — the logged-in user's own settings: who they are, the password (its own page), and
 * two-factor authentication. Enrolment is two steps: the server makes a pending secret (shown as
 * text and as an otpauth:// URL to paste into an authenticator; no QR code library here), and
 * TOTP is on only once a code from the authenticator is verified. Turning it off or moving it to
 * a new device is an admin's "Reset MFA" on the Users page.
 */
import type { TotpEnrolment } from '../../protocol/api-types';
import { api, ApiError, errorMessage } from '../api-client';
import { copyButton } from '../clipboard';
import { h, mount } from '../dom';
import { busy, errorLine, field } from '../forms';
import type { PageContext } from '../router';
import { reloadSession } from '../session';

export async function accountPage({ main, signal }: PageContext): Promise<void> {
  // Asked afresh: an admin may have reset this user's TOTP since the tab loaded.
  const session = await reloadSession();
  if (signal.aborted) return;
  if (!session) throw new ApiError(401, 'UNAUTHENTICATED', 'Your session has ended. Log in again.');

  const totpBody = h('div', { class: 'totp-body' });
  main.append(
    h(
      'section',
      { class: 'page page-narrow', 'aria-labelledby': 'account-title' },
      h('h1', { id: 'account-title' }, 'Account'),
      h(
        'dl',
        { class: 'meta' },
        h('div', {}, h('dt', {}, 'Email'), h('dd', { id: 'account-email' }, session.user.email)),
        h('div', {}, h('dt', {}, 'Role'), h('dd', { id: 'account-role' }, session.user.role)),
      ),
      h(
        'div',
        { class: 'panel' },
        h('h2', {}, 'Password'),
        h('p', {}, h('a', { href: '#/password', class: 'button', id: 'account-password' }, 'Change password')),
      ),
      h('div', { class: 'panel', id: 'account-totp' }, h('h2', {}, 'Two-factor authentication (TOTP)'), totpBody),
    ),
  );

  const showState = (enabled: boolean, note?: string) => {
    if (enabled) {
      mount(
        totpBody,
        note ? h('p', { class: 'flash', role: 'status' }, note) : null,
        h('p', {}, 'Status: ', h('span', { class: 'badge badge-ok', id: 'totp-status', 'data-enabled': 'true' }, 'on')),
        h('p', { class: 'hint' }, 'Each login asks for a code from your authenticator app. If you lose the device, an administrator can reset it.'),
      );
      return;
    }
    const start = h('button', { type: 'button', class: 'button button-primary', id: 'totp-enrol' }, 'Set up TOTP');
    const error = errorLine();
    mount(
      totpBody,
      h('p', {}, 'Status: ', h('span', { class: 'badge badge-muted', id: 'totp-status', 'data-enabled': 'false' }, 'off')),
      h('p', { class: 'hint' }, 'With TOTP on, logging in also needs a 6-digit code from an authenticator app.'),
      start,
      error.el,
    );
    start.addEventListener('click', async () => {
      error.show(null);
      try {
        const enrolment = await busy(start, 'Starting…', () => api<TotpEnrolment>('POST', '/auth/totp/enrol', {}));
        if (!signal.aborted) showEnrolment(enrolment);
      } catch (err) {
        if (signal.aborted) return;
        // Enabled meanwhile (another tab): show the truth instead of an error.
        if (err instanceof ApiError && err.status === 409) showState(true);
        else error.show(errorMessage(err));
      }
    });
  };

  const showEnrolment = (e: TotpEnrolment) => {
    const code = field('totp-code', 'Code from the app', {
      type: 'text',
      inputmode: 'numeric',
      autocomplete: 'one-time-code',
      pattern: '[0-9]{6}',
      maxlength: 6,
    });
    const error = errorLine();
    const verify = h('button', { type: 'submit', class: 'button button-primary' }, 'Verify and turn on');
    const form = h('form', { class: 'stack', novalidate: true, 'aria-label': 'Verify a TOTP code' }, code.wrap, error.el, verify);
    mount(
      totpBody,
      h('p', {}, 'Status: ', h('span', { class: 'badge badge-off', id: 'totp-status', 'data-enabled': 'false' }, 'pending')),
      h('ol', { class: 'steps' },
        h('li', {}, 'Add an account to your authenticator app with this secret key (time-based, 6 digits, 30 s):',
          h('p', {}, h('code', { class: 'secret', id: 'totp-secret' }, e.secret), ' ', copyButton(e.secret))),
        h('li', {}, 'or paste this URL into an app that accepts otpauth:// links:',
          h('p', {}, h('code', { class: 'secret url', id: 'totp-url' }, e.otpauthUrl), ' ', copyButton(e.otpauthUrl))),
        h('li', {}, 'Enter the code the app shows now. TOTP is turned on only when the code matches.'),
      ),
      form,
    );
    code.input.focus();
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.show(null);
      const value = code.input.value.replace(/\s+/g, '');
      if (!/^\d{6}$/.test(value)) {
        error.show('Enter the 6 digits the app shows.');
        return;
      }
      try {
        await busy(verify, 'Verifying…', () => api<void>('POST', '/auth/totp/verify', { code: value }));
        if (signal.aborted) return;
        await reloadSession().catch(() => null);
        if (!signal.aborted) showState(true, 'TOTP is on. Your next login will ask for a code.');
      } catch (err) {
        if (signal.aborted) return;
        error.show(errorMessage(err));
        code.input.select();
      }
    });
  };

  showState(session.totpEnabled === true);
}
