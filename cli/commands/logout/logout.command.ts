import { noPositionals, parseCommandLine, type CommandDef } from '../command';

export type LogoutArgs = Record<string, never>;

export const logoutCommand: CommandDef<LogoutArgs> = {
  name: 'logout',
  summary: 'end the session and forget its token',
  help: `usage: gate logout

Ends the session on the service and removes the stored token. The server address and pinned
certificate are kept, so the next gate login needs no --server.
`,
  parse(argv) {
    noPositionals('logout', parseCommandLine('logout', argv, {}));
    return {};
  },
};
