/**
 * Every verb of `gate`, in the order of SPEC §2.2: those this version implements, bound to their
 * handlers, and those it does not yet, which say so instead of pretending.
 */
import { bind, type BoundCommand } from './command';
import { loginCommand } from './login/login.command';
import { loginHandler } from './login/login.handler';
import { logoutCommand } from './logout/logout.command';
import { logoutHandler } from './logout/logout.handler';
import { statusCommand } from './status/status.command';
import { statusHandler } from './status/status.handler';
import { lsCommand } from './ls/ls.command';
import { lsHandler } from './ls/ls.handler';
import { connectCommand } from './connect/connect.command';
import { connectHandler } from './connect/connect.handler';
import { attachCommand } from './attach/attach.command';
import { attachHandler } from './attach/attach.handler';
import { lcCommand } from './lc/lc.command';
import { lcHandler } from './lc/lc.handler';
import { closeCommand } from './close/close.command';
import { closeHandler } from './close/close.handler';
import { logsCommand } from './logs/logs.command';
import { logsHandler } from './logs/logs.handler';
import { recordingsCommand } from './recordings/recordings.command';
import { recordingsHandler } from './recordings/recordings.handler';
import { requestCommand } from './request/request.command';
import { requestHandler } from './request/request.handler';
import { requestsCommand } from './requests/requests.command';
import { requestsHandler } from './requests/requests.handler';
import { tunnelCommand } from './tunnel/tunnel.command';
import { tunnelHandler } from './tunnel/tunnel.handler';
import { usersCommand } from './users/users.command';
import { usersHandler } from './users/users.handler';
import { groupsCommand } from './groups/groups.command';
import { groupsHandler } from './groups/groups.handler';
import { policiesCommand } from './policies/policies.command';
import { policiesHandler } from './policies/policies.handler';
import { keysCommand } from './keys/keys.command';
import { keysHandler } from './keys/keys.handler';
import { targetsCommand } from './targets/targets.command';
import { targetsHandler } from './targets/targets.handler';
import { envsCommand } from './envs/envs.command';
import { envsHandler } from './envs/envs.handler';

export const COMMANDS: ReadonlyMap<string, BoundCommand> = new Map(
  [
    bind(loginCommand, loginHandler),
    bind(logoutCommand, logoutHandler),
    bind(statusCommand, statusHandler),
    bind(lsCommand, lsHandler),
    bind(connectCommand, connectHandler),
    bind(attachCommand, attachHandler),
    bind(lcCommand, lcHandler),
    bind(closeCommand, closeHandler),
    bind(logsCommand, logsHandler),
    bind(tunnelCommand, tunnelHandler),
    bind(recordingsCommand, recordingsHandler),
    bind(requestCommand, requestHandler),
    bind(requestsCommand, requestsHandler),
    bind(usersCommand, usersHandler),
    bind(groupsCommand, groupsHandler),
    bind(policiesCommand, policiesHandler),
    bind(keysCommand, keysHandler),
    bind(targetsCommand, targetsHandler),
    bind(envsCommand, envsHandler),
  ].map((c) => [c.def.name, c]),
);

/** Verbs of SPEC §2.2 that this version does not have yet, with their synopsis. */
export const NOT_YET: ReadonlyMap<string, string> = new Map([
  ['ssh-proxy', 'gate ssh-proxy %r %h %p'],
  ['generate', 'gate generate ssh-config [--output F]'],
]);

export function topLevelHelp(): string {
  const width = Math.max(...[...COMMANDS.keys(), ...NOT_YET.keys()].map((n) => n.length)) + 2;
  const lines = [
    'usage: gate <command> [options]        gate <command> --help for its options',
    '',
    'commands:',
    ...[...COMMANDS.values()].map((c) => `  ${c.def.name.padEnd(width)}${c.def.summary}`),
    '',
    'not available in this version yet:',
    ...[...NOT_YET.values()].map((synopsis) => `  ${synopsis}`),
    '',
    'common options: --help, --debug (stack traces on errors); --json on verbs that print data',
    'exit codes: 0 ok, 1 reported error, 2 usage error; connect and attach return the remote exit code',
  ];
  return lines.join('\n') + '\n';
}
