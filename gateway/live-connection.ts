/**
 * One live connection: a channel to a target, the taps that observe it (recording, command
 * detector, or a screen keeper of its own), and at most one attached client.
 *
 * Lifecycle: registered (`open`, nothing dialed) → first attach dials → `connected` ⇄
 * `disconnected` (client gone, program keeps running, output still recorded) → `closed`
 * (program exited, or closed by someone, or idle too long). Every transition is reported once
 * through `onState`, in order.
 *
 * Flow control: output is read from the channel only while every tap and the client have a
 * backlog under HIGH_WATER; otherwise reading pauses until they drain. Input from the client is
 * written with the channel's own backpressure. So a fast producer and a slow reader never grow
 * the service's memory beyond the bounded windows. A connection streaming in bulk (more than
 * BULK_BYTES in one BULK_WINDOW_MS) also pauses while the output pacer is engaged
 * (output-pacer.ts: the evidence writers are behind and the loop is busy); one that writes a
 * little now and then never does, so interactive sessions stay prompt under a flood.
 */
import { performance } from 'node:perf_hooks';
import type { Permit } from '../protocol/permit';
import type { SessionEvent, SessionTap } from '../protocol/session-events';
import { CLOSE } from '../protocol/close-codes';
import { GatehouseError } from '../protocol/errors';
import type { Channel, ChannelExit, OpenRequest, TargetRef, TerminalClient, TermSize } from './types';
import { createScreenKeeper, type ScreenKeeper } from './screen-keeper';
import type { OutputPacer } from './output-pacer';

export const HIGH_WATER = 1024 * 1024;
/** Output above this many bytes in one window makes a connection "bulk" for the pacer. */
const BULK_BYTES = 64 * 1024;
const BULK_WINDOW_MS = 100;
const END_GRACE_MS = 2000;
/** A connection created through the API but never attached is dropped after this. */
export const ATTACH_DEADLINE_MS = 60_000;
/** The close reason when a permit's notAfter passes (a JIT grant ending). */
export const GRANT_EXPIRED = 'jit expired';

export type StateChange =
  | { state: 'connected'; actor: string; client: string; replaced: string | null }
  | { state: 'disconnected'; actor: string; reason: string }
  | { state: 'closed'; actor: string | null; reason: string; exit: ChannelExit | null };

export interface ConnectionSpec {
  id: string;
  permit: Permit;
  target: TargetRef;
  request: Extract<OpenRequest, { kind: 'shell' } | { kind: 'exec' }>;
}

/** What the broker's owner supplies: taps for a newly opened channel, and where states go. */
export interface ConnectionHooks {
  openTaps(spec: ConnectionSpec, ctx: { size: TermSize; shell: string; term: string; startedAt: Date }): Promise<SessionTap[]>;
  onState(id: string, change: StateChange): void;
  log(msg: string): void;
  /** Paces bulk output while the evidence writers need the CPU; absent: never paced. */
  pacer?: OutputPacer;
}

export class LiveConnection {
  readonly spec: ConnectionSpec;
  private readonly hooks: ConnectionHooks;
  private readonly dial: (signal: AbortSignal) => Promise<Channel>;
  private channel: Channel | null = null;
  private dialing: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private taps: SessionTap[] = [];
  private screen: Pick<ScreenKeeper, 'snapshot'> | null = null;
  /** The tap that keeps the screen when it is not our own keeper (the command detector). */
  private screenTap: SessionTap | null = null;
  private client: TerminalClient | null = null;
  private t0 = 0;
  private size: TermSize;
  private paused = false;
  /** Output bytes in the current window, its start, and whether the last full window was bulk. */
  private outBytes = 0;
  private outWindowAt = 0;
  private bulk = false;
  private closing: string | null = null;
  private closedResolve!: () => void;
  readonly closed = new Promise<void>((r) => (this.closedResolve = r));
  private idleTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;

