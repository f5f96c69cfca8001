/**
 * The registry of live connections and the dialers that open them. The only place connections
 * are added or removed; it knows nothing about HTTP or storage (the hooks do).
 */
import { GatehouseError } from '../protocol/errors';
import type { TargetKind } from '../protocol/api-types';
import type { Permit } from '../protocol/permit';
import type { Channel, Dialer, OpenRequest, TargetRef } from './types';
import { LiveConnection, type ConnectionHooks, type ConnectionSpec } from './live-connection';

export interface LiveTunnel {
  id: string;
  permit: Permit;
  target: TargetRef;
  channel: Channel;
}

export interface BrokerOptions {
  dialers: Dialer[];
  hooks: ConnectionHooks;
  idleRetentionSeconds: number;
}

export class SessionBroker {
  private readonly live = new Map<string, LiveConnection>();
  /** Raw channels (TCP tunnels): not recorded, no client swapping, but closed with the rest. */
  private readonly tunnels = new Map<string, LiveTunnel>();
  private readonly dialers = new Map<TargetKind, Dialer>();

  constructor(private readonly opts: BrokerOptions) {
    for (const d of opts.dialers) this.dialers.set(d.targetKind, d);
  }

  /** Registers a connection; nothing is dialed until the first client attaches. */
  register(spec: ConnectionSpec): LiveConnection {
    const dialer = this.dialers.get(spec.target.kind);
    if (!dialer) throw new GatehouseError('TARGET_UNAVAILABLE', `no dialer for ${spec.target.kind} targets`);
    const conn = new LiveConnection(spec, this.opts.hooks, (signal) => dialer.open(spec.target, spec.request, signal), this.opts.idleRetentionSeconds * 1000);
    this.live.set(spec.id, conn);
    void conn.closed.then(() => this.live.delete(spec.id));
    return conn;
  }

  /** Opens a raw TCP channel for a tunnel; it is tracked until its exit settles. */
  async openTunnel(id: string, permit: Permit, target: TargetRef, request: Extract<OpenRequest, { kind: 'tcp' }>, signal: AbortSignal): Promise<Channel> {
    const dialer = this.dialers.get(target.kind);
    if (!dialer) throw new GatehouseError('TARGET_UNAVAILABLE', `no dialer for ${target.kind} targets`);
    const channel = await dialer.open(target, request, signal);
    this.tunnels.set(id, { id, permit, target, channel });
    void channel.exit.then(() => this.tunnels.delete(id));
    return channel;
  }

  /** Closes every live connection and tunnel to a target (deleted, offline, access revoked). */
  closeTarget(targetId: string, reason: string, actor: string | null): void {
    for (const c of this.live.values()) if (c.spec.target.id === targetId) c.close(reason, actor);
    for (const t of this.tunnels.values()) if (t.target.id === targetId) t.channel.close(reason);
  }

  get(id: string): LiveConnection | undefined {
    return this.live.get(id);
  }

  list(): LiveConnection[] {
    return [...this.live.values()];
  }

  /** Open tunnels, for re-deciding their permits when access changes. */
  listTunnels(): LiveTunnel[] {
    return [...this.tunnels.values()];
  }

  /** Closes every live connection with `reason` and waits until each has finished its taps. */
  async closeAll(reason: string): Promise<void> {
    const all = this.list();
    for (const c of all) c.close(reason, 'system');
    for (const t of this.tunnels.values()) t.channel.close(reason);
    await Promise.all(all.map((c) => c.closed));
  }
}
