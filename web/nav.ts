/** The top bar: brand, section links, who is logged in, and Log out. */
import type { SessionInfo } from '../protocol/api-types';
import { h, mount } from './dom';
import type { Section } from './router';

export interface NavOptions {
  session: SessionInfo | null;
  section: Section | undefined;
  onLogout: () => void;
}

export function renderNav(el: HTMLElement, opts: NavOptions): void {
  const { session } = opts;
  if (!session) {
    mount(el, h('span', { class: 'brand' }, brandMark(), 'Gatehouse'));
    return;
  }
  const link = (section: Section, href: string, label: string) =>
    h('a', { href, 'aria-current': opts.section === section ? 'page' : null }, label);
  const links = session.mustChangePassword
    ? []
    : [
        link('targets', '#/targets', 'Targets'),
        link('connections', '#/connections', 'Connections'),
        // Just-in-time access: anyone may ask (what they may ask for is the server's answer).
        link('requests', '#/requests', 'Requests'),
        link('recordings', '#/recordings', 'Recordings'),
        link('logs', '#/logs/connections', 'Logs'),
        // Admin pages exist for everyone's router, but only admins are shown the way in.
        session.user.role === 'admin' ? link('admin', '#/admin/users', 'Admin') : null,
      ];
  mount(
    el,
    h('a', { class: 'brand', href: '#/targets' }, brandMark(), 'Gatehouse'),
    h('nav', { 'aria-label': 'Main' }, links),
    h(
      'div',
      { class: 'nav-user' },
      h('span', { class: 'nav-email', title: `Signed in as ${session.user.email}` }, session.user.email),
      session.user.role === 'admin' ? h('span', { class: 'badge badge-muted' }, 'admin') : null,
      session.mustChangePassword
        ? null
        : h(
            'a',
            {
              class: 'button button-quiet nav-account',
              href: '#/account',
              title: 'Your password and two-factor authentication',
              'aria-current': opts.section === 'account' ? 'page' : null,
            },
            'Account',
          ),
      h('button', { type: 'button', class: 'button button-quiet', onclick: opts.onLogout }, 'Log out'),
    ),
  );
}

function brandMark(): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'brand-mark');
  const path = document.createElementNS(ns, 'path');
  // A gate: two posts and an arch.
  path.setAttribute('d', 'M4 21V9a8 8 0 0 1 16 0v12h-4V10a4 4 0 0 0-8 0v11z');
  svg.append(path);
  return svg;
}
