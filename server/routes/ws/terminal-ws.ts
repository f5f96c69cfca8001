/**
 * `/ws/connections/:id`: attaches a websocket client to a live connection. Binary frames are
 * terminal bytes both ways; text frames are the JSON controls of protocol/terminal-messages.
 * The message handler is attached synchronously (before any await) so no frame is lost, and
 * frames that arrive before the attach completes are queued in order.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { CLOSE } from '../../../protocol/close-codes';
import { GatehouseError } from '../../../protocol/errors';
import { parseClientControl, STREAM_STDERR, STREAM_STDOUT, type ServerControl } from '../../../protocol/terminal-messages';
import type { Services } from '../../services';
import type { TerminalClient } from '../../../gateway/types';
import type { LiveConnection } from '../../../gateway/live-connection';
import { visibleConnection } from '../api/connections-routes';

const MAX_INPUT_FRAME = 64 * 1024;
const LOW_WATER = 256 * 1024;
const STDOUT_TAG = Buffer.of(STREAM_STDOUT);
const STDERR_TAG = Buffer.of(STREAM_STDERR);

/** Adapts a websocket to the broker's TerminalClient, counting bytes not yet on the wire. */
function wsClient(socket: WebSocket, label: string): TerminalClient {
  let pending = 0;
  let waiters: (() => void)[] = [];
  const sent = (n: number) => () => {
    pending -= n;
    if (pending <= LOW_WATER && waiters.length) {
      const w = waiters;
      waiters = [];
      w.forEach((f) => f());
    }
  };
  socket.on('close', () => sent(pending)());
  return {
    label,
    sendOutput(data, stream) {
      if (socket.readyState !== socket.OPEN) return;
      pending += data.length;
      if (stream === undefined) return socket.send(data, { binary: true }, sent(data.length));
      // The stream tag and the bytes go as two fragments of one message: the receiver sees one
      // binary message [tag, ...data], and the service does not copy every chunk to prepend a byte.
      socket.send(stream === 2 ? STDERR_TAG : STDOUT_TAG, { binary: true, fin: false });
      socket.send(data, { binary: true, fin: true }, sent(data.length));
    },
    sendControl(msg: ServerControl) {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(msg));
    },
    backlog: () => pending,
    whenDrained: () => (pending <= LOW_WATER ? Promise.resolve() : new Promise((r) => waiters.push(r))),
    close(code, reason) {
      if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(code, reason);
    },
  };
}

export function registerTerminalWs(app: FastifyInstance, s: Services): void {
  app.get('/ws/connections/:id', { websocket: true }, (socket: WebSocket, req: FastifyRequest<{ Params: { id: string } }>) => {
    const client = wsClient(socket, req.ip);
    const queue: { data: Buffer; binary: boolean }[] = [];
    let conn: LiveConnection | null = null;
    let busy = false;
    let closed = false;

    const drain = async () => {
      if (busy || !conn) return;
      busy = true;
      while (queue.length && !closed) {
        const { data, binary } = queue.shift()!;
        if (binary) {
          if (data.length > MAX_INPUT_FRAME) {
            client.close(4400, 'input frame too large');
            break;
          }
          // Backpressure: stop reading the socket while the target cannot take more input.
          socket.pause();
          await conn.input(client, data);
          socket.resume();
        } else {
          const msg = parseClientControl(data.toString('utf8'));
          if ('error' in msg) {
            client.close(4400, msg.error);
            break;
          }
          if (msg.type === 'eof') conn.endInput(client);
          else conn.resize(client, { cols: msg.cols, rows: msg.rows });
        }
      }
      busy = false;
    };

    socket.on('message', (data: Buffer, isBinary: boolean) => {
      queue.push({ data, binary: isBinary });
      if (queue.length > 1024) client.close(4400, 'too many frames queued');
      else void drain();
    });
    socket.on('close', () => {
      closed = true;
      conn?.detach(client, req.auth?.user.email ?? 'unknown', 'client disconnected');
    });

    void (async () => {
      try {
        if (!req.auth) throw new GatehouseError('UNAUTHENTICATED');
        if (req.auth.user.must_change_password) throw new GatehouseError('PASSWORD_CHANGE_REQUIRED');
        const row = await visibleConnection(s, req.auth, req.params.id);
        const live = s.broker.get(row.id);
        if (!live) throw new GatehouseError('NOT_FOUND', 'connection is closed');
        if (closed) return;
        await live.attach(client, req.auth.user.email);
        conn = live;
        if (closed) live.detach(client, req.auth.user.email, 'client disconnected');
        else void drain();
      } catch (e) {
        const err = e instanceof GatehouseError ? e : new GatehouseError('INTERNAL');
        if (!(e instanceof GatehouseError)) s.log(`ws ${req.params.id}: ${(e as Error).stack ?? e}`);
        client.close(err.wsCloseCode, err.message.slice(0, 120));
      }
    })();
  });
}
