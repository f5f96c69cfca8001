/**
 * What every admin page shares: the guard and the tab bar. The server checks the role on every
 * admin call (this guard is for the person, not for security): a user who follows a link here
 * is told plainly that the page is for admins instead of getting a wall of 403s.
 */
import { h } from '../dom';
import type { Page } from '../router';
import { currentSession } from '../session';

export type AdminTab = 'users' | 'groups' | 'policies' | 'keys' | 'targets' | 'slack';

const TABS: { tab: AdminTab; href: string; label: string }[] = [
  { tab: 'users', href: '#/admin/users', label: 'Users' },
  { tab: 'groups', href: '#/admin/groups', label: 'Groups' },
  { tab: 'policies', href: '#/admin/policies', label: 'Policies' },
  { tab: 'keys', href: '#/admin/keys', label: 'API keys' },
  { tab: 'targets', href: '#/admin/targets', label: 'Targets & environments' },
  { tab: 'slack', href: '#/admin/slack', label: 'Slack' },
];

export function adminOnly(page: Page): Page {
  return (ctx) => {
    if (currentSession()?.user.role === 'admin') return page(ctx);
    ctx.main.append(
      h(
        'section',
        { class: 'card narrow admins-only', 'aria-labelledby': 'admins-only-title' },
        h('h1', { id: 'admins-only-title' }, 'Admins only'),
        h('p', { class: 'alert', role: 'alert' }, 'This page is for administrators. Your account has the user role.'),
        h('p', {}, h('a', { href: '#/targets' }, 'Back to your targets')),
      ),
    );
  };
}

/** The admin section's tab bar and the page heading, to start a page's <section>. */
export function adminHeader(current: AdminTab, title: string, titleId: string): HTMLElement[] {
  return [
    h(
      'nav',
      { class: 'tabs', 'aria-label': 'Administration' },
      TABS.map((t) => h('a', { href: t.href, class: 'tab', 'aria-current': t.tab === current ? 'page' : null }, t.label)),
    ),
    h('h1', { id: titleId }, title),
  ];
}
