import type { Deps } from '../../deps';
import { localTime, writeList } from '../../services/format';
import { requireLogin } from '../../services/logged-in';
import type { LcArgs } from './lc.command';

export async function lcHandler(deps: Deps, args: LcArgs): Promise<number> {
  const { api } = await requireLogin(deps);
  const conns = await api.connections({ all: args.all });
  writeList(deps, conns, {
    json: args.json,
    empty: 'No open connections.',
    header: ['ID', ...(args.all ? ['USER'] : []), 'TARGET', 'KIND', 'STATE', 'CREATED', 'COMMAND'],
    rows: (cs) =>
      cs.map((c) => [
        c.id,
        ...(args.all ? [c.userEmail] : []),
        `${c.targetUser}@${c.targetName}`,
        c.kind === 'exec' && c.pty ? 'exec (pty)' : c.kind,
        c.state,
        localTime(c.createdAt),
        c.command ?? '',
      ]),
  });
  return 0;
}
