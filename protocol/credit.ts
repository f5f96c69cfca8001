/**
 * Credit accounting for one direction of one agent-link stream, shared by both ends of the link
 * (pure: no clock, no I/O). See the flow-control rules in `agent-frames.ts`.
 *
 * - The receiver owns a `RecvWindow`: it checks that the peer never sends beyond the credit it
 *   was granted, and decides when to grant credit back, which happens only as its own consumer
 *   drains (so the bytes held for one stream never exceed the window).
 * - The sender owns a `CreditedSender`: a queue of outgoing bytes that is released only as
 *   credit arrives, cut into frames of at most `PREFERRED_FRAME_BYTES`. Each enqueued chunk may
 *   carry a `done` callback, called once its last byte has been handed to the link; a writable
 *   stream passes its write callback there, which is how backpressure reaches the producer.
 */
import { MAX_DATA_BYTES, MAX_WINDOW } from './agent-frames';

/** Frames bigger than this add latency for interactive streams without adding throughput. */
export const PREFERRED_FRAME_BYTES = 64 * 1024;

export class RecvWindow {
  /** Bytes the peer may still send before it must wait for credit. */
  private remaining: number;
  /** Bytes our consumer drained that were not granted back yet. */
  private pending = 0;
  private readonly threshold: number;

  /**
   * @param window the credit granted in open/opened.
   * @param threshold grant back once this many bytes were drained. Must be ≤ window, so a
   *   peer that used its whole window always gets credit once everything was drained (no
   *   deadlock); a quarter of the window keeps the pipe full without a credit frame per read.
   */
  constructor(window: number, threshold = Math.max(1, Math.floor(window / 4))) {
    this.remaining = window;
    this.threshold = Math.min(Math.max(1, threshold), Math.max(1, window));
  }

  /** Accounts bytes the peer sent. False when it exceeded its credit (a protocol error). */
  receive(bytes: number): boolean {
    if (bytes > this.remaining) return false;
    this.remaining -= bytes;
    return true;
  }

  /** Accounts bytes our consumer drained; returns the credit to grant now (0: not yet). */
  drained(bytes: number): number {
    this.pending += bytes;
    if (this.pending < this.threshold) return 0;
    const grant = Math.min(this.pending, MAX_WINDOW);
    this.pending -= grant;
    this.remaining += grant;
    return grant;
  }

  get available(): number {
    return this.remaining;
  }
}

export type DataKind = 'data' | 'stderr';

interface Pending {
  kind: DataKind;
  bytes: Uint8Array;
  done: (() => void) | undefined;
}

export class CreditedSender {
  private credit: number;
  private readonly queue: Pending[] = [];
  private queued = 0;
  private closed = false;

  /**
   * @param window the credit the peer granted in open/opened.
   * @param emit sends one data/stderr frame; called only within credit, never re-entrantly
   *   with a frame of the same chunk out of order.
   */
  constructor(
    window: number,
    private readonly emit: (kind: DataKind, chunk: Uint8Array) => void,
    private readonly maxFrame = PREFERRED_FRAME_BYTES,
  ) {
    this.credit = window;
    this.maxFrame = Math.min(Math.max(1, maxFrame), MAX_DATA_BYTES);
  }

  /** Queues bytes; `done` runs once they are all handed to `emit` (a zero-length chunk: once everything queued before it was). */
  enqueue(kind: DataKind, bytes: Uint8Array, done?: () => void): void {
    if (this.closed) {
      done?.();
      return;
    }
    this.queue.push({ kind, bytes, done });
    this.queued += bytes.length;
    this.flush();
  }

  /**
   * Adds credit from the peer. Returns an error message when the peer's total credit would
   * exceed MAX_WINDOW (a receiver only returns what it was sent, so that is a protocol error).
   */
  grant(bytes: number): string | null {
    if (this.credit + bytes > MAX_WINDOW) return `credit of ${this.credit + bytes} bytes exceeds the maximum window`;
    this.credit += bytes;
    this.flush();
    return null;
  }

  /** Bytes waiting for credit. */
  get backlog(): number {
    return this.queued;
  }

  get available(): number {
    return this.credit;
  }

  /** Drops everything still queued (the stream ended) but still runs every `done`, so no writer waits forever. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const dropped = this.queue.splice(0);
    this.queued = 0;
    for (const p of dropped) p.done?.();
  }

  private flush(): void {
    while (this.queue.length > 0 && !this.closed) {
      const head = this.queue[0]!;
      if (head.bytes.length > 0) {
        if (this.credit === 0) return;
        const n = Math.min(head.bytes.length, this.credit, this.maxFrame);
        const chunk = head.bytes.subarray(0, n);
        head.bytes = head.bytes.subarray(n);
        this.credit -= n;
        this.queued -= n;
        this.emit(head.kind, chunk);
        if (head.bytes.length > 0) continue;
      }
      this.queue.shift();
      head.done?.();
    }
  }
}
