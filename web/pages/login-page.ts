/**
 * #/login — email and password, then a TOTP code for users who enrolled one. The code field
 * stays hidden until the server answers 401 MFA_REQUIRED (the server alone knows who has TOTP);
 * the same form is then sent again with `totp`. Shows the server's own error messages.
 */
import { ApiError, errorMessage } from '../api-client';
import { h } from '../dom';
import { busy, errorLine, field } from '../forms';
import { navigate, type PageContext } from '../router';
import { login } from '../session';

let returnTo: string | null = null;

/** Where to go after logging in, when the user was sent here from another page. */
export function setReturnTo(path: string): void {
  if (path !== '/login' && path !== '/password') returnTo = path;
}

export function loginPage({ main, signal }: PageContext): void {
  const email = field('email', 'Email', { type: 'email', autocomplete: 'username', autofocus: true });
  const password = field('password', 'Password', { type: 'password', autocomplete: 'current-password' });
  const totp = field(
    'totp',
    'Authentication code',
    { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6, required: false },
    'The 6-digit code from your authenticator app.',
  );
  totp.wrap.hidden = true;
  const error = errorLine();
  const submit = h('button', { type: 'submit', class: 'button button-primary' }, 'Log in');

  const form = h('form', { class: 'stack', novalidate: true }, email.wrap, password.wrap, totp.wrap, error.el, submit);
  const askForCode = () => {
    totp.wrap.hidden = false;
    totp.input.required = true;
    totp.input.value = '';
    totp.input.focus();
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.show(null);
    if (!email.input.value.trim() || !password.input.value) {
      error.show('Enter your email and password.');
      return;
    }
    const code = totp.wrap.hidden ? '' : totp.input.value.replace(/\s+/g, '');
    if (!totp.wrap.hidden && !/^\d{6}$/.test(code)) {
      error.show('Enter the 6-digit code from your authenticator app.');
      totp.input.focus();
      return;
    }
    try {
      const session = await busy(submit, 'Logging in…', () => login(email.input.value.trim(), password.input.value, code || undefined));
      if (signal.aborted) return;
      const next = session.mustChangePassword ? '/password' : (returnTo ?? '/targets');
      returnTo = null;
      navigate(next);
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && err.code === 'MFA_REQUIRED' && totp.wrap.hidden) {
        // Not a failure: the password was right and the second factor is next.
        askForCode();
        return;
      }
      error.show(errorMessage(err));
      if (!totp.wrap.hidden && err instanceof ApiError && err.code === 'BAD_CREDENTIALS') {
        totp.input.value = '';
        totp.input.focus();
      } else {
        password.input.select();
      }
    }
  });

  main.append(
    h('section', { class: 'card narrow', 'aria-labelledby': 'login-title' }, h('h1', { id: 'login-title' }, 'Log in'), form),
  );
  email.input.focus();
}
