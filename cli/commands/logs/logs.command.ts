import { UsageError } from '../../cli-errors';
import { parseCommandLine, type CommandDef } from '../command';
import { subcommandHelp } from '../subcommands';

export type LogKind = 'connections' | 'commands' | 'events';
export type EventOutcome = 'success' | 'failure' | 'denied';

export interface LogsArgs {
  kind: LogKind;
  user: string | null;
  target: string | null;
  /** ISO UTC, already resolved from the user's text. */
  since: string | null;
  until: string | null;
  /** events: an event type (`policy.put`). */
  type: string | null;
  outcome: EventOutcome | null;
  grep: string | null;
  limit: number | null;
  json: boolean;
  /** Keep printing new rows as they arrive. */
  follow: boolean;
}

const options = {
  user: { type: 'string' },
  target: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  type: { type: 'string' },
  outcome: { type: 'string' },
  grep: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  follow: { type: 'boolean' },
} as const;

/** Which filters each log has; any other is a usage error rather than silently ignored. */
const FILTERS: Record<LogKind, readonly (keyof typeof options)[]> = {
  connections: ['user', 'target', 'since', 'until', 'grep', 'limit', 'json', 'follow'],
  commands: ['user', 'target', 'since', 'until', 'grep', 'limit', 'json', 'follow'],
  events: ['user', 'type', 'outcome', 'since', 'until', 'grep', 'limit', 'json', 'follow'],
};

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A time filter: a duration ago (`30m`, `2h`, `7d`), a local date (`2024-05-01`, midnight), or
 * any date-time `Date` understands (`2024-05-01T12:00`, local; `...Z`, UTC). Returns ISO UTC.
 */
export function parseTimeFilter(text: string, flag: string, now = Date.now()): string {
  const ago = /^(\d+)([smhdw])$/.exec(text.trim());
  if (ago) return new Date(now - Number(ago[1]) * UNIT_MS[ago[2]!]!).toISOString();
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  const d = day ? new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3])) : new Date(text);
  if (Number.isNaN(d.getTime())) {
    throw new UsageError(`${flag} takes a time (2024-05-01, 2024-05-01T14:30, ISO 8601) or a duration ago (30m, 2h, 7d), not ${JSON.stringify(text)}`, 'logs');
  }
  return d.toISOString();
}

const TIME_OPTIONS = `  --since TIME      from TIME: 2024-05-01, 2024-05-01T14:30, ISO 8601, or a duration ago (30m, 2h, 7d)
  --until TIME      up to TIME (same forms)`;

const { help, subcommands } = subcommandHelp(
  'logs',
  'The command log, the connection log and the audit (event) log. Times are shown in local time (--json keeps the\nservice\'s ISO UTC). Admins see everyone\'s entries; others see their own.',
  [
    {
      name: 'connections',
      usage: 'gate logs connections [--user EMAIL] [--target T] [--since TIME] [--until TIME] [--grep TEXT] [--limit N] [--json] [--follow]',
      summary: 'every open, connected, disconnected and closed event, with who and why',
      details: `The connection log: every open, connected, disconnected and closed event, with who and why.
Times are shown in local time (--json keeps the service's ISO UTC).

options:
  --user EMAIL      only connections of this user
  --target T        only connections to this target
${TIME_OPTIONS}
  --grep TEXT       only entries mentioning TEXT (reason, actor, connection id, user, target)
  --limit N         at most N entries, the newest (default 1000)
  --json            print the ConnectionLogEntry objects of the API (with --follow: one per line)
  --follow          keep running and print new entries as they are logged (Ctrl-C stops)`,
    },
    {
      name: 'events',
      usage: 'gate logs events [--user EMAIL] [--type T] [--outcome O] [--since TIME] [--until TIME] [--grep TEXT] [--limit N] [--json] [--follow]',
      summary: 'the audit log: logins, policy and user changes, keys, denied access; newest first',
      details: `The audit log, newest first: every login (and failed login), change of users, groups,
policies, keys, targets and environments, every connection opened or denied, with the actor,
the source address and the outcome. Admins see everyone's events; others see their own.

options:
  --user EMAIL      only events whose actor is this user (admins)
  --type T          only events of this type, e.g. auth.login, api_key.create; policy.* for a family
  --outcome O       only success, failure or denied
${TIME_OPTIONS}
  --grep TEXT       only events mentioning TEXT (object or details)
  --limit N         at most N events
  --json            print the EventLogEntry objects of the API (with --follow: one per line)
  --follow          keep running and print new events as they are logged (oldest first)`,
    },
    {
      name: 'commands',
      usage: 'gate logs commands [--user EMAIL] [--target T] [--since TIME] [--until TIME] [--grep TEXT] [--limit N] [--json] [--follow]',
      summary: 'every command run: at shell prompts and as exec, by whom, where, as whom',
      details: `The command log: one row per command submitted at a shell prompt (as the shell received
it after line editing; nothing typed while echo is off) and per exec connection, with the user,
target, target user, connection and exit status when known. Oldest last; --follow prints new
commands as they come (Ctrl-C stops). Admins see everyone's commands; others see their own.

options:
  --user EMAIL      only commands of this user (admins)
  --target T        only commands on this target
${TIME_OPTIONS}
  --grep TEXT       only commands containing TEXT (full-text substring search)
  --limit N         at most N commands (default 1000)
  --json            print the CommandLogEntry objects of the API (with --follow: one per line)
  --follow          keep running and print new commands as they are logged (each once, as
                    first seen: a command still running shows no exit status there)`,
    },
  ],
);

export const logsCommand: CommandDef<LogsArgs> = {
  name: 'logs',
  summary: 'the command log, the connection log and the audit log',
  help,
  subcommands,
  parse(argv) {
    const p = parseCommandLine('logs', argv, options);
    const [kind, ...extra] = [...p.positionals, ...(p.rest ?? [])];
    if (!kind) throw new UsageError('gate logs needs one of: connections, commands, events', 'logs');
    if (kind !== 'connections' && kind !== 'commands' && kind !== 'events') throw new UsageError(`unknown log ${JSON.stringify(kind)}; use connections, commands or events`, 'logs');
    if (extra.length) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`, 'logs');
    const v = p.values;
    const where = `logs ${kind}`;
    for (const k of Object.keys(v) as (keyof typeof v)[]) {
      if (k in options && !FILTERS[kind].includes(k as keyof typeof options)) throw new UsageError(`--${k} does not apply to gate logs ${kind}`, where);
    }
    if (v.outcome !== undefined && v.outcome !== 'success' && v.outcome !== 'failure' && v.outcome !== 'denied') {
      throw new UsageError(`--outcome is success, failure or denied, not ${JSON.stringify(v.outcome)}`, where);
    }
    let limit: number | null = null;
    if (v.limit !== undefined) {
      limit = Number(v.limit);
      if (!/^\d+$/.test(v.limit) || limit < 1 || limit > 10_000) throw new UsageError(`--limit takes a number from 1 to 10000, not ${JSON.stringify(v.limit)}`, where);
    }
    return {
      kind,
      user: v.user ?? null,
      target: v.target ?? null,
      since: v.since !== undefined ? parseTimeFilter(v.since, '--since') : null,
      until: v.until !== undefined ? parseTimeFilter(v.until, '--until') : null,
      type: v.type ?? null,
      outcome: v.outcome ?? null,
      grep: v.grep ?? null,
      limit,
      json: v.json === true,
      follow: v.follow === true,
    };
  },
};
