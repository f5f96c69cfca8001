/**
 * The Socket Mode side of the fake, as Slack runs it:
 *
 * - `apps.connections.open` issues a one-use ticket URL; the client opens a websocket there and
 *   Slack says `{type: 'hello', num_connections, debug_info, connection_info}` at once.
 * - Envelopes `{envelope_id, type, payload, accepts_response_payload, retry_attempt, retry_reason}`
 *   go to the newest healthy connection (or wait for one). The app acks with
 *   `{envelope_id, payload}` on any connection. An envelope not acked within the deadline is sent
 *   again with the same envelope_id, `retry_attempt + 1` and `retry_reason: 'timeout'`, up to
 *   `maxRedeliveries` times.
 * - `disconnect` messages (`refresh_requested`, `warning`, `link_disabled`, `too_many_websockets`)
 *   ask the client to go; the fake closes the socket itself after a grace period if the client
 *   has not. `drop()` cuts sockets without a word; `stall()` leaves them open but silent (no
 *   pongs), a half-open link the client must detect by itself.
 * - The fake pings every socket periodically (the client watches for those pings).
 * - Like Slack, the fake does not close the TCP connection after a close handshake
 *   (`lingerAfterClose`): the client notices only through its own pong watchdog.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AckRecord, ConnectionInfo, Envelope, Json, ResolvedOptions } from './types';
import { hex } from './ids';

interface Conn {
  id: number;
  ws: WebSocket;
  openedAt: number;
  closedAt: number | null;
  open: boolean;
  disconnectReason: string | null;
  stalled: boolean;
  ping?: NodeJS.Timeout;
}

export interface Tracked {
  envelope: Envelope;
  deliveries: { attempt: number; at: number; connectionId: number }[];
  nextAttempt: number;
  acked: boolean;
  applied: boolean;
  timer?: NodeJS.Timeout;
}

export interface AckEffect {
  applied: boolean;
  effectError?: string;
}

/**
 * Slack completes the websocket close handshake but leaves the TCP connection open: the client
 * has to drop it itself. `ws` would end the socket right after the handshake, so hold that back
 * until the peer ends or destroys its side.
 */
function lingerAfterClose(ws: WebSocket) {
  const sock = (ws as unknown as { _socket?: Duplex })._socket;
  if (!sock) return;
  const end = sock.end.bind(sock);
  let peerEnded = false;
  sock.on('end', () => {
    peerEnded = true;
    end();
  });
  sock.end = ((...args: Parameters<Duplex['end']>) => (peerEnded ? end(...args) : sock)) as Duplex['end'];
}

export class SocketModeServer extends EventEmitter {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly conns: Conn[] = [];
  private readonly tickets = new Set<string>();
  private readonly tracked = new Map<string, Tracked>();
  private readonly outbox: { t: Tracked; env: Envelope }[] = [];
  private readonly sent: Envelope[] = [];
  private readonly ackLog: AckRecord[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private connSeq = 0;
  private closed = false;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly appId: string,
    /** Applies an ack's payload (slash command reply, view_submission response_action…). */
    private readonly applyAck: (t: Tracked, payload: Json) => AckEffect,
  ) {
    super();
  }

