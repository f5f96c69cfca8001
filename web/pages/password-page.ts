/** #/password — change the password; forced after the first login with a one-time password. */
import { errorMessage } from '../api-client';
import { h } from '../dom';
import { setFlash } from '../flash';
import { busy, errorLine, field } from '../forms';
import { navigate, type PageContext } from '../router';
import { changePassword, currentSession } from '../session';

/** Mirrors the server's rule so the user hears about it before the round trip. */
export const MIN_PASSWORD_LENGTH = 12;

export function passwordProblem(current: string, next: string, confirm: string): string | null {
  if (!current) return 'Enter your current password.';
  if (next.length < MIN_PASSWORD_LENGTH) return `The new password must be at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (next !== confirm) return 'The new password and its confirmation do not match.';
  if (next === current) return 'The new password must differ from the current one.';
  return null;
}

export function passwordPage({ main, signal }: PageContext): void {
  const forced = currentSession()?.mustChangePassword ?? false;
  const current = field('current-password', 'Current password', { type: 'password', autocomplete: 'current-password' });
  const next = field(
    'new-password',
    'New password',
    { type: 'password', autocomplete: 'new-password', minlength: MIN_PASSWORD_LENGTH },
    `At least ${MIN_PASSWORD_LENGTH} characters.`,
  );
  const confirm = field('confirm-password', 'Confirm new password', {
    type: 'password',
    autocomplete: 'new-password',
    minlength: MIN_PASSWORD_LENGTH,
  });
  const error = errorLine();
  const submit = h('button', { type: 'submit', class: 'button button-primary' }, 'Change password');

  const form = h('form', { class: 'stack', novalidate: true }, current.wrap, next.wrap, confirm.wrap, error.el, submit);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const problem = passwordProblem(current.input.value, next.input.value, confirm.input.value);
    error.show(problem);
    if (problem) return;
    try {
      await busy(submit, 'Saving…', () => changePassword(current.input.value, next.input.value));
      if (signal.aborted) return;
      setFlash('Your password was changed.');
      navigate(currentSession() ? '/targets' : '/login');
    } catch (err) {
      if (signal.aborted) return;
      error.show(errorMessage(err));
    }
  });

  main.append(
    h(
      'section',
      { class: 'card narrow', 'aria-labelledby': 'password-title' },
      h('h1', { id: 'password-title' }, forced ? 'Choose a new password' : 'Change password'),
      forced ? h('p', { class: 'lead' }, 'Your password was set by an administrator. Choose your own before you continue.') : null,
      form,
    ),
  );
  current.input.focus();
}
