/**
 * A Channel over one stream of an agent link.
 *
 * Flow control, both ways:
 * - Output (agent → us): the agent may send only the credit we granted. Bytes are pushed into
 *   `io` (and `stderr`) regardless of their high-water marks, which is safe because the credit
 *   bounds them; credit is granted back only for bytes the consumer has actually taken out of
 *   those buffers (`read()` is the one place bytes leave a Readable, in paused and flowing
 *   mode alike), so a slow reader stops the remote program.
 * - Input (us → agent): `_write` hands bytes to a CreditedSender and calls back only once they
 *   were sent within the agent's credit, so a writer honouring backpressure waits for the agent.
 *
 * Consumers of an exec channel without a pty must read `stderr` too (pipe it or `resume()` it),
 * as with SSH extended data: stdout and stderr share one window, so unread stderr stalls the
 * stream once a window's worth is waiting.
 *
 * `exit` settles once: on the agent's exit frame, its close frame, our close(), or link death.
 * Then `io` and `stderr` end after what they buffered; later writes are dropped.
 */
import { Duplex, Readable } from 'node:stream';
import type { Frame } from '../../protocol/agent-frames';
import { CreditedSender, RecvWindow } from '../../protocol/credit';
import type { Channel, ChannelExit, CloseReason, TermSize } from '../types';

export interface StreamPort {
  send(f: Frame): void;
  /** The channel is finished; the link forgets its stream id (late frames are ignored). */
  release(stream: number): void;
}

export interface AgentChannelOptions {
  stream: number;
  kind: Channel['kind'];
  /** Exec without a pty: stderr frames go to a separate Readable. */
  separateStderr: boolean;
  /** Credit the agent granted us in `opened`. */
  sendWindow: number;
  /** Credit we granted the agent in `open`. */
  recvWindow: number;
  shell?: string;
  hasTerminal: boolean;
}

const BUFFER_MARK = 64 * 1024;
const MAX_REASON = 1024;

class ChannelIo extends Duplex {
  constructor(private readonly owner: AgentChannel) {
    super({ allowHalfOpen: true, readableHighWaterMark: BUFFER_MARK, writableHighWaterMark: BUFFER_MARK });
  }
  override _read(): void {
    this.owner.accountDrained();
  }
  override read(size?: number): unknown {
    const chunk: unknown = super.read(size);
    this.owner.accountDrained();
    return chunk;
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.owner.writeInput(chunk, cb);
  }
  override _final(cb: (err?: Error | null) => void): void {
    this.owner.endInput();
    cb();
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // Both directions finished normally: this is Node's auto-destroy, not a close; the agent's
    // exit frame settles `exit` (a TCP stream may end both ways before that frame arrives).
    if (!err && this.readableEnded && this.writableFinished) return cb(null);
    this.owner.close(err ? `channel stream error: ${err.message}` : 'channel stream destroyed');
    cb(err);
  }
}

class ChannelStderr extends Readable {
  constructor(private readonly owner: AgentChannel) {
    super({ highWaterMark: BUFFER_MARK });
  }
  override _read(): void {
    this.owner.accountDrained();
  }
  override read(size?: number): unknown {
    const chunk: unknown = super.read(size);
    this.owner.accountDrained();
    return chunk;
  }
}

export class AgentChannel implements Channel {
  readonly kind: Channel['kind'];
  readonly io: Duplex;
  readonly stderr?: Readable;
  readonly exit: Promise<ChannelExit>;
  readonly shell?: string;
  private resolveExit!: (e: ChannelExit) => void;
  private finished = false;
  private readEnded = false;
  private readonly sender: CreditedSender;
  private readonly recv: RecvWindow;
  private pushedIo = 0;
  private pushedErr = 0;
  private drained = 0;

