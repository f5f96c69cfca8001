/**
 * The gateway's side of one agent link: many Channels multiplexed over one FrameTransport.
 *
 * What must stay true:
 * - We choose stream ids (increasing, never reused), so a frame for an id we never allocated
 *   is a protocol error, while one for an id that already ended is a late frame and ignored.
 * - Every frame from the agent is validated; a malformed or out-of-order one ends this link
 *   (with a logged reason) and nothing else: its channels settle with the reason as error.
 * - `open` rejects with a GatehouseError, honours its AbortSignal (an abort after the open was
 *   sent also sends `close`, so nothing is left running on the agent), and never hangs past
 *   the link's end.
 * - With `auth` (remote agents), nothing but our hello is sent, and nothing but the agent's
 *   hello is accepted, until `verify` approved that hello; then our first frame is a ping.
 * - Presence (`keepalive`): any frame from the agent proves it alive, so a busy link needs no
 *   pong; a link silent for `timeoutMs` ends with `deadReason`.
 */
import {
  AGENT_PROTOCOL_VERSION, DEFAULT_WINDOW, decodeFrame, encodeFrame, MAX_WINDOW,
  type AgentHello, type Frame, type OpenFailCode, type OpenSpec,
} from '../../protocol/agent-frames';
import { AGENT_AUTH_FAILED, AGENT_CLOSE } from '../../protocol/close-codes';
import { GatehouseError, type ErrorCode } from '../../protocol/errors';
import type { Channel } from '../types';
import { AgentChannel } from './agent-channel';
import type { FrameTransport } from '../../protocol/frame-transport';

export interface AgentInfo {
  name: string;
  hostname: string;
  agentVersion: string;
}

export interface AgentLinkOptions {
  /** For log lines, e.g. "local agent". */
  label?: string;
  log?: (line: string) => void;
  /** Credit granted to the agent per stream for output. */
  window?: number;
  /** The agent must say hello within this time. */
  helloTimeoutMs?: number;
  /**
   * Ping every intervalMs (from the agent's hello on); when no frame at all arrived for
   * timeoutMs the link ends with `deadReason` (default: "keepalive: no pong within N ms").
   */
  keepalive?: { intervalMs: number; timeoutMs: number; deadReason?: string; deadCode?: number };
  /**
   * Remote agents: our hello carries `challenge`, and the agent's hello must pass `verify`
   * (its signature, checked against its registered key) before the link is usable. Refused:
   * the link ends with "agent authentication failed" (websocket close 4401).
   */
  auth?: { challenge: string; verify(hello: AgentHello): Promise<boolean> };
  /**
   * When set, channels cut off by the end of the link settle with this error instead of the
   * link's own reason (remote agents: "target offline", whatever killed the link); `closed`
   * still resolves with the detailed reason, for the log.
   */
  channelEndReason?: string;
}

type Slot =
  | { state: 'pending'; spec: OpenSpec; resolve: (c: Channel) => void; reject: (e: Error) => void; cleanup: () => void }
  | { state: 'open'; channel: AgentChannel };

const FAIL_CODES: Record<OpenFailCode, ErrorCode> = {
  TARGET_USER_UNKNOWN: 'TARGET_USER_UNKNOWN',
  NOT_PERMITTED: 'FORBIDDEN',
  SPAWN_FAILED: 'TARGET_UNAVAILABLE',
  CONNECT_FAILED: 'TARGET_UNAVAILABLE',
  BAD_REQUEST: 'TARGET_UNAVAILABLE',
};

