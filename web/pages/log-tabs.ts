/** The tab bar shared by the log pages (commands, connections, events). */
import { h } from '../dom';

export type LogTab = 'commands' | 'connections' | 'events';

export function logTabs(current: LogTab): HTMLElement {
  const tab = (t: LogTab, label: string) =>
    h('a', { href: `#/logs/${t}`, class: 'tab', 'aria-current': t === current ? 'page' : null }, label);
  return h(
    'nav',
    { class: 'tabs', 'aria-label': 'Logs' },
    tab('connections', 'Connections'),
    tab('commands', 'Commands'),
    tab('events', 'Events'),
  );
}
