/**
 * The agent's side of one link: answers the gateway's hello, opens runners (pty, exec, tcp) for
 * `open` frames and moves their bytes under credit-based flow control.
 *
 * What must stay true:
 * - Every incoming frame is validated (decodeFrame); anything malformed, out of order or beyond
 *   credit is a protocol error: one line on the log, the link ends, the process carries on.
 * - Output is sent only within the credit the gateway granted; when a stream has none left its
 *   runner is paused, so a slow reader at the gateway stops the program, not our memory.
 * - Input credit is granted back only as the runner's stdin accepts the bytes.
 * - `exit`/`close` of a stream are sent after all of its output, never before.
 * - Frames for a stream that already ended are ignored (they cross in flight), except that the
 *   gateway may never reuse a stream id.
 * - When the link ends, every runner is killed.
 * - With `sign` (a remote agent), we say hello only in answer to the gateway's, with our
 *   signature over its challenge, and refuse a gateway that sends no challenge; without it
 *   (the embedded stdio agent) we say hello first and refuse a challenge we cannot answer.
 */
import {
  AGENT_PROTOCOL_VERSION, agentAuthMessage, DEFAULT_WINDOW, decodeFrame, encodeFrame,
  type Frame, type OpenFailCode, type OpenSpec,
} from '../protocol/agent-frames';
import { CreditedSender, RecvWindow } from '../protocol/credit';
import type { FrameTransport } from '../protocol/frame-transport';
import { startExec } from './runners/exec-runner';
import { startPty } from './runners/pty-runner';
import type { AgentIdentity, Runner, RunnerSink, StartResult } from './runners/runner';
import { startTcp } from './runners/tcp-runner';

export interface AgentSessionOptions {
  name: string;
  hostname: string;
  agentVersion: string;
  identity: AgentIdentity;
  /** One line per call, no trailing newline (the agent's stderr). */
  log: (line: string) => void;
  maxStreams?: number;
  /** Credit granted to the gateway per stream for stdin. */
  window?: number;
  /** How long `closed` waits for killed runners before resolving anyway. */
  killTimeoutMs?: number;
  /** Remote agents: signs the challenge message with the agent's identity (base64url signature). */
  sign?: (message: string) => string;
  /** Called once, when the gateway accepted us (its first frame after the hellos). */
  onAccepted?: () => void;
  /**
   * From acceptance on: ping every intervalMs and end the link when nothing at all came from
   * the gateway for timeoutMs (a silent network path; a dead peer's socket usually closes).
   */
  keepalive?: { intervalMs: number; timeoutMs: number };
}

interface StreamState {
  id: number;
  phase: 'opening' | 'open';
  /** Ended for us (closed by the gateway, or exit/close sent, or link gone): ignore runner events. */
  done: boolean;
  /** exit/close is queued behind the output; no more output is accepted. */
  finishing: boolean;
  runner: Runner | null;
  sender: CreditedSender;
  recv: RecvWindow | null;
  paused: boolean;
  /** Runner events and gateway requests that arrived before `opened` was sent. */
  early: Array<() => void>;
}

const EMPTY = new Uint8Array(0);
const MAX_TEXT = 1024;

export class AgentSession {
  /** Resolves with the reason once the link has ended and every runner is gone. */
  readonly closed: Promise<string>;
  private resolveClosed!: (reason: string) => void;
  private readonly streams = new Map<number, StreamState>();
  /** Opens in progress; the link's end waits for them too, so no runner outlives it. */
  private readonly starting = new Set<Promise<void>>();
  private helloSeen = false;
  private accepted = false;
  private lastFrameAt = 0;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private ended = false;
  private readonly maxStreams: number;
  private readonly window: number;

  constructor(
    private readonly transport: FrameTransport,
    private readonly opts: AgentSessionOptions,
  ) {
    this.closed = new Promise((r) => (this.resolveClosed = r));
    this.maxStreams = opts.maxStreams ?? 1024;
    this.window = opts.window ?? DEFAULT_WINDOW;
  }

  start(): void {
    this.transport.start({ frame: (b) => this.onFrame(b), invalid: (r) => this.protocolError(r), end: (r) => this.onEnd(r) });
    if (!this.opts.sign) this.sayHello();
  }

  private sayHello(signature?: string): void {
    this.send({
      type: 'hello',
      stream: 0,
      body: { role: 'agent', v: AGENT_PROTOCOL_VERSION, name: this.opts.name, hostname: this.opts.hostname, agentVersion: this.opts.agentVersion, ...(signature ? { signature } : {}) },
    });
  }