  constructor(spec: ConnectionSpec, hooks: ConnectionHooks, dial: (signal: AbortSignal) => Promise<Channel>, private readonly idleRetentionMs: number) {
    this.spec = spec;
    this.hooks = hooks;
    this.dial = dial;
    const r = spec.request;
    this.size = r.kind === 'shell' ? r.size : (r.pty?.size ?? { cols: 80, rows: 24 });
    this.idleTimer = setTimeout(() => this.close('never attached', 'system'), ATTACH_DEADLINE_MS);
    if (spec.permit.notAfter) {
      const ms = Date.parse(spec.permit.notAfter) - Date.now();
      // setTimeout's limit is ~24.8 days; longer grants are re-armed by the owner's re-checks.
      if (ms < 2 ** 31 - 1) this.expiryTimer = setTimeout(() => this.close(GRANT_EXPIRED, 'system'), Math.max(0, ms));
    }
  }

  get state(): 'open' | 'connected' | 'disconnected' | 'closed' {
    if (this.closing !== null) return 'closed';
    if (!this.channel) return 'open';
    return this.client ? 'connected' : 'disconnected';
  }

  private now(): number {
    return (performance.now() - this.t0) / 1000;
  }

  /**
   * Attaches a client, dialing the target on the first attach. A previous client is closed with
   * REPLACED. Rejects with a GatehouseError when the connection is closed or cannot be dialed.
   */
  async attach(client: TerminalClient, actor: string): Promise<void> {
    if (this.closing !== null) throw new GatehouseError('NOT_FOUND', 'connection is closed');
    const previous = this.client;
    this.client = client;
    if (previous && previous !== client) previous.close(CLOSE.REPLACED, 'another client attached to this connection');
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (!this.channel) {
      this.dialing ??= this.start();
      try {
        await this.dialing;
      } catch (e) {
        this.client = null;
        throw e;
      }
      if (this.client !== client) return; // replaced while dialing
      client.sendControl({ type: 'attached', connectionId: this.spec.id, cols: this.size.cols, rows: this.size.rows, redraw: false });
    } else {
      const snap = this.screen ? await this.screen.snapshot() : '';
      if (this.client !== client || this.closing !== null) return;
      client.sendControl({ type: 'attached', connectionId: this.spec.id, cols: this.size.cols, rows: this.size.rows, redraw: snap.length > 0 });
      if (snap) client.sendOutput(Buffer.from('\x1bc' + snap));
    }
    this.hooks.onState(this.spec.id, { state: 'connected', actor, client: client.label, replaced: previous && previous !== client ? previous.label : null });
  }

  /** A shell keeps running without a client; an exec belongs to its client, as with ssh. */
  get persistent(): boolean {
    return this.spec.request.kind === 'shell';
  }

  /** The client went away; a shell keeps running until idle retention runs out. */
  detach(client: TerminalClient, actor: string, reason: string): void {
    if (this.client !== client || this.closing !== null) return;
    this.client = null;
    if (this.channel && this.persistent) {
      this.hooks.onState(this.spec.id, { state: 'disconnected', actor, reason });
      this.idleTimer = setTimeout(() => this.close('idle retention expired', 'system'), this.idleRetentionMs);
      this.maybeResume();
    } else {
      // Never dialed: nothing runs, so there is nothing to keep.
      this.close(reason, actor);
    }
  }

  /** Input from the attached client; resolves when the channel can take more. */
  async input(client: TerminalClient, data: Uint8Array): Promise<void> {
    if (this.client !== client || !this.channel || this.closing !== null) return;
    this.emit({ kind: 'i', t: this.now(), data });
    if (!this.channel.io.write(data)) {
      await new Promise<void>((resolve) => {
        const io = this.channel!.io;
        const done = () => {
          io.off('drain', done);
          io.off('close', done);
          resolve();
        };
        io.on('drain', done);
        io.on('close', done);
      });
    }
  }

  /** The client's stdin ended (exec): end the program's stdin. */
  endInput(client: TerminalClient): void {
    if (this.client !== client || !this.channel || this.closing !== null) return;
    this.channel.io.end();
  }

