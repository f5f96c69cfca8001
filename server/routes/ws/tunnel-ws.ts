/**
 * `/ws/tunnels?target=T&port=P`: one websocket per TCP connection, carried to `127.0.0.1:P` as
 * seen from the target (through its agent). Binary frames are the TCP bytes both ways; the
 * client's `{type:'eof'}` half-closes towards the target; when the target side ends, the socket
 * closes with 1000 after every byte was handed to it. Not recorded (the bastion sees only
 * bytes), but logged as a connection and audited. Needs the `tunnel` action.
 *
 * Flow control: the socket is paused while the channel will not take more, and the channel is
 * paused while the socket has more than HIGH_WATER bytes unsent; memory stays bounded.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { timeOrderedId } from '../../store/time-ordered-id';
import { GatehouseError } from '../../../protocol/errors';
import { parseClientControl } from '../../../protocol/terminal-messages';
import type { Services } from '../../services';
import type { AccessService } from '../../access/access-service';
import type { Channel } from '../../../gateway/types';

const HIGH_WATER = 1024 * 1024;

export function registerTunnelWs(app: FastifyInstance, s: Services, access: AccessService): void {
  app.get('/ws/tunnels', { websocket: true }, (socket: WebSocket, req: FastifyRequest<{ Querystring: { target?: string; port?: string } }>) => {
    // Nothing is read until the channel is open (backpressure, not a queue); the few frames
    // ws had already parsed when paused are kept in order.
    socket.pause();
    const early: { data: Buffer; binary: boolean }[] = [];
    let earlyBytes = 0;
    let channel: Channel | null = null;
    let clientGone = false;
    const abort = new AbortController();
    const onMessage = (data: Buffer, binary: boolean) => {
      if (!channel) {
        early.push({ data, binary });
        earlyBytes += data.length;
        if (earlyBytes > 4 * 1024 * 1024) socket.close(4400, 'too much data before the tunnel opened');
        return;
      }
      if (!binary) {
        const msg = parseClientControl(data.toString('utf8'));
        if ('error' in msg || msg.type !== 'eof') socket.close(4400, 'error' in msg ? msg.error : 'tunnels take only eof controls');
        else channel.io.end();
        return;
      }
      if (!channel.io.write(data)) {
        socket.pause();
        channel.io.once('drain', () => socket.resume());
      }
    };
    socket.on('message', onMessage);
    socket.on('close', () => {
      clientGone = true;
      abort.abort(new GatehouseError('TARGET_UNAVAILABLE', 'client disconnected'));
      channel?.close('client disconnected');
    });

    void (async () => {
      let id: string | null = null;
      const actor = req.auth?.user.email ?? null;
      try {
        if (!req.auth) throw new GatehouseError('UNAUTHENTICATED');
        if (req.auth.user.must_change_password) throw new GatehouseError('PASSWORD_CHANGE_REQUIRED');
        const { target: targetName, port: portText } = req.query;
        const port = Number(portText);
        if (!targetName || !Number.isInteger(port) || port < 1 || port > 65535) throw new GatehouseError('BAD_REQUEST', 'tunnels need ?target=NAME&port=1..65535');
        let allowed;
        try {
          allowed = await access.decide(req.auth, targetName, 'tunnel', null);
        } catch (e) {
          s.audit.emit({ type: 'connection.open', v: 1, outcome: 'denied', target: targetName, reason: (e as Error).message }, { actor, source: req.ip });
          throw e;
        }
        id = timeOrderedId();
        await s.store.connections.create({ id, permit: allowed.permit, kind: 'tunnel', command: `tcp 127.0.0.1:${port}`, pty: false });
        s.audit.emit({ type: 'connection.open', v: 1, outcome: 'success', connectionId: id, target: targetName }, { actor, source: req.ip });
        const t = allowed.target;
        channel = await s.broker.openTunnel(id, allowed.permit, { id: t.id, name: t.name, kind: t.kind }, { kind: 'tcp', host: '127.0.0.1', port }, abort.signal);
        if (clientGone) channel.close('client disconnected');
        await s.store.connections.setState(id, 'connected', actor, null);
        pipeToSocket(channel, socket);
        for (const m of early.splice(0)) onMessage(m.data, m.binary);
        if (!channel.io.writableNeedDrain) socket.resume(); // else the drain handler resumes it
        const exit = await channel.exit;
        const reason = clientGone ? 'client disconnected' : (exit.error ?? 'closed');
        await s.store.connections.close(id, reason, clientGone ? actor : 'system', exit.code);
        s.audit.emit({ type: 'connection.close', v: 1, outcome: 'success', connectionId: id, reason, exitCode: exit.code }, { actor: clientGone ? actor : 'system', source: req.ip });
      } catch (e) {
        const err = e instanceof GatehouseError ? e : new GatehouseError('INTERNAL');
        if (!(e instanceof GatehouseError)) s.log(`tunnel: ${(e as Error).stack ?? e}`);
        if (id) await s.store.connections.close(id, err.message, 'system', null).catch(() => undefined);
        // Resume first: a paused socket never reads the client's close reply, and the closing
        // handshake would then wait for the library's 30 s timeout.
        socket.resume();
        if (socket.readyState === socket.OPEN) socket.close(err.wsCloseCode, err.message.slice(0, 120));
      }
    })();
  });
}

/** Target → client, pausing the channel while the socket has too much unsent. */
function pipeToSocket(channel: Channel, socket: WebSocket): void {
  let pending = 0;
  let paused = false;
  channel.io.on('data', (chunk: Buffer) => {
    if (socket.readyState !== socket.OPEN) return;
    pending += chunk.length;
    socket.send(chunk, { binary: true }, () => {
      pending -= chunk.length;
      if (paused && pending < HIGH_WATER / 4) {
        paused = false;
        channel.io.resume();
      }
    });
    if (!paused && pending > HIGH_WATER) {
      paused = true;
      channel.io.pause();
    }
  });
  channel.io.on('end', () => {
    // ws sends queued frames before the close frame, so nothing is lost.
    if (socket.readyState === socket.OPEN) socket.close(1000, 'eof');
  });
}
