import type { Deps } from '../../deps';
import { json, localTime, table } from '../../services/format';
import { requireLogin } from '../../services/logged-in';
import type { LcArgs } from './lc.command';

export async function lcHandler(deps: Deps, args: LcArgs): Promise<number> {
  const { api } = await requireLogin(deps);
  const conns = await api.connections({ all: args.all });
  if (args.json) {
    deps.stdout.write(json(conns));
    return 0;
  }
  if (conns.length === 0) {
    deps.stderr.write('No open connections.\n');
    return 0;
  }
  const headers = ['ID', ...(args.all ? ['USER'] : []), 'TARGET', 'KIND', 'STATE', 'CREATED', 'COMMAND'];
  const rows = conns.map((c) => [
    c.id,
    ...(args.all ? [c.userEmail] : []),
    `${c.targetUser}@${c.targetName}`,
    c.kind === 'exec' && c.pty ? 'exec (pty)' : c.kind,
    c.state,
    localTime(c.createdAt),
    c.command ?? '',
  ]);
  deps.stdout.write(table(headers, rows));
  return 0;
}
