import { noPositionals, parseCommandLine, type CommandDef } from '../command';

export interface LcArgs {
  json: boolean;
  all: boolean;
}

export const lcCommand: CommandDef<LcArgs> = {
  name: 'lc',
  summary: 'list your open connections (admins: --all for everyone\'s)',
  help: `usage: gate lc [--json] [--all]

Lists connections that are not closed: open, connected (a client is attached) or
disconnected (still running, nobody attached; gate attach ID continues it).

options:
  --all     every user's connections (admins only; others see their own)
  --json    print the ConnectionInfo objects of the API
`,
  parse(argv) {
    const p = parseCommandLine('lc', argv, { json: { type: 'boolean' }, all: { type: 'boolean' } } as const);
    noPositionals('lc', p);
    return { json: p.values.json === true, all: p.values.all === true };
  },
};
