import { parseCommandLine, type CommandDef } from '../command';
import { exactWords, subcommandHelp, takeSubcommand } from '../subcommands';

export type RequestsArgs = { sub: 'ls'; json: boolean; all: boolean } | { sub: 'approve'; id: string } | { sub: 'deny'; id: string; reason: string | null };

const SUBS = ['ls', 'approve', 'deny'] as const;

const { help, subcommands } = subcommandHelp('requests', 'Just-in-time access requests: yours, and those you may approve.', [
  {
    name: 'ls',
    usage: 'gate requests ls [--all] [--json]',
    summary: 'pending requests you may decide, and your own (with --all: every state)',
    details: `Lists requests: your own and those you are an approver of (admins: all). Without --all only
pending requests and live grants are shown. "*" marks those you may approve or deny now.

options:
  --all     also decided, denied and expired requests
  --json    print the AccessRequestInfo objects of the API`,
  },
  { name: 'approve', usage: 'gate requests approve ID', summary: 'approve a pending request', details: 'Approves the request: the requester gets the access for the requested time. You cannot approve your own.' },
  {
    name: 'deny',
    usage: 'gate requests deny ID [--reason TEXT]',
    summary: 'deny a pending request',
    details: `Denies the request; the requester is told, with your reason if given.

options:
  --reason TEXT     why (shown to the requester and in the audit log)`,
  },
]);

export const requestsCommand: CommandDef<RequestsArgs> = {
  name: 'requests',
  summary: 'list, approve and deny just-in-time access requests',
  help,
  subcommands,
  parse(argv) {
    const { sub, argv: rest } = takeSubcommand('requests', argv, SUBS);
    const where = `requests ${sub}`;
    switch (sub) {
      case 'ls': {
        const p = parseCommandLine(where, rest, { json: { type: 'boolean' }, all: { type: 'boolean' } } as const);
        exactWords(where, p, []);
        return { sub, json: p.values.json === true, all: p.values.all === true };
      }
      case 'approve': {
        const [id] = exactWords(where, parseCommandLine(where, rest, {}), ['ID']);
        return { sub, id: id! };
      }
      case 'deny': {
        const p = parseCommandLine(where, rest, { reason: { type: 'string' } } as const);
        const [id] = exactWords(where, p, ['ID']);
        return { sub, id: id!, reason: p.values.reason?.trim() || null };
      }
    }
  },
};
