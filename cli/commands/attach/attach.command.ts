import { UsageError } from '../../cli-errors';
import { parseCommandLine, type CommandDef } from '../command';

export interface AttachArgs {
  id: string;
}

export const attachCommand: CommandDef<AttachArgs> = {
  name: 'attach',
  summary: 're-attach to a shell that kept running; the screen is redrawn',
  help: `usage: gate attach CONNECTION_ID

Attaches this terminal to a connection that is still running (see gate lc). The service
redraws the current screen first. A client already attached is replaced. "~." at the start
of a line detaches again.
`,
  parse(argv) {
    const p = parseCommandLine('attach', argv, {});
    const [id, ...extra] = [...p.positionals, ...(p.rest ?? [])];
    if (!id) throw new UsageError('gate attach needs a CONNECTION_ID', 'attach');
    if (extra.length) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`, 'attach');
    return { id };
  },
};
