import type { Deps } from '../../deps';
import { json, table } from '../../services/format';
import { requireLogin } from '../../services/logged-in';
import type { LsArgs } from './ls.command';

export async function lsHandler(deps: Deps, args: LsArgs): Promise<number> {
  const { api } = await requireLogin(deps);
  const targets = (await api.targets()).filter((t) => args.env === null || t.environment === args.env).sort((a, b) => a.name.localeCompare(b.name));
  if (args.json) {
    deps.stdout.write(json(targets));
    return 0;
  }
  if (targets.length === 0) {
    deps.stderr.write(args.env ? `No targets in environment ${args.env}.\n` : 'No targets.\n');
    return 0;
  }
  deps.stdout.write(
    table(
      ['NAME', 'KIND', 'STATUS', 'ENVIRONMENT', 'TARGET USERS', 'ACTIONS'],
      targets.map((t) => [t.name, t.kind, t.status, t.environment, t.targetUsers.join(','), t.actions.join(',')]),
    ),
  );
  return 0;
}
