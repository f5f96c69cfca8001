import { CliError } from '../../cli-errors';
import type { Deps } from '../../deps';
import type { ApiClient } from '../../services/api-client';
import { requireLogin } from '../../services/logged-in';
import { choose } from '../../services/prompt';
import { runTerminalSession, terminalSize } from '../../services/terminal-session';
import type { CreateConnectionRequest } from '../../../protocol/api-types';
import type { ConnectArgs } from './connect.command';

/** The target user to act as when none was named (SPEC §2.2). */
async function pickTargetUser(deps: Deps, api: ApiClient, target: string): Promise<string> {
  const info = (await api.targets()).find((t) => t.name === target);
  if (!info) throw new CliError(`no target named ${target}`);
  const users = info.targetUsers;
  if (!info.actions.includes('shell') || users.length === 0) throw new CliError(`no policy lets you open a shell on ${target}`);
  if (users.length === 1) return users[0]!;
  if (deps.stdin.isTTY && deps.stderr.isTTY) return choose(deps.stdin, deps.stderr, `Several target users are allowed on ${target}:`, users);
  throw new CliError(`several target users are allowed on ${target}: ${users.join(', ')}; use USER@${target}`);
}

export async function connectHandler(deps: Deps, args: ConnectArgs): Promise<number> {
  const { api } = await requireLogin(deps);
  const targetUser = args.targetUser ?? (await pickTargetUser(deps, api, args.target));
  // The service accepts TERM names of this shape only; an odd one falls back to its default.
  const term = /^[A-Za-z0-9_.+-]{1,64}$/.test(deps.env.TERM ?? '') ? deps.env.TERM : undefined;
  const request: CreateConnectionRequest = {
    target: args.target,
    targetUser,
    ...terminalSize(deps.stdout),
    ...(args.command !== null ? { command: args.command, pty: args.tty } : {}),
    ...(term ? { term } : {}),
  };
  const conn = await api.createConnection(request);
  return runTerminalSession({
    ws: api.openTerminal(conn.wsPath),
    endpoint: api.endpoint,
    mode: args.command === null || args.tty ? 'shell' : 'exec',
    label: `${conn.targetUser}@${conn.targetName}`,
    connectionId: conn.id,
    noStdin: args.noStdin,
    io: deps,
  });
}
