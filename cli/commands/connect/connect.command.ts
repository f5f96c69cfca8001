import { UsageError } from '../../cli-errors';
import { parseCommandLine, type CommandDef } from '../command';

export interface ConnectArgs {
  target: string;
  /** null: the only allowed one, or ask. */
  targetUser: string | null;
  /** The command words joined with spaces (as ssh does), or null for a login shell. */
  command: string | null;
  /** -t: run the command on a pty. */
  tty: boolean;
  /** -n: do not read stdin (exec only). */
  noStdin: boolean;
}

const options = {
  t: { type: 'boolean', short: 't' },
  n: { type: 'boolean', short: 'n' },
} as const;

/** `TUSER@TARGET` or `TARGET`. */
export function parseDestination(text: string, verb: string): { target: string; targetUser: string | null } {
  const at = text.indexOf('@');
  if (at < 0) return { target: text, targetUser: null };
  const targetUser = text.slice(0, at);
  const target = text.slice(at + 1);
  if (!targetUser || !target) throw new UsageError(`expected [TUSER@]TARGET, not ${JSON.stringify(text)}`, verb);
  return { target, targetUser };
}

export const connectCommand: CommandDef<ConnectArgs> = {
  name: 'connect',
  summary: 'open a shell on a target, or run a command there',
  help: `usage: gate connect [-t] [-n] [TUSER@]TARGET [-- COMMAND...]

Without a command: a recorded interactive shell (raw terminal, resize follows the window).
The shell keeps running when the client goes away; "~." at the start of a line detaches,
and gate attach ID continues it.

With a command: runs it and streams its stdout and stderr separately; stdin is passed through
and its end is forwarded. The words of COMMAND are joined with spaces, as ssh does, and run
by the target user's shell.

Exit code: the remote command's (or shell's) exit code; 255 when the connection ended
without one; 1 when it could not be opened.

Without TUSER, the only target user you may act as on TARGET is used; when there are several,
gate asks on a terminal and fails otherwise.

options:
  -t        run COMMAND on a pseudo-terminal (interactive programs; recorded like a shell)
  -n        do not read stdin (like ssh -n); the command sees end of input at once
`,
  parse(argv) {
    const p = parseCommandLine('connect', argv, options);
    const [dest, ...words] = p.positionals;
    if (!dest) throw new UsageError('gate connect needs a TARGET', 'connect');
    const commandWords = [...words, ...(p.rest ?? [])];
    const command = commandWords.length ? commandWords.join(' ') : null;
    if (p.values.n && command === null) throw new UsageError('-n only applies to a command', 'connect');
    return { ...parseDestination(dest, 'connect'), command, tty: p.values.t === true, noStdin: p.values.n === true };
  },
};
