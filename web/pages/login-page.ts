/** #/login — email and password; shows the server's own error message. */
import { errorMessage } from '../api-client';
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
  const error = errorLine();
  const submit = h('button', { type: 'submit', class: 'button button-primary' }, 'Log in');

  const form = h('form', { class: 'stack', novalidate: true }, email.wrap, password.wrap, error.el, submit);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.show(null);
    if (!email.input.value.trim() || !password.input.value) {
      error.show('Enter your email and password.');
      return;
    }
    try {
      const session = await busy(submit, 'Logging in…', () => login(email.input.value.trim(), password.input.value));
      if (signal.aborted) return;
      const next = session.mustChangePassword ? '/password' : (returnTo ?? '/targets');
      returnTo = null;
      navigate(next);
    } catch (err) {
      if (signal.aborted) return;
      error.show(errorMessage(err));
      password.input.select();
    }
  });

  main.append(
    h('section', { class: 'card narrow', 'aria-labelledby': 'login-title' }, h('h1', { id: 'login-title' }, 'Log in'), form),
  );
  email.input.focus();
}
