import { UsageError } from '../../cli-errors';
import { parseCommandLine, type CommandDef } from '../command';
import { parseTimeFilter } from '../logs/logs.command';
import { exactWords, subcommandHelp, takeSubcommand } from '../subcommands';

export type RecordingsArgs =
  | { sub: 'ls'; json: boolean; user: string | null; target: string | null; since: string | null; grep: string | null }
  | { sub: 'play'; id: string; speed: number; idleLimit: number | null }
  | { sub: 'download'; id: string; output: string | null }
  | { sub: 'rm'; id: string };

const SUBS = ['ls', 'play', 'download', 'rm'] as const;

const { help, subcommands } = subcommandHelp(
  'recordings',
  'Shell recordings (asciicast v2): yours, or everyone\'s for admins. IDs are the connection ids (gate lc, gate logs).',
  [
    {
      name: 'ls',
      usage: 'gate recordings ls [--json] [--user EMAIL] [--target T] [--since TIME] [--grep TEXT]',
      summary: 'list recordings, newest first',
      details: `Lists recordings, newest first: id, user, where, start, duration, size, and whether it is
still being recorded (live) and records keystrokes (input).

options:
  --user EMAIL      only recordings of this user (admins)
  --target T        only recordings on this target
  --since TIME      only recordings started since TIME: 30m, 2h, 7d, 2024-05-01 or 2024-05-01T09:00
  --grep TEXT       only recordings of sessions where a command containing TEXT was run (the command log)
  --json            print the RecordingInfo objects of the API`,
    },
    {
      name: 'play',
      usage: 'gate recordings play ID [--speed N] [--idle-limit SECONDS]',
      summary: 'replay a recording in this terminal',
      details: `Replays a recording's output in this terminal with its timing (a live one up to now).
Ctrl-C stops.

options:
  --speed N              play N times faster (default 1; 0.5 is half speed)
  --idle-limit SECONDS   shorten every pause longer than SECONDS to SECONDS`,
    },
    {
      name: 'download',
      usage: 'gate recordings download ID [-o FILE]',
      summary: 'save a recording as an asciicast file',
      details: `Saves a recording as an asciicast v2 file (asciinema play FILE replays it). A live
recording is saved up to now. Shows progress on a terminal.

options:
  -o, --output FILE   where to write it (default: ID.cast here; - for stdout)`,
    },
    {
      name: 'rm',
      usage: 'gate recordings rm ID',
      summary: 'not available in this version',
      details: 'Deleting a recording is not available in this version: recordings are evidence, and the service keeps them.',
    },
  ],
);

export const recordingsCommand: CommandDef<RecordingsArgs> = {
  name: 'recordings',
  summary: 'list, replay and download shell recordings',
  help,
  subcommands,
  parse(argv) {
    const { sub, argv: rest } = takeSubcommand('recordings', argv, SUBS);
    const where = `recordings ${sub}`;
    switch (sub) {
      case 'ls': {
        const p = parseCommandLine(where, rest, { json: { type: 'boolean' }, user: { type: 'string' }, target: { type: 'string' }, since: { type: 'string' }, grep: { type: 'string' } } as const);
        exactWords(where, p, []);
        const v = p.values;
        return { sub, json: v.json === true, user: v.user ?? null, target: v.target ?? null, since: v.since !== undefined ? parseTimeFilter(v.since, '--since') : null, grep: v.grep || null };
      }
      case 'play': {
        const p = parseCommandLine(where, rest, { speed: { type: 'string' }, 'idle-limit': { type: 'string' } } as const);
        const [id] = exactWords(where, p, ['ID']);
        const speed = p.values.speed === undefined ? 1 : Number(p.values.speed);
        if (!(speed > 0 && speed <= 1000)) throw new UsageError(`--speed takes a number above 0 (up to 1000), not ${JSON.stringify(p.values.speed)}`, where);
        const limit = p.values['idle-limit'];
        const idleLimit = limit === undefined ? null : Number(limit);
        if (idleLimit !== null && !(idleLimit > 0)) throw new UsageError(`--idle-limit takes a number of seconds above 0, not ${JSON.stringify(limit)}`, where);
        return { sub, id: id!, speed, idleLimit };
      }
      case 'download': {
        const p = parseCommandLine(where, rest, { output: { type: 'string', short: 'o' } } as const);
        const [id] = exactWords(where, p, ['ID']);
        return { sub, id: id!, output: p.values.output ?? null };
      }
      case 'rm': {
        const [id] = exactWords(where, parseCommandLine(where, rest, {}), ['ID']);
        return { sub, id: id! };
      }
    }
  },
};
