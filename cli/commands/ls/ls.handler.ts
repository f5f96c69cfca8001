import type { Deps } from '../../deps';
import { writeList } from '../../services/format';
import { requireLogin } from '../../services/logged-in';
import type { LsArgs } from './ls.command';

export async function lsHandler(deps: Deps, args: LsArgs): Promise<number> {
  const { api } = await requireLogin(deps);
  const targets = (await api.targets()).filter((t) => args.env === null || t.environment === args.env).sort((a, b) => a.name.localeCompare(b.name));
  writeList(deps, targets, {
    json: args.json,
    empty: args.env ? `No targets in environment ${args.env}.` : 'No targets.',
    header: ['NAME', 'KIND', 'STATUS', 'ENVIRONMENT', 'TARGET USERS', 'ACTIONS'],
    rows: (ts) => ts.map((t) => [t.name, t.kind, t.status, t.environment, t.targetUsers.join(','), t.actions.join(',')]),
  });
  return 0;
}