  constructor(
    private readonly opts: AgentChannelOptions,
    private readonly port: StreamPort,
  ) {
    this.kind = opts.kind;
    if (opts.shell !== undefined) this.shell = opts.shell;
    this.exit = new Promise((r) => (this.resolveExit = r));
    this.recv = new RecvWindow(opts.recvWindow);
    this.sender = new CreditedSender(opts.sendWindow, (kind, chunk) => port.send({ type: kind, stream: opts.stream, data: chunk }));
    this.io = new ChannelIo(this);
    if (opts.separateStderr) this.stderr = new ChannelStderr(this);
  }

  get stream(): number {
    return this.opts.stream;
  }

  /** Handles a frame the agent sent on this stream; returns a protocol error message or null. */
  onFrame(f: Frame): string | null {
    switch (f.type) {
      case 'data':
      case 'stderr': {
        const n = f.data.length;
        if (!this.recv.receive(n)) return `${n} bytes beyond the granted credit`;
        if (this.readEnded) return `${f.type} after eof`;
        const buf = Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength);
        if (f.type === 'stderr' && this.stderr) {
          this.pushedErr += n;
          this.stderr.push(buf);
        } else {
          this.pushedIo += n;
          this.io.push(buf);
        }
        // A flowing consumer may have taken it synchronously inside push().
        this.accountDrained();
        return null;
      }
      case 'credit':
        return this.sender.grant(f.bytes);
      case 'eof':
        this.endReadable();
        return null;
      case 'exit':
        this.finish({ code: f.body.code, ...(f.body.signal ? { signal: f.body.signal } : {}) });
        return null;
      case 'close':
        this.finish({ code: null, error: f.body.reason || 'closed by the agent' });
        return null;
      default:
        return `${f.type} is not valid on an open stream`;
    }
  }

  /** The link died: settle without sending anything. */
  linkClosed(reason: string): void {
    this.finish({ code: null, error: reason });
  }

  resize(size: TermSize): void {
    if (this.finished || !this.opts.hasTerminal) return;
    // Out-of-range sizes would be a protocol error that ends the link for every stream on it.
    const cols = clampInt(size.cols, 1, 1000);
    const rows = clampInt(size.rows, 1, 500);
    this.port.send({ type: 'resize', stream: this.opts.stream, body: { cols, rows } });
  }

  close(reason: CloseReason): void {
    if (this.finished) return;
    const r = reason.length > MAX_REASON ? reason.slice(0, MAX_REASON) : reason;
    this.port.send({ type: 'close', stream: this.opts.stream, body: { reason: r } });
    this.finish({ code: null, error: reason });
  }

  /** Grants credit for every byte the consumers took out of `io`/`stderr` since last time. */
  accountDrained(): void {
    const drained = this.pushedIo - this.io.readableLength + this.pushedErr - (this.stderr?.readableLength ?? 0);
    const delta = drained - this.drained;
    if (delta <= 0) return;
    this.drained = drained;
    if (this.finished) return;
    const grant = this.recv.drained(delta);
    if (grant > 0) this.port.send({ type: 'credit', stream: this.opts.stream, bytes: grant });
  }

  writeInput(chunk: Buffer, cb: (err?: Error | null) => void): void {
    // After the end, input has nowhere to go; dropping it (rather than erroring) keeps a late
    // keystroke from turning into an unhandled 'error' event.
    if (this.finished) return cb();
    this.sender.enqueue('data', chunk, () => cb());
  }

  endInput(): void {
    if (!this.finished) this.port.send({ type: 'eof', stream: this.opts.stream });
  }

  private endReadable(): void {
    if (this.readEnded) return;
    this.readEnded = true;
    this.io.push(null);
    this.stderr?.push(null);
  }

  private finish(exit: ChannelExit): void {
    if (this.finished) return;
    this.finished = true;
    this.sender.close();
    this.endReadable();
    this.port.release(this.opts.stream);
    this.resolveExit(exit);
  }
}

function clampInt(v: number, min: number, max: number): number {
  const n = Number.isFinite(v) ? Math.trunc(v) : min;
  return Math.min(max, Math.max(min, n));
}
