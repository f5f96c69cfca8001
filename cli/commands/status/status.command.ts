import { noPositionals, parseCommandLine, type CommandDef } from '../command';

export interface StatusArgs {
  json: boolean;
}

export const statusCommand: CommandDef<StatusArgs> = {
  name: 'status',
  summary: 'show the server, user, role and session expiry',
  help: `usage: gate status [--json]

Shows which service you are logged in to, as whom, and when the session expires. Exits 1
when not logged in or when the session has ended.

options:
  --json    print {server, fingerprint, user: {id, email, role}, mustChangePassword, expiresAt}
`,
  parse(argv) {
    const p = parseCommandLine('status', argv, { json: { type: 'boolean' } } as const);
    noPositionals('status', p);
    return { json: p.values.json === true };
  },
};
