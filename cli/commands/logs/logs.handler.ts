import type { CommandLogEntry, ConnectionLogEntry, EventLogEntry } from '../../../protocol/api-types';
import type { Deps } from '../../deps';
import type { ApiClient } from '../../services/api-client';
import { localTime, writeList } from '../../services/format';
import { requireLogin } from '../../services/logged-in';
import type { LogsArgs } from './logs.command';

/** `k=v k2=v2` of an event's details: strings as they are, anything else as JSON. */
function detailsText(d: Record<string, unknown>): string {
  return Object.entries(d)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

/** One row as --follow prints it: the table's cells (empty ones as `-`), unaligned. */
const followLine = (cells: string[]): string => cells.map((c) => (c === '' ? '-' : c)).join('  ');

const CONNECTION_HEADER = ['TIME', 'STATE', 'CONNECTION', 'USER', 'TARGET', 'ACTOR', 'REASON'];
const connectionRows = (entries: ConnectionLogEntry[]) =>
  entries.map((e) => [localTime(e.at), e.state, e.connectionId, e.userEmail, `${e.targetUser}@${e.targetName}`, e.actor ?? '', e.reason ?? '']);

async function connectionLog(deps: Deps, api: ApiClient, args: LogsArgs): Promise<number> {
  const filter = {
    ...(args.user ? { user: args.user } : {}),
    ...(args.target ? { target: args.target } : {}),
    ...(args.since ? { since: args.since } : {}),
    ...(args.until ? { until: args.until } : {}),
    ...(args.grep ? { grep: args.grep } : {}),
  };
  // Oldest first already, like a log file, so --follow continues at the bottom.
  const entries = await api.connectionLog({ ...filter, ...(args.limit ? { limit: String(args.limit) } : {}) });
  if (args.follow) {
    return follow(
      deps,
      entries,
      (id) => api.connectionLog({ ...filter, after: String(id) }),
      // Nothing matched yet: start after the newest row the caller may see, so only new ones follow.
      async () => (await api.connectionLog({ ...(args.user ? { user: args.user } : {}), limit: '1' }))[0]?.id ?? 0,
      (e) => (args.json ? JSON.stringify(e) : followLine(connectionRows([e])[0]!)),
    );
  }
  writeList(deps, entries, { json: args.json, empty: 'No matching connection log entries.', header: CONNECTION_HEADER, rows: connectionRows });
  return 0;
}

const EVENT_HEADER = ['TIME', 'TYPE', 'OUTCOME', 'ACTOR', 'SOURCE', 'OBJECT', 'DETAILS'];
const eventRows = (entries: EventLogEntry[]) =>
  entries.map((e) => [localTime(e.at), e.type, e.outcome, e.actor ?? '', e.source ?? '', e.object ?? '', detailsText(e.details ?? {})]);

/**
 * `--follow`: print what matched (oldest first), then poll for rows after the newest id until
 * interrupted. Shared by the three logs; `fetchAfter` asks for rows after an id.
 */
async function follow<T extends { id: number }>(deps: Deps, first: T[], fetchAfter: (id: number) => Promise<T[]>, newestId: () => Promise<number>, line: (e: T) => string): Promise<never> {
  for (const e of first) deps.stdout.write(`${line(e)}\n`);
  let last = first.at(-1)?.id ?? (await newestId());
  for (;;) {
    await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
    const fresh = await fetchAfter(last);
    for (const e of fresh) deps.stdout.write(`${line(e)}\n`);
    last = fresh.at(-1)?.id ?? last;
  }
}

async function eventLog(deps: Deps, api: ApiClient, args: LogsArgs): Promise<number> {
  if (args.follow) {
    const filter = {
      ...(args.user ? { user: args.user } : {}),
      ...(args.type ? { type: args.type } : {}),
      ...(args.outcome ? { outcome: args.outcome } : {}),
      ...(args.grep ? { grep: args.grep } : {}),
    };
    const first = (await api.eventLog({ ...filter, ...(args.since ? { since: args.since } : {}), limit: String(args.limit ?? 100) })).reverse();
    return follow(
      deps,
      first,
      (id) => api.eventLog({ ...filter, after: String(id) }),
      async () => (await api.eventLog({ limit: '1', ...(args.user ? { user: args.user } : {}) }))[0]?.id ?? 0,
      (e) => (args.json ? JSON.stringify(e) : followLine(eventRows([e])[0]!)),
    );
  }
  const entries: EventLogEntry[] = await api.eventLog({
    ...(args.user ? { user: args.user } : {}),
    ...(args.type ? { type: args.type } : {}),
    ...(args.outcome ? { outcome: args.outcome } : {}),
    ...(args.since ? { since: args.since } : {}),
    ...(args.until ? { until: args.until } : {}),
    ...(args.grep ? { grep: args.grep } : {}),
    ...(args.limit ? { limit: String(args.limit) } : {}),
  });
  writeList(deps, entries, { json: args.json, empty: 'No matching events.', header: EVENT_HEADER, rows: eventRows });
  return 0;
}

const FOLLOW_POLL_MS = 1000;

/** CONN is the last 8 digits: connection ids are UUIDv7, whose first digits are the time. */
function commandRows(entries: CommandLogEntry[]): string[][] {
  return entries.map((e) => [localTime(e.at), e.userEmail, `${e.targetUser}@${e.targetName}`, e.exitCode === null ? '' : String(e.exitCode), e.connectionId.slice(-8), e.command.replace(/\n/g, ' ⏎ ')]);
}
const COMMAND_HEADER = ['TIME', 'USER', 'WHERE', 'EXIT', 'CONN', 'COMMAND'];

async function commandLog(deps: Deps, api: ApiClient, args: LogsArgs): Promise<number> {
  const filter: Record<string, string> = {
    ...(args.user ? { user: args.user } : {}),
    ...(args.target ? { target: args.target } : {}),
    ...(args.since ? { since: args.since } : {}),
    ...(args.until ? { until: args.until } : {}),
    ...(args.grep ? { grep: args.grep } : {}),
    ...(args.limit ? { limit: String(args.limit) } : {}),
  };
  // Printed oldest first, like a log file, so --follow continues at the bottom.
  const entries = (await api.commandLog(filter)).reverse();
  if (!args.follow) {
    writeList(deps, entries, { json: args.json, empty: 'No matching commands.', header: COMMAND_HEADER, rows: commandRows });
    return 0;
  }
  // Nothing matched yet: start after the newest row overall, so only new commands follow.
  return follow(
    deps,
    entries,
    (id) => api.commandLog({ ...filter, after: String(id) }),
    async () => (await api.commandLog({ ...filter, limit: '1', grep: '' }))[0]?.id ?? 0,
    (e) => (args.json ? JSON.stringify(e) : followLine(commandRows([e])[0]!)),
  );
}

export async function logsHandler(deps: Deps, args: LogsArgs): Promise<number> {
  const { api } = await requireLogin(deps);
  if (args.kind === 'commands') return commandLog(deps, api, args);
  return args.kind === 'events' ? eventLog(deps, api, args) : connectionLog(deps, api, args);
}
