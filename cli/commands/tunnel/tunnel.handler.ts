/**
 * A local listener whose every accepted TCP connection becomes one `/ws/tunnels` websocket.
 * Backpressure both ways: the local socket is paused while the websocket has more than
 * HIGH_WATER unsent, and the websocket is paused while the local socket cannot take more.
 * A local half-close is sent as `{type:'eof'}`; the service closing with 1000 ends the socket
 * after every byte was written.
 */
import { createServer, type Socket } from 'node:net';
import type { Deps } from '../../deps';
import { CliError } from '../../cli-errors';
import { requireLogin } from '../../services/logged-in';
import type { ApiClient } from '../../services/api-client';
import type { TunnelArgs } from './tunnel.command';

const HIGH_WATER = 1024 * 1024;

function carry(api: ApiClient, args: TunnelArgs, local: Socket, deps: Deps): void {
  local.pause();
  const ws = api.openSocket(`/ws/tunnels?target=${encodeURIComponent(args.target)}&port=${args.targetPort}`);
  let unsent = 0;
  ws.on('open', () => {
    local.on('data', (chunk: Buffer) => {
      unsent += chunk.length;
      ws.send(chunk, { binary: true }, () => {
        unsent -= chunk.length;
        if (local.isPaused() && unsent < HIGH_WATER / 4) local.resume();
      });
      if (unsent > HIGH_WATER) local.pause();
    });
    local.on('end', () => ws.send(JSON.stringify({ type: 'eof' })));
    local.resume();
  });
  ws.on('message', (data: Buffer, binary: boolean) => {
    if (!binary) return;
    if (!local.write(data)) {
      ws.pause();
      local.once('drain', () => ws.resume());
    }
  });
  ws.on('close', (code, reason) => {
    if (code === 1000) local.end();
    else {
      deps.stderr.write(`gate: tunnel connection closed by the service: ${reason.toString() || `code ${code}`}\n`);
      local.destroy();
    }
  });
  ws.on('error', (e) => {
    deps.stderr.write(`gate: tunnel connection failed: ${e.message}\n`);
    local.destroy();
  });
  local.on('error', () => ws.close());
  local.on('close', () => {
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close();
  });
}

export async function tunnelHandler(deps: Deps, args: TunnelArgs): Promise<number> {
  const { api } = await requireLogin(deps);
  // Fail early and clearly when the target is unknown or the tunnel action is not granted.
  const target = (await api.targets()).find((t) => t.name === args.target);
  if (!target) throw new CliError(`no target named ${args.target} (gate ls lists yours)`);
  if (!target.actions.includes('tunnel')) throw new CliError(`you may not open tunnels to ${args.target}`);

  // allowHalfOpen: the client's FIN is carried as eof; the answer may still come back.
  const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (sock) => carry(api, args, sock, deps));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new CliError(`cannot listen on ${args.bind}:${args.localPort}: ${e.message}`)));
    server.listen(args.localPort, args.bind, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : args.localPort;
  deps.stdout.write(`gate: tunnel listening on ${args.bind}:${port} -> ${args.target}:${args.targetPort}\n`);
  await new Promise<void>((resolve) => {
    const offs = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => deps.onSignal(sig, () => resolve()));
    server.once('close', () => resolve());
    void offs;
  });
  server.close();
  return 0;
}
