import { UsageError } from '../../cli-errors';
import { parseCommandLine, type CommandDef } from '../command';

export interface LogsArgs {
  kind: 'connections' | 'commands' | 'events';
  user: string | null;
  target: string | null;
  /** ISO UTC, already resolved from the user's text. */
  since: string | null;
  until: string | null;
  json: boolean;
}

const options = {
  user: { type: 'string' },
  target: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  json: { type: 'boolean' },
} as const;

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

export const logsCommand: CommandDef<LogsArgs> = {
  name: 'logs',
  summary: 'the connection log (commands and events: not yet)',
  help: `usage: gate logs connections [--user EMAIL] [--target T] [--since TIME] [--until TIME] [--json]

The connection log: every open, connected, disconnected and closed event, with who and why.
Times are shown in local time (--json keeps the service's ISO UTC).

options:
  --user EMAIL      only connections of this user
  --target T        only connections to this target
  --since TIME      from TIME: 2024-05-01, 2024-05-01T14:30, ISO 8601, or a duration ago (30m, 2h, 7d)
  --until TIME      up to TIME (same forms)
  --json            print the ConnectionLogEntry objects of the API

gate logs commands and gate logs events are not available in this version yet.
`,
  parse(argv) {
    const p = parseCommandLine('logs', argv, options);
    const [kind, ...extra] = [...p.positionals, ...(p.rest ?? [])];
    if (!kind) throw new UsageError('gate logs needs one of: connections, commands, events', 'logs');
    if (kind !== 'connections' && kind !== 'commands' && kind !== 'events') throw new UsageError(`unknown log ${JSON.stringify(kind)}; use connections, commands or events`, 'logs');
    if (extra.length) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`, 'logs');
    const v = p.values;
    return {
      kind,
      user: v.user ?? null,
      target: v.target ?? null,
      since: v.since !== undefined ? parseTimeFilter(v.since, '--since') : null,
      until: v.until !== undefined ? parseTimeFilter(v.until, '--until') : null,
      json: v.json === true,
    };
  },
};