  issueUrl(wsBase: string): string {
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return `${wsBase}/link/?ticket=${ticket}&app_id=${this.appId}`;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (this.closed || !/^\/link\/?$/.test(url.pathname) || !this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
  }

  private onConnection(ws: WebSocket) {
    const conn: Conn = { id: ++this.connSeq, ws, openedAt: Date.now(), closedAt: null, open: true, disconnectReason: null, stalled: false };
    this.conns.push(conn);
    if (this.options.lingerAfterClose) lingerAfterClose(ws);
    ws.on('error', () => {});
    ws.on('close', () => {
      conn.open = false;
      conn.closedAt = Date.now();
      clearInterval(conn.ping);
      this.emit('change');
    });
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.onClientMessage(conn, data.toString());
    });
    if (this.openConns().length > this.options.maxConnections) {
      this.sendDisconnect(conn, 'too_many_websockets');
      return;
    }
    this.sendJson(conn, {
      type: 'hello',
      num_connections: this.openConns().length,
      debug_info: { host: `applink-fake-${hex(3)}`, build_number: 1, approximate_connection_time: 18060 },
      connection_info: { app_id: this.appId },
    });
    if (this.options.pingIntervalMs > 0) {
      conn.ping = setInterval(() => {
        if (conn.open && !conn.stalled) conn.ws.ping(Buffer.from(`ping-${Date.now()}`));
      }, this.options.pingIntervalMs);
    }
    this.emit('connection', conn.id);
    this.emit('change');
    this.flush();
  }

  private openConns(): Conn[] {
    return this.conns.filter((c) => c.open);
  }

  /** Where Slack sends the next envelope: the newest open connection not asked to go away. */
  private target(): Conn | undefined {
    const usable = this.conns.filter((c) => c.ws.readyState === c.ws.OPEN && c.disconnectReason === null);
    return usable.filter((c) => !c.stalled).at(-1) ?? usable.at(-1);
  }

  private sendJson(conn: Conn, msg: Json) {
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(JSON.stringify(msg));
  }

  private timer(fn: () => void, ms: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private cancel(t: NodeJS.Timeout | undefined) {
    if (t === undefined) return;
    clearTimeout(t);
    this.timers.delete(t);
  }

  send(type: Envelope['type'], payload: Json, acceptsResponsePayload: boolean): Tracked {
    const envelope: Envelope = { envelope_id: randomUUID(), type, payload, accepts_response_payload: acceptsResponsePayload, retry_attempt: 0, retry_reason: '' };
    const t: Tracked = { envelope, deliveries: [], nextAttempt: 1, acked: false, applied: false };
    this.tracked.set(envelope.envelope_id, t);
    this.outbox.push({ t, env: envelope });
    this.flush();
    return t;
  }

  /** Send an envelope again as Slack does after a timeout, whether or not it was acked. */
  redeliver(envelopeId: string): Envelope {
    const t = this.tracked.get(envelopeId);
    if (!t) throw new Error(`no envelope ${envelopeId} was sent by the fake`);
    const env: Envelope = { ...t.envelope, retry_attempt: t.nextAttempt++, retry_reason: 'timeout' };
    this.outbox.push({ t, env });
    this.flush();
    return env;
  }

  private flush() {
    while (this.outbox.length > 0) {
      const conn = this.target();
      if (!conn || this.closed) return;
      const { t, env } = this.outbox.shift() as { t: Tracked; env: Envelope };
      this.sendJson(conn, env);
      t.deliveries.push({ attempt: env.retry_attempt, at: Date.now(), connectionId: conn.id });
      this.sent.push(env);
      if (!t.acked) {
        this.cancel(t.timer);
        t.timer = this.timer(() => this.onDeadline(t, env.retry_attempt), this.options.ackDeadlineMs);
      }
      this.emit('delivered', env);
      this.emit('change');
    }
  }

  private onDeadline(t: Tracked, attempt: number) {
    this.emit('deadline', t.envelope.envelope_id, attempt);
    if (t.acked || t.nextAttempt > this.options.maxRedeliveries) return;
    const env: Envelope = { ...t.envelope, retry_attempt: t.nextAttempt++, retry_reason: 'timeout' };
    this.outbox.push({ t, env });
    this.flush();
  }

  private onClientMessage(conn: Conn, raw: string) {
    let msg: Json;
    try {
      msg = JSON.parse(raw);
    } catch {
      return;
    }
    if (typeof msg?.envelope_id !== 'string') return;
    const at = Date.now();
    const t = this.tracked.get(msg.envelope_id);
    const last = t?.deliveries.filter((d) => d.at <= at).at(-1);
    const latency = last ? at - last.at : null;
    const within = latency !== null && latency <= this.options.ackDeadlineMs;
    const record: AckRecord = {
      envelope_id: msg.envelope_id, type: t?.envelope.type ?? null, payload: msg.payload, at, deliveredAt: last?.at ?? null,
      attempt: last?.attempt ?? null, latencyMs: latency, withinDeadline: within, duplicate: this.ackLog.some((a) => a.envelope_id === msg.envelope_id),
      unknown: !t, connectionId: conn.id, applied: false,
    };
    if (t) {
      t.acked = true;
      this.cancel(t.timer);
      if (!t.applied && within) {
        const effect = this.applyAck(t, msg.payload);
        record.applied = effect.applied;
        if (effect.applied) t.applied = true;
        if (effect.effectError !== undefined) record.effectError = effect.effectError;
      }
    }
    this.ackLog.push(record);
    this.emit('ack', record);
    this.emit('change');
  }

  private sendDisconnect(conn: Conn, reason: string) {
    conn.disconnectReason = reason;
    this.sendJson(conn, { type: 'disconnect', reason, debug_info: { host: `applink-fake-${hex(3)}` } });
    this.timer(() => {
      if (!conn.open) return;
      conn.ws.close(1000);
      this.timer(() => conn.open && conn.ws.terminate(), 1000);
    }, this.options.disconnectGraceMs);
  }

  /** Ask every open connection to go; resolves once they are all closed. */
  disconnect(reason: string): Promise<void> {
    const targets = this.openConns();
    for (const c of targets) this.sendDisconnect(c, reason);
    this.emit('change');
    return new Promise((resolve) => {
      const check = () => {
        if (this.closed || targets.every((c) => !c.open)) {
          this.off('change', check);
          resolve();
        }
      };
      this.on('change', check);
      check();
    });
  }

  /** Cut every open socket without a close frame (a network failure, a Slack pod dying). */
  drop() {
    for (const c of this.openConns()) c.ws.terminate();
  }

  /** Keep sockets open but silent: no more reads (so no pongs), no pings, no deliveries. */
  stall() {
    for (const c of this.openConns()) {
      c.stalled = true;
      (c.ws as unknown as { _socket?: { pause(): void } })._socket?.pause();
    }
    this.emit('change');
  }

  connections(): ConnectionInfo[] {
    return this.conns.map((c) => ({
      id: c.id, openedAt: c.openedAt, closedAt: c.closedAt, open: c.open, closing: c.open && c.ws.readyState !== c.ws.OPEN, disconnectReason: c.disconnectReason,
    }));
  }

  envelopes(): Envelope[] {
    return structuredClone(this.sent);
  }

  acks(): AckRecord[] {
    return structuredClone(this.ackLog);
  }

  trackedEnvelope(id: string): Tracked | undefined {
    return this.tracked.get(id);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.conns) {
      clearInterval(c.ping);
      if (c.open) c.ws.terminate();
    }
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.emit('closed');
    this.emit('change');
  }
}