export class AgentLink {
  /** Resolves with the reason once the link has ended. */
  readonly closed: Promise<string>;
  private resolveClosed!: (reason: string) => void;
  private endReason: string | null = null;
  private info: AgentInfo | null = null;
  private phase: 'hello' | 'verifying' | 'ready' = 'hello';
  /** performance.now() of the last frame from the agent. */
  private lastFrameAt = performance.now();
  /** Keepalive: fires when the link may have been silent for the whole timeout. */
  private deadline: NodeJS.Timeout | null = null;
  private readonly helloWaiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();
  private readonly slots = new Map<number, Slot>();
  private nextStream = 1;
  private readonly pings = new Map<number, { resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private nextNonce = 1;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly window: number;
  /** Names the link in log lines and errors; the owner may refine it once it knows the agent. */
  label: string;

  constructor(
    private readonly transport: FrameTransport,
    private readonly opts: AgentLinkOptions = {},
  ) {
    this.closed = new Promise((r) => (this.resolveClosed = r));
    this.window = Math.min(opts.window ?? DEFAULT_WINDOW, MAX_WINDOW);
    this.label = opts.label ?? 'agent';
    transport.start({ frame: (b) => this.onFrame(b), invalid: (r) => this.protocolError(r), end: (r) => this.onEnd(r) });
    if (this.endReason !== null) return;
    this.send({
      type: 'hello',
      stream: 0,
      body: { role: 'gateway', v: AGENT_PROTOCOL_VERSION, ...(opts.auth ? { challenge: opts.auth.challenge } : {}) },
    });
    const helloMs = opts.helloTimeoutMs ?? 10_000;
    const helloTimer = setTimeout(() => {
      if (this.phase !== 'ready') this.protocolError(`no ${this.phase === 'hello' ? 'hello' : 'authentication'} within ${helloMs} ms`);
    }, helloMs);
    helloTimer.unref();
    this.timers.push(helloTimer);
  }

  private startKeepalive(): void {
    if (!this.opts.keepalive || this.endReason !== null) return;
    const { intervalMs, timeoutMs } = this.opts.keepalive;
    let nonce = 0x80000000; // apart from ping()'s nonces (below 2^31); their pongs are ignored by design
    const pinger = setInterval(() => {
      nonce = nonce >= 0xffffffff ? 0x80000000 : nonce + 1;
      this.send({ type: 'ping', stream: 0, nonce });
    }, intervalMs);
    pinger.unref();
    this.timers.push(pinger);
    // One timer re-armed for the rest of the window, rather than one reset per frame.
    const check = () => {
      this.deadline = null;
      if (this.endReason !== null) return;
      const silent = performance.now() - this.lastFrameAt;
      if (silent >= timeoutMs) return this.dead();
      this.deadline = setTimeout(check, timeoutMs - silent + 1);
      this.deadline.unref();
    };
    check();
  }

  private dead(): void {
    const k = this.opts.keepalive!;
    const reason = k.deadReason ?? `keepalive: no pong within ${k.timeoutMs} ms`;
    this.opts.log?.(`${this.label}: no frame for ${k.timeoutMs} ms (${reason}); closing the link`);
    this.transport.close(reason, k.deadCode ?? AGENT_CLOSE.OFFLINE);
  }

  /** Wall-clock time of the last frame from the agent. */
  get lastSeen(): Date {
    return new Date(Date.now() - (performance.now() - this.lastFrameAt));
  }

  /** Resolves with the agent's hello once it was accepted (and verified); rejects if the link ends first. */
  ready(): Promise<AgentInfo> {
    return this.whenReady().then(() => this.info!);
  }

  /** The agent's hello, once received. */
  get agent(): AgentInfo | null {
    return this.info;
  }

  get isClosed(): boolean {
    return this.endReason !== null;
  }

  /** Opens a stream; resolves with its Channel once the agent answered `opened`. */
  async open(spec: OpenSpec, signal?: AbortSignal): Promise<Channel> {
    if (signal?.aborted) throw abortError(signal);
    this.assertOpen();
    if (this.nextStream > 0xffffffff) throw new GatehouseError('TARGET_UNAVAILABLE', 'agent link ran out of stream ids');
    const stream = this.nextStream++;
    // Validate with the same code the agent will use: a request it would reject must fail
    // here, as a bad request, not end the link for every other stream.
    let bytes: Uint8Array;
    try {
      bytes = encodeFrame({ type: 'open', stream, body: { spec, window: this.window } });
    } catch (e) {
      throw new GatehouseError('BAD_REQUEST', `open request too large: ${(e as Error).message}`);
    }
    const check = decodeFrame(bytes);
    if (!check.ok) throw new GatehouseError('BAD_REQUEST', `invalid open request: ${check.error}`);
    await this.whenReady(signal);
    return new Promise<Channel>((resolve, reject) => {
      // The signal may have fired, or the link ended, while we waited for the hello.
      if (signal?.aborted) return reject(abortError(signal));
      if (this.endReason !== null) return reject(this.linkError());
      const onAbort = () => {
        if (this.slots.get(stream)?.state !== 'pending') return;
        this.slots.delete(stream);
        this.send({ type: 'close', stream, body: { reason: 'open aborted' } });
        reject(abortError(signal!));
      };
      const cleanup = () => signal?.removeEventListener('abort', onAbort);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.slots.set(stream, { state: 'pending', spec, resolve, reject, cleanup });
      this.transport.send(bytes);
    });
  }

  /** Round-trip time of one ping in ms; rejects on timeout or when the link ends. */
  ping(timeoutMs = 10_000): Promise<number> {
    if (this.endReason !== null) return Promise.reject(this.linkError());
    const nonce = this.nextNonce;
    this.nextNonce = this.nextNonce >= 0x7fffffff ? 1 : this.nextNonce + 1;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pings.delete(nonce);
        reject(new Error(`no pong within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pings.set(nonce, { resolve: () => resolve(performance.now() - started), reject, timer });
      this.send({ type: 'ping', stream: 0, nonce });
    });
  }

  /** Ends the link; every channel's `exit` settles with `reason` (or `channelEndReason`) as its error. */
  close(reason: string, code?: number): void {
    this.transport.close(reason, code);
  }

  private send(f: Frame): void {
    if (this.endReason === null) this.transport.send(encodeFrame(f));
  }

  private protocolError(reason: string): void {
    if (this.endReason !== null) return;
    this.opts.log?.(`${this.label}: protocol error: ${reason}; closing the link`);
    this.transport.close(`${this.label} protocol error: ${reason}`, AGENT_CLOSE.PROTOCOL_ERROR);
  }

  private assertOpen(): void {
    if (this.endReason !== null) throw this.linkError();
  }

  private linkError(): GatehouseError {
    return new GatehouseError('TARGET_UNAVAILABLE', `${this.label} link closed: ${this.endReason}`);
  }

  private whenReady(signal?: AbortSignal): Promise<void> {
    if (this.endReason !== null) return Promise.reject(this.linkError());
    if (this.phase === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.helloWaiters.delete(waiter);
        reject(abortError(signal!));
      };
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (e: Error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.helloWaiters.add(waiter);
    });
  }

  private onEnd(reason: string): void {
    if (this.endReason !== null) return;
    this.endReason = reason;
    for (const t of this.timers) clearTimeout(t);
    if (this.deadline) clearTimeout(this.deadline);
    const err = this.linkError();
    for (const w of this.helloWaiters) w.reject(err);
    this.helloWaiters.clear();
    for (const p of this.pings.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pings.clear();
    const slots = [...this.slots.values()];
    this.slots.clear();
    for (const s of slots) {
      if (s.state === 'pending') {
        s.cleanup();
        s.reject(err);
      } else {
        s.channel.linkClosed(this.opts.channelEndReason ?? reason);
      }
    }
    this.resolveClosed(reason);
  }

  private accept(hello: AgentHello): void {
    this.info = { name: hello.name, hostname: hello.hostname, agentVersion: hello.agentVersion };
    this.phase = 'ready';
    for (const w of this.helloWaiters) w.resolve();
    this.helloWaiters.clear();
    this.startKeepalive();
  }

  private onFrame(bytes: Uint8Array): void {
    if (this.endReason !== null) return;
    this.lastFrameAt = performance.now();
    const r = decodeFrame(bytes);
    if (!r.ok) return this.protocolError(r.error);
    const f = r.frame;
    if (this.phase === 'verifying') return this.protocolError(`${f.type} before authentication completed`);
    if (this.phase === 'hello') {
      if (f.type !== 'hello') return this.protocolError(`expected hello, got ${f.type}`);
      if (f.body.role !== 'agent') return this.protocolError('hello from a peer that is not an agent');
      if (f.body.v !== AGENT_PROTOCOL_VERSION) return this.protocolError(`unsupported protocol version ${f.body.v} (the gateway speaks ${AGENT_PROTOCOL_VERSION})`);
      const hello = f.body;
      if (!this.opts.auth) {
        if (hello.signature !== undefined) return this.protocolError('hello carries a signature, but no challenge was sent');
        return this.accept(hello);
      }
      this.phase = 'verifying';
      const verdict = this.opts.auth.verify(hello).catch((e: Error) => {
        this.opts.log?.(`${this.label}: could not verify the agent's hello: ${e.message}`);
        return false;
      });
      void verdict.then((ok) => {
        if (this.endReason !== null) return;
        if (!ok) return this.transport.close(AGENT_AUTH_FAILED, AGENT_CLOSE.AUTH_FAILED);
        this.accept(hello);
        // Tells the agent it was accepted (agent-frames.ts), and measures the round trip.
        void this.ping(this.opts.keepalive?.timeoutMs ?? 10_000).catch(() => undefined);
      });
      return;
    }
    switch (f.type) {
      case 'ping':
        return this.send({ type: 'pong', stream: 0, nonce: f.nonce });
      case 'pong': {
        const p = this.pings.get(f.nonce);
        if (!p) return; // answered after its timeout
        this.pings.delete(f.nonce);
        clearTimeout(p.timer);
        p.resolve();
        return;
      }
      case 'hello':
      case 'open':
      case 'resize':
        return this.protocolError(`the agent may not send ${f.type}`);
    }
    const slot = this.slots.get(f.stream);
    if (!slot) {
      if (f.stream >= this.nextStream) return this.protocolError(`${f.type} on stream ${f.stream}, which was never opened`);
      return; // a stream we already closed; this frame crossed our close in flight
    }
    if (slot.state === 'pending') {
      if (f.type === 'opened') {
        slot.cleanup();
        const spec = slot.spec;
        const channel = new AgentChannel(
          {
            stream: f.stream,
            kind: spec.kind,
            separateStderr: spec.kind === 'exec' && !spec.pty,
            hasTerminal: spec.kind === 'shell' || (spec.kind === 'exec' && !!spec.pty),
            sendWindow: f.body.window,
            recvWindow: this.window,
            ...(f.body.shell !== undefined ? { shell: f.body.shell } : {}),
          },
          { send: (fr) => this.send(fr), release: (id) => this.slots.delete(id) },
        );
        this.slots.set(f.stream, { state: 'open', channel });
        return slot.resolve(channel);
      }
      if (f.type === 'open_failed') {
        slot.cleanup();
        this.slots.delete(f.stream);
        return slot.reject(new GatehouseError(FAIL_CODES[f.body.code], f.body.message));
      }
      return this.protocolError(`${f.type} on stream ${f.stream} before it was opened`);
    }
    if (f.type === 'opened' || f.type === 'open_failed') return this.protocolError(`${f.type} on stream ${f.stream}, which is already open`);
    const err = slot.channel.onFrame(f);
    if (err) this.protocolError(`stream ${f.stream}: ${err}`);
  }
}

/** The caller's own GatehouseError when it gave one as the abort reason, else TARGET_UNAVAILABLE. */
export function abortError(signal: AbortSignal): GatehouseError {
  const r: unknown = signal.reason;
  return r instanceof GatehouseError ? r : new GatehouseError('TARGET_UNAVAILABLE', 'open aborted', { cause: r });
}
