import { CliError } from '../../cli-errors';
import type { Deps } from '../../deps';
import { json, localTime, table } from '../../services/format';
import { requireLogin } from '../../services/logged-in';
import type { LogsArgs } from './logs.command';

export async function logsHandler(deps: Deps, args: LogsArgs): Promise<number> {
  if (args.kind !== 'connections') throw new CliError(`logs ${args.kind} is not available in this version yet`);
  const { api } = await requireLogin(deps);
  const entries = await api.connectionLog({
    ...(args.user ? { user: args.user } : {}),
    ...(args.target ? { target: args.target } : {}),
    ...(args.since ? { since: args.since } : {}),
    ...(args.until ? { until: args.until } : {}),
  });
  if (args.json) {
    deps.stdout.write(json(entries));
    return 0;
  }
  if (entries.length === 0) {
    deps.stderr.write('No matching connection log entries.\n');
    return 0;
  }
  deps.stdout.write(
    table(
      ['TIME', 'STATE', 'CONNECTION', 'USER', 'TARGET', 'ACTOR', 'REASON'],
      entries.map((e) => [localTime(e.at), e.state, e.connectionId, e.userEmail, `${e.targetUser}@${e.targetName}`, e.actor ?? '', e.reason ?? '']),
    ),
  );
  return 0;
}
