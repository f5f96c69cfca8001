import { CliError } from '../../cli-errors';
import type { Deps } from '../../deps';
import { requireLogin } from '../../services/logged-in';
import { runTerminalSession } from '../../services/terminal-session';
import type { AttachArgs } from './attach.command';

export async function attachHandler(deps: Deps, args: AttachArgs): Promise<number> {
  const { api } = await requireLogin(deps);
  const conn = await api.connection(args.id);
  if (conn.state === 'closed') throw new CliError(`connection ${conn.id} is closed${conn.closeReason ? ` (${conn.closeReason})` : ''}`);
  return runTerminalSession({
    ws: api.openTerminal(conn.wsPath),
    endpoint: api.endpoint,
    // Exec connections without a pty keep their tagged stdout/stderr frames.
    mode: conn.kind === 'exec' && !conn.pty ? 'exec' : 'shell',
    label: `${conn.targetUser}@${conn.targetName}`,
    connectionId: conn.id,
    io: deps,
  });
}
