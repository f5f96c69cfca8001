/** A Copy button for secrets shown once (one-time passwords, API key secrets). */
import { h } from './dom';

/** Copies `text`; the clipboard may be refused (permissions), in which case the text stays selectable. */
export function copyButton(text: string): HTMLButtonElement {
  const b = h('button', { type: 'button', class: 'button button-small copy' }, 'Copy');
  b.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      b.textContent = 'Copied';
    } catch {
      b.textContent = 'Select and copy it by hand';
    }
  });
  return b;
}
