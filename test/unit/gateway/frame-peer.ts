/**
 * Test double for the far end of an agent link: an in-memory FrameTransport for the side under
 * test, and a scripted peer that sees decoded frames and sends frames (or raw bytes) back.
 * Delivery is asynchronous (setImmediate), as with real pipes and sockets.
 */
import { decodeFrame, encodeFrame, type Frame, type FrameTypeName } from '../../../protocol/agent-frames';

export interface Handlers {
  frame(bytes: Uint8Array): void;
  invalid(reason: string): void;
  end(reason: string): void;
}

export interface MemoryTransport {
  start(h: Handlers): void;
  send(frame: Uint8Array): void;
  close(reason: string, code?: number): void;
}

export class ScriptedPeer {
  readonly transport: MemoryTransport;
  readonly received: Frame[] = [];
  /** Resolves with the reason when the side under test ended the link (or we did). */
  readonly ended: Promise<string>;
  endReason: string | null = null;
  /** The websocket close code the side under test gave when it closed the link. */
  endCode: number | undefined;
  private handlers: Handlers | null = null;
  private waiters: Array<() => void> = [];
  private resolveEnded!: (r: string) => void;

  constructor() {
    this.ended = new Promise((r) => (this.resolveEnded = r));
    const end = (reason: string) => {
      if (this.endReason !== null) return;
      this.endReason = reason;
      this.resolveEnded(reason);
      // Like the real transports: the side under test hears its own close synchronously.
      this.handlers?.end(reason);
    };
    this.transport = {
      start: (h) => {
        this.handlers = h;
      },
      send: (bytes) => {
        if (this.endReason !== null) return;
        const r = decodeFrame(bytes);
        if (!r.ok) throw new Error(`side under test sent an invalid frame: ${r.error}`);
        this.received.push(r.frame);
        for (const w of this.waiters.splice(0)) w();
      },
      close: (reason, code) => {
        if (this.endReason === null) this.endCode = code;
        end(reason);
      },
    };
  }

  send(f: Frame): void {
    this.sendRaw(encodeFrame(f));
  }

  sendRaw(bytes: Uint8Array): void {
    setImmediate(() => {
      if (this.endReason === null) this.handlers?.frame(bytes);
    });
  }

  /** The peer hangs up. */
  hangUp(reason = 'peer hung up'): void {
    if (this.endReason !== null) return;
    this.endReason = reason;
    this.resolveEnded(reason);
    setImmediate(() => this.handlers?.end(reason));
  }

  /** Waits for the next frame of `type` (optionally on `stream`) not yet taken by an earlier call. */
  async next<T extends FrameTypeName>(type: T, stream?: number, ms = 5000): Promise<Extract<Frame, { type: T }>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.received.findIndex((f) => f.type === type && (stream === undefined || f.stream === stream) && !this.taken.has(f));
      if (i >= 0) {
        const f = this.received[i]!;
        this.taken.add(f);
        return f as Extract<Frame, { type: T }>;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type} frame within ${ms} ms; got: ${this.received.map((f) => `${f.type}/${f.stream}`).join(' ')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  private readonly taken = new Set<Frame>();

  /** Frames of `type` received so far. */
  all<T extends FrameTypeName>(type: T, stream?: number): Array<Extract<Frame, { type: T }>> {
    return this.received.filter((f) => f.type === type && (stream === undefined || f.stream === stream)) as Array<Extract<Frame, { type: T }>>;
  }

  /** Total data bytes received on a stream. */
  dataBytes(stream: number, type: 'data' | 'stderr' = 'data'): number {
    return this.all(type, stream).reduce((n, f) => n + f.data.length, 0);
  }
}

export const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