  resize(client: TerminalClient, size: TermSize): void {
    if (this.client !== client || !this.channel || this.closing !== null) return;
    if (size.cols === this.size.cols && size.rows === this.size.rows) return;
    this.size = size;
    this.channel.resize(size);
    this.emit({ kind: 'r', t: this.now(), cols: size.cols, rows: size.rows });
  }

  /** Ends the connection (idempotent): the program is stopped, taps flushed, the client told why. */
  close(reason: string, actor: string | null): void {
    if (this.closing !== null) return;
    this.closing = reason;
    this.closeActor = actor;
    this.abort.abort(new GatehouseError('TARGET_UNAVAILABLE', reason));
    if (this.channel) this.channel.close(reason);
    else void this.finish(null, actor);
  }
  private closeActor: string | null = null;

  private async start(): Promise<void> {
    const channel = await this.dial(this.abort.signal);
    if (this.closing !== null) {
      channel.close(this.closing);
      throw new GatehouseError('NOT_FOUND', 'connection is closed');
    }
    this.channel = channel;
    this.t0 = performance.now();
    const r = this.spec.request;
    const term = r.kind === 'shell' ? r.term : (r.pty?.term ?? 'dumb');
    try {
      this.taps = await this.hooks.openTaps(this.spec, { size: this.size, shell: channel.shell ?? '/bin/sh', term, startedAt: new Date() });
    } catch (e) {
      channel.close('recording could not start');
      throw e;
    }
    // Only shells are re-attached, so only they need their screen kept (an exec with a pty
    // belongs to its one client; keeping its screen cost half the service's CPU on bulk output).
    // A tap that already keeps the screen (the command detector) serves it; else we keep one.
    if (r.kind === 'shell') {
      const keeper = this.taps.find((t) => t.snapshot !== undefined && t.failure === null);
      if (keeper) {
        this.screenTap = keeper;
        this.screen = { snapshot: () => keeper.snapshot!() };
      } else {
        const own = createScreenKeeper(this.size.cols, this.size.rows);
        this.screen = own;
        this.taps.push(own);
      }
    }
    const tagged = r.kind === 'exec' && !r.pty;
    channel.io.on('data', (chunk: Buffer) => this.onOutput(channel.io, chunk, tagged ? 1 : undefined));
    channel.io.on('error', (e) => this.hooks.log(`connection ${this.spec.id}: channel error: ${e.message}`));
    const stderr = channel.stderr as (NodeJS.ReadableStream & { pause(): void; resume(): void }) | undefined;
    if (stderr) {
      this.sources.push(stderr);
      stderr.on('data', (chunk: Buffer) => this.onOutput(stderr, chunk, 2));
    }
    void channel.exit.then((exit) => this.onExit(exit));
  }

  /** Readables the output comes from (stdout, and stderr for exec); paused together. */
  private readonly sources: { pause(): void; resume(): void }[] = [];

  private onOutput(_from: unknown, chunk: Buffer, stream: 1 | 2 | undefined): void {
    this.emit({ kind: 'o', t: this.now(), data: chunk });
    this.client?.sendOutput(chunk, stream);
    // Bulk or not is decided on output only, so it holds while the connection is paused.
    const at = performance.now();
    if (at - this.outWindowAt > BULK_WINDOW_MS) {
      this.bulk = this.outBytes > BULK_BYTES && at - this.outWindowAt < 2 * BULK_WINDOW_MS;
      this.outBytes = 0;
      this.outWindowAt = at;
    }
    this.outBytes += chunk.length;
    if (this.outBytes > BULK_BYTES) this.bulk = true;
    if (!this.paused && this.blockers().length > 0) {
      this.paused = true;
      this.channel!.io.pause();
      for (const s of this.sources) s.pause();
      void this.waitForDrain();
    }
  }

