import type { EventLogEntry } from '../../../protocol/api-types';
import { CliError } from '../../cli-errors';
import type { Deps } from '../../deps';
import type { ApiClient } from '../../services/api-client';
import { json, localTime, table } from '../../services/format';
import { requireLogin } from '../../services/logged-in';
import type { LogsArgs } from './logs.command';

/** `k=v k2=v2` of an event's details: strings as they are, anything else as JSON. */
function detailsText(d: Record<string, unknown>): string {
  return Object.entries(d)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

async function connectionLog(deps: Deps, api: ApiClient, args: LogsArgs): Promise<number> {
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

async function eventLog(deps: Deps, api: ApiClient, args: LogsArgs): Promise<number> {
  const entries: EventLogEntry[] = await api.eventLog({
    ...(args.user ? { user: args.user } : {}),
    ...(args.type ? { type: args.type } : {}),
    ...(args.outcome ? { outcome: args.outcome } : {}),
    ...(args.since ? { since: args.since } : {}),
    ...(args.until ? { until: args.until } : {}),
    ...(args.grep ? { grep: args.grep } : {}),
    ...(args.limit ? { limit: String(args.limit) } : {}),
  });
  if (args.json) {
    deps.stdout.write(json(entries));
    return 0;
  }
  if (entries.length === 0) {
    deps.stderr.write('No matching events.\n');
    return 0;
  }
  deps.stdout.write(
    table(
      ['TIME', 'TYPE', 'OUTCOME', 'ACTOR', 'SOURCE', 'OBJECT', 'DETAILS'],
      entries.map((e) => [localTime(e.at), e.type, e.outcome, e.actor ?? '', e.source ?? '', e.object ?? '', detailsText(e.details ?? {})]),
    ),
  );
  return 0;
}

export async function logsHandler(deps: Deps, args: LogsArgs): Promise<number> {
  if (args.kind === 'commands') throw new CliError('logs commands is not available in this version yet');
  const { api } = await requireLogin(deps);
  return args.kind === 'events' ? eventLog(deps, api, args) : connectionLog(deps, api, args);
}