  private accept(): void {
    this.accepted = true;
    this.opts.onAccepted?.();
    const k = this.opts.keepalive;
    if (!k || this.ended) return;
    let nonce = 0;
    this.keepaliveTimer = setInterval(() => {
      if (performance.now() - this.lastFrameAt >= k.timeoutMs) {
        this.opts.log(`gatehouse agent: nothing from the service for ${k.timeoutMs / 1000}s; closing the link`);
        return this.transport.close(`no frame from the service for ${k.timeoutMs / 1000}s`);
      }
      nonce = (nonce + 1) >>> 0;
      this.send({ type: 'ping', stream: 0, nonce });
    }, Math.min(k.intervalMs, k.timeoutMs / 2));
    this.keepaliveTimer.unref();
  }

  /** Ends the link and kills every runner; resolves when they are gone. */
  close(reason: string): Promise<string> {
    this.transport.close(reason);
    return this.closed;
  }

  get streamCount(): number {
    return this.streams.size;
  }

  private send(f: Frame): void {
    if (!this.ended) this.transport.send(encodeFrame(f));
  }

  private protocolError(reason: string): void {
    if (this.ended) return;
    this.opts.log(`gatehouse agent: protocol error: ${reason}; closing the link`);
    this.transport.close(`protocol error: ${reason}`, 1002);
  }

  private onEnd(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    const kills: Promise<void>[] = [];
    for (const s of this.streams.values()) {
      s.done = true;
      s.sender.close();
      if (s.runner) kills.push(s.runner.kill());
    }
    this.streams.clear();
    const timeout = new Promise<void>((r) => setTimeout(r, this.opts.killTimeoutMs ?? 5000).unref());
    void Promise.race([Promise.all([...kills, ...this.starting]), timeout]).then(() => this.resolveClosed(reason));
  }

  private onFrame(bytes: Uint8Array): void {
    if (this.ended) return;
    this.lastFrameAt = performance.now();
    const r = decodeFrame(bytes);
    if (!r.ok) return this.protocolError(r.error);
    const f = r.frame;
    if (!this.helloSeen) {
      if (f.type !== 'hello') return this.protocolError(`expected hello, got ${f.type}`);
      if (f.body.role !== 'gateway') return this.protocolError('hello from a peer that is not a gateway');
      if (f.body.v !== AGENT_PROTOCOL_VERSION) return this.protocolError(`unsupported protocol version ${f.body.v} (this agent speaks ${AGENT_PROTOCOL_VERSION})`);
      this.helloSeen = true;
      const challenge = f.body.challenge;
      if (this.opts.sign) {
        if (challenge === undefined) return this.protocolError('the gateway sent no challenge; refusing to serve an unauthenticated link');
        let signature: string;
        try {
          signature = this.opts.sign(agentAuthMessage(challenge, this.opts.name));
        } catch (e) {
          this.opts.log(`gatehouse agent: cannot sign the challenge: ${(e as Error).message}`);
          return this.transport.close('cannot sign the challenge');
        }
        return this.sayHello(signature);
      }
      if (challenge !== undefined) return this.protocolError('the gateway sent a challenge, but this agent has no identity to answer it');
      return this.accept();
    }
    if (!this.accepted) this.accept();
    switch (f.type) {
      case 'ping':
        return this.send({ type: 'pong', stream: 0, nonce: f.nonce });
      case 'pong':
        return;
      case 'open': {
        const p = this.onOpen(f.stream, f.body.spec, f.body.window);
        this.starting.add(p);
        void p.finally(() => this.starting.delete(p));
        return;
      }
      case 'hello':
      case 'opened':
      case 'open_failed':
      case 'stderr':
      case 'exit':
        return this.protocolError(`the gateway may not send ${f.type}`);
    }
    const s = this.streams.get(f.stream);
    if (!s) return; // ended already; this frame crossed our exit/close in flight
    switch (f.type) {
      case 'data': {
        if (s.phase === 'opening' || !s.recv) return this.protocolError(`data on stream ${s.id} before it was opened`);
        const n = f.data.length;
        if (!s.recv.receive(n)) return this.protocolError(`stream ${s.id} sent ${n} bytes beyond its credit`);
        if (s.done || s.finishing) return;
        s.runner!.write(f.data, () => {
          if (s.done) return;
          const grant = s.recv!.drained(n);
          if (grant > 0) this.send({ type: 'credit', stream: s.id, bytes: grant });
        });
        return;
      }
      case 'credit': {
        const err = s.sender.grant(f.bytes);
        if (err) return this.protocolError(`stream ${s.id}: ${err}`);
        if (s.paused && s.sender.backlog === 0 && !s.done) {
          s.paused = false;
          s.runner?.resumeOutput();
        }
        return;
      }
      case 'resize':
        return this.whenOpen(s, () => s.runner!.resize(f.body.cols, f.body.rows));
      case 'eof':
        return this.whenOpen(s, () => s.runner!.endInput());
      case 'close':
        return this.closeStream(s);
    }
  }

