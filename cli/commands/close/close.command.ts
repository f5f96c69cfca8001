import { UsageError } from '../../cli-errors';
import { parseCommandLine, type CommandDef } from '../command';

export type CloseArgs = { all: true; ids: [] } | { all: false; ids: string[] };

export const closeCommand: CommandDef<CloseArgs> = {
  name: 'close',
  summary: 'close connections (ends the shell or command on the target)',
  help: `usage: gate close CONNECTION_ID... | --all

Closes the given connections, or with --all every open connection of yours (see gate lc).
The program on the target is ended and the close is logged with your name.
`,
  parse(argv) {
    const p = parseCommandLine('close', argv, { all: { type: 'boolean' } } as const);
    const ids = [...p.positionals, ...(p.rest ?? [])];
    if (p.values.all && ids.length) throw new UsageError('give connection ids or --all, not both', 'close');
    if (p.values.all) return { all: true, ids: [] };
    if (!ids.length) throw new UsageError('gate close needs a CONNECTION_ID or --all', 'close');
    return { all: false, ids };
  },
};