  private blockers(): { whenDrained(): Promise<void> }[] {
    const out: { whenDrained(): Promise<void> }[] = this.taps.filter((t) => t.backlog() > HIGH_WATER);
    if (this.client && this.client.backlog() > HIGH_WATER) out.push(this.client);
    const pacer = this.hooks.pacer;
    if (pacer && this.bulk && this.closing === null && pacer.engaged()) out.push({ whenDrained: () => pacer.whenReleased() });
    return out;
  }

  private async waitForDrain(): Promise<void> {
    for (;;) {
      const b = this.blockers();
      if (b.length === 0 || this.closing !== null && !this.channel) break;
      const clientAtStart = this.client;
      await Promise.race([...b.map((x) => x.whenDrained()), this.closed, new Promise((r) => setTimeout(r, 250))]);
      if (this.client !== clientAtStart) continue;
    }
    this.maybeResume();
  }

  private maybeResume(): void {
    if (this.paused && this.blockers().length === 0) {
      this.paused = false;
      this.channel?.io.resume();
      for (const s of this.sources) s.resume();
    }
  }

  private emit(e: SessionEvent): void {
    let screenLost: SessionTap | null = null;
    for (const tap of this.taps) {
      if (tap.failure) continue;
      tap.onEvent(e);
      if (tap.failure) {
        this.hooks.log(`connection ${this.spec.id}: tap ${tap.name} failed: ${(tap.failure as Error).message}`);
        // Recording is required evidence: a shell we cannot record does not go on.
        if (tap.name === 'recording') queueMicrotask(() => this.close(`recording failed: ${(tap.failure as Error).message}`, 'system'));
        if (tap === this.screenTap) screenLost = tap;
      }
    }
    // After the loop: the new keeper starts from the screen as of this event, so it must not
    // be given the event again.
    if (screenLost) this.takeOverScreen(screenLost);
  }

  /**
   * The tap that kept the screen failed: keep one of our own from here, starting from the screen
   * it last had (or blank, if its screen broke), so a re-attach still redraws.
   */
  private takeOverScreen(failed: SessionTap): void {
    const own = createScreenKeeper(this.size.cols, this.size.rows, failed.snapshot!());
    this.screenTap = null;
    this.screen = own;
    this.taps.push(own);
    this.hooks.log(`connection ${this.spec.id}: the screen for re-attach is now kept by the connection`);
  }

  private async onExit(exit: ChannelExit): Promise<void> {
    // Let buffered output (stdout and stderr) reach the taps and the client before they close.
    const streams = [this.channel!.io, ...(this.channel!.stderr ? [this.channel!.stderr as NodeJS.ReadableStream & { readableEnded?: boolean }] : [])];
    this.paused = false;
    for (const st of streams) st.resume();
    await Promise.race([
      Promise.all(
        streams.map((st) => (st.readableEnded ? null : new Promise((r) => { st.once('end', r); st.once('close', r); }))),
      ),
      new Promise((r) => setTimeout(r, END_GRACE_MS)),
    ]);
    this.emit({ kind: 'x', t: this.now(), code: exit.code, ...(exit.signal ? { signal: exit.signal } : {}) });
    await this.finish(exit, this.closing !== null ? this.closeActor : null);
  }

  private finished = false;
  private async finish(exit: ChannelExit | null, actor: string | null): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    // A channel's error is already worded for people ("target offline", "local agent was
    // killed by SIGKILL"); it is the reason as it stands.
    const reason = this.closing ?? (exit?.error ? exit.error : 'exited');
    this.closing = reason;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    await Promise.all(this.taps.map((t) => t.close().catch((e: Error) => this.hooks.log(`connection ${this.spec.id}: tap ${t.name} close: ${e.message}`))));
    const client = this.client;
    this.client = null;
    if (client) {
      if (exit) client.sendControl({ type: 'exit', code: exit.code, ...(exit.signal ? { signal: exit.signal } : {}) });
      client.close(CLOSE.ENDED, reason.slice(0, 120));
    }
    this.hooks.onState(this.spec.id, { state: 'closed', actor, reason, exit });
    this.closedResolve();
  }
}