  private whenOpen(s: StreamState, fn: () => void): void {
    if (s.done) return;
    if (s.phase === 'opening') s.early.push(fn);
    else fn();
  }

  /** The gateway closed the stream: kill the runner; nothing more is sent for it. */
  private closeStream(s: StreamState): void {
    s.done = true;
    this.streams.delete(s.id);
    s.sender.close();
    if (s.runner) void s.runner.kill();
  }

  private async onOpen(id: number, spec: OpenSpec, window: number): Promise<void> {
    if (this.streams.has(id)) return this.protocolError(`stream ${id} is already open`);
    if (this.streams.size >= this.maxStreams) {
      return this.send({ type: 'open_failed', stream: id, body: { code: 'SPAWN_FAILED', message: `too many open streams (${this.maxStreams})` } });
    }
    const s: StreamState = {
      id, phase: 'opening', done: false, finishing: false, runner: null, recv: null, paused: false, early: [],
      sender: new CreditedSender(window, (kind, chunk) => this.send({ type: kind, stream: id, data: chunk })),
    };
    this.streams.set(id, s);
    let result: StartResult;
    try {
      result = await this.startRunner(spec, this.sinkFor(s));
    } catch (e) {
      result = { ok: false, code: 'SPAWN_FAILED', message: `cannot start: ${(e as Error).message}` };
    }
    if (s.done) {
      // Closed by the gateway (or the link ended) while we were starting it.
      if (result.ok) await result.runner.kill();
      return;
    }
    if (!result.ok) {
      this.streams.delete(id);
      return this.sendOpenFailed(id, result.code, result.message);
    }
    s.runner = result.runner;
    s.phase = 'open';
    s.recv = new RecvWindow(this.window);
    this.send({ type: 'opened', stream: id, body: { window: this.window, ...(result.runner.shell ? { shell: result.runner.shell } : {}) } });
    for (const fn of s.early.splice(0)) {
      if (!s.done) fn();
    }
  }

  private sendOpenFailed(id: number, code: OpenFailCode, message: string): void {
    this.send({ type: 'open_failed', stream: id, body: { code, message: clip(message || code) } });
  }

  private startRunner(spec: OpenSpec, sink: RunnerSink): Promise<StartResult> {
    const who = this.opts.identity;
    switch (spec.kind) {
      case 'shell':
        return startPty(spec, who, sink);
      case 'exec':
        return spec.pty ? startPty({ ...spec, pty: spec.pty }, who, sink) : startExec(spec, who, sink);
      case 'tcp':
        return startTcp(spec, sink);
    }
  }

  private sinkFor(s: StreamState): RunnerSink {
    const live = (fn: () => void) => {
      if (s.done || s.finishing) return;
      if (s.phase === 'opening') s.early.push(fn);
      else fn();
    };
    const finish = (frame: Frame) =>
      live(() => {
        s.finishing = true;
        // The empty chunk is a marker: its callback runs once all output before it was sent.
        s.sender.enqueue('data', EMPTY, () => {
          if (s.done) return;
          this.send(frame);
          s.done = true;
          this.streams.delete(s.id);
        });
      });
    return {
      output: (kind, chunk) =>
        live(() => {
          s.sender.enqueue(kind, chunk);
          if (s.sender.backlog > 0 && !s.paused) {
            s.paused = true;
            s.runner!.pauseOutput();
          }
        }),
      outputEnd: () =>
        live(() => {
          s.sender.enqueue('data', EMPTY, () => {
            if (!s.done) this.send({ type: 'eof', stream: s.id });
          });
        }),
      exit: (code, signal) => {
        const c = code !== null && Number.isInteger(code) && code >= 0 && code <= 255 ? code : null;
        finish({ type: 'exit', stream: s.id, body: { code: c, ...(signal ? { signal: signal.slice(0, 32) } : {}) } });
      },
      fail: (reason) => finish({ type: 'close', stream: s.id, body: { reason: clip(reason) } }),
    };
  }
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? text.slice(0, MAX_TEXT - 1) + '…' : text;
}
